/**
 * A local stand-in for QStash: accepts what @upstash/qstash's Client sends (`/v2/publish/<url>`,
 * `/v2/batch`, queue and schedule listings), answers as QStash does, and delivers each message to
 * its destination signed exactly as QStash signs it, so the real Receiver verifies it:
 * `Upstash-Signature` is an HS256 JWT with the current signing key, iss "Upstash", sub = the
 * destination URL, body = base64url(SHA-256(body)) without padding, and exp/nbf/iat/jti.
 * Non-2xx answers are retried with backoff up to the message's retry count (Upstash-Retries),
 * except a 489 with `Upstash-NonRetryable-Error: true`, which goes straight to the dead letters.
 * Like QStash, it delivers messages in parallel, with at most `parallelism` calls in flight (what
 * QStash's Flow-Control parallelism caps), over kept-alive connections; a message waiting for its
 * retry holds no delivery slot.
 */
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface QStashStandinOptions {
  token?: string;
  currentSigningKey?: string;
  nextSigningKey?: string;
  /** Retries when a message does not say (QStash's default is 3). */
  defaultRetries?: number;
  /** Wait before retry number `retried` (1-based); short by default so tests run fast. */
  retryDelayMs?: (retried: number) => number;
  /** Deliver every message twice, as an at-least-once queue may. */
  duplicateDeliveries?: boolean;
  /** At most this many deliveries are in flight at once; the rest wait their turn in order. */
  parallelism?: number;
  /**
   * Holds each message a random time below this before its first attempt, so messages arrive
   * out of the order they were published in (QStash promises no order).
   */
  reorderWithinMs?: number;
  /**
   * An attempt not answered within this time is abandoned (the connection dropped) and retried,
   * as QStash does past its request timeout, even if the destination did its work meanwhile.
   */
  callbackTimeoutMs?: number;
}

export const DEFAULT_QSTASH_STANDIN_PARALLELISM = 32;

export interface DeliveryAttempt {
  messageId: string;
  url: string;
  /** 0 for the first attempt, as the Upstash-Retried header says. */
  retried: number;
  /** The destination's HTTP status, or null when it could not be reached or timed out. */
  status: number | null;
  /** No answer within callbackTimeoutMs. */
  timedOut: boolean;
  body: string;
}

export interface QStashStandin {
  /** QStash's base URL for the Client (QSTASH_URL). */
  url: string;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** May be flipped between publishes. */
  duplicateDeliveries: boolean;
  /** Every delivery attempt, in the order they finished. */
  readonly deliveries: DeliveryAttempt[];
  /** Every API request the Client made, e.g. `POST /v2/batch`, in order. */
  readonly requests: string[];
  /** Messages whose retries ran out. */
  readonly deadLetters: { messageId: string; url: string; body: string }[];
  /** Resolves once no message is waiting, being delivered or waiting for a retry. */
  waitForIdle(): Promise<void>;
  close(): Promise<void>;
}

interface Message {
  messageId: string;
  destination: string;
  method: string;
  body: string;
  headers: Record<string, string>;
  retries: number;
  delayMs: number;
}

const randomKey = (prefix: string) => `${prefix}_${randomBytes(18).toString('base64url')}`;

/** QStash durations: "10s", "5m", "2h", "1d" (a bare number is seconds). */
function parseDuration(value: string | undefined): number {
  if (!value) return 0;
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`invalid duration ${value}`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  return Number(match[1]) * scale[(match[2] ?? 's') as keyof typeof scale];
}

const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * The same JWT QStash puts in Upstash-Signature. Signed with node:crypto's synchronous HMAC
 * rather than a JWT library's WebCrypto one: the stand-in signs every delivery on the CPU the API
 * under test also needs, and the real Receiver checks the result in the tests either way.
 */
export async function signQStashRequest(input: {
  signingKey: string;
  url: string;
  body: string;
  expiresInSeconds?: number;
}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    body: createHash('sha256').update(input.body).digest('base64url'),
    iss: 'Upstash',
    sub: input.url,
    iat: now,
    nbf: now,
    exp: now + (input.expiresInSeconds ?? 300),
    jti: `jwt_${randomBytes(12).toString('hex')}`,
  };
  const signed = `${JWT_HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = createHmac('sha256', input.signingKey).update(signed).digest('base64url');
  return `${signed}.${signature}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * One delivery attempt over a kept-alive connection: the destination's status, or null when it
 * could not be reached. node:http rather than fetch, because the stand-in shares the CPU with the
 * API it calls and fetch costs several times more per request.
 */
/** What one delivery attempt came to; `nonRetryable` is QStash's 489 + Upstash-NonRetryable-Error. */
interface AttemptResult {
  status: number | null;
  nonRetryable: boolean;
  timedOut?: boolean;
}

function send(
  agent: Agent,
  message: Message,
  headers: Record<string, string>,
  timeoutMs: number | undefined,
): Promise<AttemptResult> {
  const body = ['GET', 'HEAD'].includes(message.method) ? undefined : message.body;
  return new Promise<AttemptResult>((resolveAttempt) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const resolve = (result: AttemptResult) => {
      clearTimeout(timer);
      resolveAttempt(result);
    };
    try {
      const req = httpRequest(
        message.destination,
        {
          method: message.method,
          agent,
          headers:
            body === undefined
              ? headers
              : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          const nonRetryable =
            res.statusCode === 489 && res.headers['upstash-nonretryable-error'] === 'true';
          res.once('error', () => resolve({ status: null, nonRetryable: false }));
          res.once('end', () => resolve({ status: res.statusCode ?? null, nonRetryable }));
          res.resume();
        },
      );
      req.once('error', () => resolve({ status: null, nonRetryable: false }));
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          resolve({ status: null, nonRetryable: false, timedOut: true });
          req.destroy();
        }, timeoutMs);
      }
      req.end(body);
    } catch {
      // An unsupported destination, e.g. https: QStash could not reach it either.
      resolve({ status: null, nonRetryable: false });
    }
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs work with at most `limit` calls in flight; later calls wait first in, first out. */
function boundedConcurrency(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`invalid parallelism ${limit}`);
  const waiting: (() => void)[] = [];
  let active = 0;
  return async (work) => {
    // A finishing call hands its slot straight to the next waiter, so `active` stays counted.
    if (active < limit) active++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

export async function startQStashStandin(
  options: QStashStandinOptions = {},
): Promise<QStashStandin> {
  const token = options.token ?? randomKey('qstash_token');
  const currentSigningKey = options.currentSigningKey ?? randomKey('sig');
  const nextSigningKey = options.nextSigningKey ?? randomKey('sig');
  const defaultRetries = options.defaultRetries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? ((retried: number) => 20 * 2 ** (retried - 1));
  const deliveries: DeliveryAttempt[] = [];
  const deadLetters: QStashStandin['deadLetters'] = [];
  const requests: string[] = [];
  const messageIdByDedupKey = new Map<string, string>();
  const inFlight = new Set<Promise<void>>();
  const parallelism = options.parallelism ?? DEFAULT_QSTASH_STANDIN_PARALLELISM;
  const withDeliverySlot = boundedConcurrency(parallelism);
  const agent = new Agent({ keepAlive: true, maxSockets: parallelism });

  const attempt = async (
    message: Message,
    retried: number,
  ): Promise<'delivered' | 'retry' | 'give-up'> => {
    const signature = await signQStashRequest({
      signingKey: currentSigningKey,
      url: message.destination,
      body: message.body,
    });
    const { status, nonRetryable, timedOut } = await send(
      agent,
      message,
      {
        ...message.headers,
        'user-agent': 'Upstash-QStash',
        'upstash-signature': signature,
        'upstash-message-id': message.messageId,
        'upstash-retried': String(retried),
      },
      options.callbackTimeoutMs,
    );
    deliveries.push({
      messageId: message.messageId,
      url: message.destination,
      retried,
      status,
      timedOut: timedOut ?? false,
      body: message.body,
    });
    if (status !== null && status >= 200 && status < 300) return 'delivered';
    return nonRetryable ? 'give-up' : 'retry';
  };

  const deliver = async (message: Message) => {
    if (message.delayMs > 0) await sleep(message.delayMs);
    if (options.reorderWithinMs) await sleep(Math.random() * options.reorderWithinMs);
    for (let retried = 0; ; retried++) {
      if (retried > 0) await sleep(retryDelayMs(retried));
      const outcome = await withDeliverySlot(() => attempt(message, retried));
      if (outcome === 'delivered') return;
      if (outcome === 'give-up' || retried >= message.retries) {
        deadLetters.push({
          messageId: message.messageId,
          url: message.destination,
          body: message.body,
        });
        return;
      }
    }
  };

  const track = (work: Promise<void>) => {
    const task = work.finally(() => inFlight.delete(task));
    inFlight.add(task);
  };

  /** Accepts one message as QStash does: deduplicates, answers, then delivers in the background. */
  const enqueue = (
    destination: string,
    headers: Record<string, string>,
    body: string,
  ): { messageId: string; url: string; deduplicated?: boolean } => {
    const url = new URL(destination).toString();
    const dedupId = headers['upstash-deduplication-id'];
    const contentBased = headers['upstash-content-based-deduplication'] === 'true';
    const dedupKey =
      dedupId !== undefined
        ? `id:${dedupId}`
        : contentBased
          ? `content:${createHash('sha256').update(`${url}\n${body}`).digest('hex')}`
          : undefined;
    const known = dedupKey ? messageIdByDedupKey.get(dedupKey) : undefined;
    if (known) return { messageId: known, url, deduplicated: true };

    const messageId = `msg_${randomUUID()}`;
    if (dedupKey) messageIdByDedupKey.set(dedupKey, messageId);
    const forwarded: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === 'content-type') forwarded[name] = value;
      if (name.startsWith('upstash-forward-')) {
        forwarded[name.slice('upstash-forward-'.length)] = value;
      }
    }
    const message: Message = {
      messageId,
      destination: url,
      method: headers['upstash-method'] ?? 'POST',
      body,
      headers: forwarded,
      retries:
        headers['upstash-retries'] !== undefined
          ? Number(headers['upstash-retries'])
          : defaultRetries,
      delayMs: parseDuration(headers['upstash-delay']),
    };
    track(deliver(message));
    if (standin.duplicateDeliveries) track(deliver(message));
    return { messageId, url };
  };

  const headerRecord = (req: IncomingMessage): Record<string, string> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
    return headers;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      reply(res, 401, { error: 'Unauthorized' });
      return;
    }
    const rawPath = req.url ?? '/';
    requests.push(`${req.method} ${rawPath}`);
    if (req.method === 'POST' && rawPath.startsWith('/v2/publish/')) {
      const body = await readBody(req);
      const destination = decodeURIComponent(rawPath.slice('/v2/publish/'.length));
      if (!URL.canParse(destination)) {
        reply(res, 400, { error: `invalid destination url: ${destination}` });
        return;
      }
      reply(res, 201, enqueue(destination, headerRecord(req), body));
      return;
    }
    if (req.method === 'POST' && rawPath === '/v2/batch') {
      let batch: unknown;
      try {
        batch = JSON.parse(await readBody(req));
      } catch {
        reply(res, 400, { error: 'invalid batch body' });
        return;
      }
      if (!Array.isArray(batch)) {
        reply(res, 400, { error: 'a batch is a JSON array of messages' });
        return;
      }
      const messages = batch as { destination?: unknown; headers?: unknown; body?: unknown }[];
      const invalid = messages.findIndex(
        (m) => typeof m.destination !== 'string' || !URL.canParse(m.destination),
      );
      if (invalid !== -1) {
        reply(res, 400, { error: `message ${invalid} has no valid destination` });
        return;
      }
      const results = messages.map((m) => {
        const headers: Record<string, string> = {};
        if (m.headers && typeof m.headers === 'object') {
          for (const [name, value] of Object.entries(m.headers)) {
            if (typeof value === 'string') headers[name.toLowerCase()] = value;
          }
        }
        return enqueue(m.destination as string, headers, typeof m.body === 'string' ? m.body : '');
      });
      reply(res, 201, results);
      return;
    }
    if (req.method === 'GET' && (rawPath === '/v2/queues' || rawPath === '/v2/schedules')) {
      reply(res, 200, []);
      return;
    }
    reply(res, 404, { error: `not found: ${req.method} ${rawPath}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      reply(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const standin: QStashStandin = {
    url: `http://127.0.0.1:${port}`,
    token,
    currentSigningKey,
    nextSigningKey,
    duplicateDeliveries: options.duplicateDeliveries ?? false,
    deliveries,
    requests,
    deadLetters,
    async waitForIdle() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
    async close() {
      agent.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standin;
}

/** The edge API's variables that point its log queue at this stand-in. */
export function qstashEnv(standin: QStashStandin): Record<string, string> {
  return {
    QSTASH_URL: standin.url,
    QSTASH_TOKEN: standin.token,
    QSTASH_CURRENT_SIGNING_KEY: standin.currentSigningKey,
    QSTASH_NEXT_SIGNING_KEY: standin.nextSigningKey,
  };
}
