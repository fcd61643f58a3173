/**
 * A local stand-in for Upstash Redis: an HTTP server speaking the Upstash REST protocol that
 * forwards every command to a real Redis over RESP, so tests exercise @upstash/redis itself
 * against real Redis semantics (expiry included).
 *
 * Protocol, as @upstash/redis uses it: POST of a JSON command array to the base URL, an array of
 * them to /pipeline or /multi-exec (answered with one {result}|{error} per command),
 * `Authorization: Bearer <token>` (401 otherwise), single-command errors as 400 {error}, and with
 * `Upstash-Encoding: base64` every string in a result base64-encoded except the status `OK`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';

class RespError extends Error {}

/** A status reply (+OK), kept apart from bulk strings because Upstash encodes them differently. */
class Status {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

type Reply = Status | number | null | Buffer | RespError | Reply[];

/** Parses one RESP2 reply from `buffer` at `offset`; null when more bytes are needed. */
function parseReply(buffer: Buffer, offset: number): { value: Reply; next: number } | null {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd === -1) return null;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;
  switch (type) {
    case '+':
      return { value: new Status(line), next: afterLine };
    case '-':
      return { value: new RespError(line), next: afterLine };
    case ':':
      return { value: Number(line), next: afterLine };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: afterLine };
      if (buffer.length < afterLine + length + 2) return null;
      return {
        value: buffer.subarray(afterLine, afterLine + length),
        next: afterLine + length + 2,
      };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: afterLine };
      const items: Reply[] = [];
      let next = afterLine;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

function encodeCommand(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''));
}

/** One pipelined RESP connection: replies arrive in the order commands were written. */
class RespConnection {
  private readonly socket: Socket;
  private readonly waiting: Array<{ resolve: (reply: Reply) => void; reject: (e: Error) => void }> =
    [];
  private buffered = Buffer.alloc(0);

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.failAll(error));
    socket.on('close', () => this.failAll(new Error('redis connection closed')));
  }

  static open(redisUrl: string): Promise<RespConnection> {
    const url = new URL(redisUrl);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port || 6379) }, () => {
        socket.off('error', reject);
        resolve(new RespConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Writes all commands in one go, so a MULTI ... EXEC block is never interleaved. */
  /** False once Redis closed the connection (or it failed): commands would never be answered. */
  get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  send(commands: readonly (readonly string[])[]): Promise<Reply[]> {
    if (!this.open) return Promise.reject(new Error('redis connection closed'));
    const replies = commands.map(
      () =>
        new Promise<Reply>((resolve, reject) => {
          this.waiting.push({ resolve, reject });
        }),
    );
    this.socket.write(Buffer.concat(commands.map(encodeCommand)));
    return Promise.all(replies);
  }

  close(): void {
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    let offset = 0;
    for (;;) {
      const parsed = parseReply(this.buffered, offset);
      if (!parsed) break;
      offset = parsed.next;
      this.waiting.shift()?.resolve(parsed.value);
    }
    this.buffered = this.buffered.subarray(offset);
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}

type Encoded = string | number | null | Encoded[];

function toJson(reply: Reply, base64: boolean): Encoded {
  if (reply instanceof RespError) throw reply;
  if (reply === null || typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((item) => toJson(item, base64));
  if (reply instanceof Status) {
    if (!base64 || reply.text === 'OK') return reply.text;
    return Buffer.from(reply.text).toString('base64');
  }
  return base64 ? reply.toString('base64') : reply.toString('utf8');
}

type Outcome = { result: Encoded } | { error: string };

function outcome(reply: Reply, base64: boolean): Outcome {
  try {
    return { result: toJson(reply, base64) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function isCommand(value: unknown): value is (string | number | boolean)[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((arg) => ['string', 'number', 'boolean'].includes(typeof arg))
  );
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Runs one command on real Redis, bypassing the stand-in: to check what the SDK really stored. */
export async function redisCommand(
  args: readonly string[],
  redisUrl = 'redis://127.0.0.1:6379',
): Promise<string | number | null> {
  const connection = await RespConnection.open(redisUrl);
  try {
    const [reply] = await connection.send([args]);
    const value = toJson(reply ?? null, false);
    if (Array.isArray(value)) throw new Error('redisCommand is for commands with a scalar reply');
    return value;
  } finally {
    connection.close();
  }
}

export interface UpstashRedisStandin {
  /** The REST URL to hand to @upstash/redis (UPSTASH_REDIS_REST_URL). */
  url: string;
  token: string;
  close(): Promise<void>;
}

export async function startUpstashRedisStandin(
  options: { token?: string; redisUrl?: string } = {},
): Promise<UpstashRedisStandin> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const redisUrl = options.redisUrl ?? 'redis://127.0.0.1:6379';
  let redis = await RespConnection.open(redisUrl);
  // Like Upstash, a Redis that went away and came back is used again: the connection is reopened
  // on the next command, and while Redis is down every command answers an error.
  let reopening: Promise<RespConnection> | undefined;
  const connection = async (): Promise<RespConnection> => {
    if (redis.open) return redis;
    reopening ??= RespConnection.open(redisUrl).finally(() => {
      reopening = undefined;
    });
    redis = await reopening;
    return redis;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      send(res, 401, { error: 'Unauthorized' });
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, { error: 'only POST with a JSON command body is supported' });
      return;
    }
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    const path = new URL(req.url ?? '/', 'http://standin').pathname.replace(/\/+$/, '');
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      send(res, 400, { error: 'ERR failed to parse command' });
      return;
    }
    const toArgs = (command: (string | number | boolean)[]) => command.map(String);

    if (path === '') {
      if (!isCommand(body)) return send(res, 400, { error: 'ERR failed to parse command' });
      const [reply] = await (await connection()).send([toArgs(body)]);
      const result = outcome(reply ?? null, base64);
      return send(res, 'error' in result ? 400 : 200, result);
    }
    if (path === '/pipeline' || path === '/multi-exec') {
      if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
        return send(res, 400, { error: 'ERR failed to parse pipeline request' });
      }
      const commands = body.map(toArgs);
      if (path === '/pipeline') {
        const replies = await (await connection()).send(commands);
        return send(
          res,
          200,
          replies.map((reply) => outcome(reply, base64)),
        );
      }
      const replies = await (await connection()).send([['MULTI'], ...commands, ['EXEC']]);
      const exec = replies.at(-1) ?? null;
      if (!Array.isArray(exec)) {
        const reason = exec instanceof RespError ? exec.message : 'EXECABORT transaction aborted';
        return send(res, 400, { error: reason });
      }
      return send(
        res,
        200,
        exec.map((reply) => outcome(reply, base64)),
      );
    }
    send(res, 404, { error: `unsupported path ${path}` });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      send(res, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.close();
    },
  };
}

/** The edge API's variables that point its cache at this stand-in. */
export function upstashRedisEnv(standin: UpstashRedisStandin): Record<string, string> {
  return { UPSTASH_REDIS_REST_URL: standin.url, UPSTASH_REDIS_REST_TOKEN: standin.token };
}
