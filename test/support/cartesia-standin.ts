/**
 * A local stand-in for Cartesia's text-to-speech API. It speaks what the Cartesia plugin of
 * @livekit/agents uses: the `/tts/websocket` stream (generation requests keyed by `context_id`,
 * `continue` to keep a context open, `cancel`, and `chunk` / `timestamps` / `done` / error
 * messages back, audio as base64 raw PCM). The upgrade needs the `X-API-Key` and `Cartesia-Version`
 * headers, as the real API does. (The plugin's one-shot `/tts/bytes` path always dials HTTPS, so a
 * plain-HTTP stand-in could not serve it; the agent streams.)
 *
 * The "speech" is a quiet 440 Hz tone whose length follows the text, so a listener can tell a
 * spoken reply from silence. Tests read back every transcript that was synthesised.
 *
 * Faults, for tests of a voice that must not fall silent: a configurable time to first byte (the
 * wait before a context's first audio chunk) and a one-shot drop of the socket in the middle of
 * the next reply, after some of its audio went out.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';

export interface CartesiaGeneration {
  contextId: string;
  /** The text of every request of this context, concatenated in arrival order. */
  transcript: string;
  modelId: string;
  sampleRate: number;
  done: boolean;
  /** performance.now() when its first request arrived. */
  requestedAt: number;
  /** performance.now() when its first audio chunk was sent; undefined until then. */
  firstAudioAt?: number;
  /** Audio chunks sent for this context so far. */
  chunksSent: number;
  /** True when the stand-in dropped the socket in the middle of this context (`dropMidReply`). */
  dropped: boolean;
}

export type CartesiaDropMode = 'terminate' | 'close';

export interface CartesiaMidReplyDrop {
  /** Audio chunks of the reply sent before the socket goes (default 1). */
  afterChunks?: number;
  /** `terminate` cuts TCP; `close` sends a close frame with 1011 (default terminate). */
  mode?: CartesiaDropMode;
}

export interface CartesiaStandin {
  /** e.g. http://127.0.0.1:PORT (what CARTESIA_BASE_URL takes). */
  baseUrl: string;
  apiKey: string;
  generations: CartesiaGeneration[];
  /** Wait before the first audio chunk of each context (0 by default). */
  setTimeToFirstByte(ms: number): void;
  /** Drops the socket carrying the next reply once `afterChunks` of its chunks went out. */
  dropMidReply(options?: CartesiaMidReplyDrop): void;
  /** How many sockets the stand-in dropped on purpose so far. */
  readonly drops: number;
  /** Sockets accepted so far, and those still open. */
  readonly socketsOpened: number;
  readonly openSockets: number;
  close(): Promise<void>;
}

interface CartesiaFaults {
  timeToFirstByteMs: number;
  midReplyDrop: Required<CartesiaMidReplyDrop> | null;
  drops: number;
}

/** Cartesia's close code for an internal failure. */
const SERVER_ERROR_CLOSE = 1011;

const streamingRequestSchema = z.object({
  context_id: z.string().min(1),
  continue: z.boolean().optional(),
  add_timestamps: z.boolean().optional(),
  model_id: z.string().min(1),
  transcript: z.string(),
  voice: z.union([
    z.object({ mode: z.literal('id'), id: z.string().min(1) }),
    z.object({ mode: z.literal('embedding'), embedding: z.array(z.number()) }),
  ]),
  output_format: z.object({
    container: z.literal('raw'),
    encoding: z.literal('pcm_s16le'),
    sample_rate: z.number().int().positive(),
  }),
  language: z.string().optional(),
});

const cancelRequestSchema = z.object({ context_id: z.string().min(1), cancel: z.literal(true) });

const SECONDS_PER_CHARACTER = 0.03;
const MAX_SECONDS_PER_REQUEST = 2;
const CHUNK_SECONDS = 0.1;
const TONE_HZ = 440;
const TONE_AMPLITUDE = 0.2 * 0x7fff;

/**
 * The longest tone a request can get, per sample rate: made once, since every request's tone
 * starts at phase 0 (the stand-in shares the bench's CPU with the callers it measures).
 */
const tones = new Map<number, Buffer>();

function tone(sampleRate: number): Buffer {
  let pcm = tones.get(sampleRate);
  if (!pcm) {
    const samples = Math.round(MAX_SECONDS_PER_REQUEST * sampleRate);
    pcm = Buffer.alloc(samples * 2);
    for (let i = 0; i < samples; i++) {
      pcm.writeInt16LE(
        Math.round(TONE_AMPLITUDE * Math.sin((2 * Math.PI * TONE_HZ * i) / sampleRate)),
        i * 2,
      );
    }
    tones.set(sampleRate, pcm);
  }
  return pcm;
}

/** Seconds of tone the stand-in makes for `text` (one request gets at most 2 s of it). */
export function speechSeconds(text: string): number {
  return text.trim().length * SECONDS_PER_CHARACTER;
}

/** Little-endian 16-bit PCM of the tone, as long as it would take to say `text`. */
function speech(text: string, sampleRate: number): Buffer {
  const seconds = Math.min(speechSeconds(text), MAX_SECONDS_PER_REQUEST);
  return tone(sampleRate).subarray(0, Math.round(seconds * sampleRate) * 2);
}

function authProblem(
  req: IncomingMessage,
  apiKey: string,
): { status: number; message: string } | null {
  if (req.headers['x-api-key'] !== apiKey) return { status: 401, message: 'Invalid API key' };
  if (!req.headers['cartesia-version']) {
    return { status: 400, message: 'Cartesia-Version header is required' };
  }
  return null;
}

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Bad Request'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}

function sendError(socket: WebSocket, contextId: string, message: string): void {
  socket.send(
    JSON.stringify({
      type: 'error',
      context_id: contextId,
      status_code: 400,
      done: true,
      error: message,
    }),
  );
}

function wordTimestamps(text: string, startSeconds: number) {
  const words = text.split(/\s+/).filter(Boolean);
  const perWord = words.length ? (text.trim().length * SECONDS_PER_CHARACTER) / words.length : 0;
  return {
    words,
    start: words.map((_, i) => startSeconds + i * perWord),
    end: words.map((_, i) => startSeconds + (i + 1) * perWord),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Drops `socket` if a mid-reply drop is armed and this reply has sent enough chunks. */
function dropIfArmed(
  socket: WebSocket,
  faults: CartesiaFaults,
  generation: CartesiaGeneration,
): boolean {
  const drop = faults.midReplyDrop;
  if (!drop || generation.chunksSent < drop.afterChunks) return false;
  faults.midReplyDrop = null;
  faults.drops += 1;
  generation.dropped = true;
  if (drop.mode === 'terminate') socket.terminate();
  else socket.close(SERVER_ERROR_CLOSE, 'internal error');
  return true;
}

async function handleStreamMessage(
  socket: WebSocket,
  data: RawData,
  generations: CartesiaGeneration[],
  cancelled: Set<string>,
  faults: CartesiaFaults,
): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(data.toString());
  } catch {
    sendError(socket, '', 'message is not JSON');
    return;
  }
  const cancel = cancelRequestSchema.safeParse(json);
  if (cancel.success) {
    cancelled.add(cancel.data.context_id);
    return;
  }
  const parsed = streamingRequestSchema.safeParse(json);
  if (!parsed.success) {
    const contextId = (json as { context_id?: unknown } | null)?.context_id;
    sendError(
      socket,
      typeof contextId === 'string' ? contextId : '',
      z.prettifyError(parsed.error),
    );
    return;
  }
  const request = parsed.data;
  const contextId = request.context_id;
  if (cancelled.has(contextId)) return;
  let generation = generations.find((g) => g.contextId === contextId && !g.done);
  if (!generation) {
    generation = {
      contextId,
      transcript: '',
      modelId: request.model_id,
      sampleRate: request.output_format.sample_rate,
      done: false,
      requestedAt: performance.now(),
      chunksSent: 0,
      dropped: false,
    };
    generations.push(generation);
  }
  const startSeconds = generation.transcript.trim().length * SECONDS_PER_CHARACTER;
  const firstAudio = generation.chunksSent === 0;
  generation.transcript += request.transcript;

  if (request.transcript.trim()) {
    if (firstAudio && faults.timeToFirstByteMs > 0) await sleep(faults.timeToFirstByteMs);
    if (socket.readyState !== socket.OPEN || cancelled.has(contextId)) return;
    const pcm = speech(request.transcript, request.output_format.sample_rate);
    const chunkBytes = Math.round(CHUNK_SECONDS * request.output_format.sample_rate) * 2;
    for (let offset = 0; offset < pcm.length; offset += chunkBytes) {
      if (dropIfArmed(socket, faults, generation)) return;
      generation.chunksSent += 1;
      generation.firstAudioAt ??= performance.now();
      socket.send(
        JSON.stringify({
          type: 'chunk',
          data: pcm.subarray(offset, offset + chunkBytes).toString('base64'),
          done: false,
          status_code: 206,
          step_time: 1,
          context_id: contextId,
        }),
      );
    }
    if (request.add_timestamps) {
      socket.send(
        JSON.stringify({
          type: 'timestamps',
          done: false,
          status_code: 206,
          context_id: contextId,
          word_timestamps: wordTimestamps(request.transcript, startSeconds),
        }),
      );
    }
  }
  if (request.continue === false) {
    generation.done = true;
    socket.send(
      JSON.stringify({ type: 'done', done: true, status_code: 206, context_id: contextId }),
    );
  }
}

export async function startCartesiaStandin(
  apiKey = `sk_car_${randomUUID()}`,
): Promise<CartesiaStandin> {
  const generations: CartesiaGeneration[] = [];
  const faults: CartesiaFaults = { timeToFirstByteMs: 0, midReplyDrop: null, drops: 0 };
  const sockets = new Set<WebSocket>();
  let socketsOpened = 0;
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not found' }));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== '/tts/websocket') {
      rejectUpgrade(socket, 400, `no WebSocket at ${pathname}`);
      return;
    }
    const problem = authProblem(req, apiKey);
    if (problem) {
      rejectUpgrade(socket, problem.status, problem.message);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const cancelled = new Set<string>();
      sockets.add(ws);
      socketsOpened += 1;
      // One message at a time, in arrival order, even while a time to first byte is awaited.
      let previous = Promise.resolve();
      ws.on('message', (data) => {
        previous = previous.then(() =>
          handleStreamMessage(ws, data, generations, cancelled, faults),
        );
      });
      ws.on('close', () => sockets.delete(ws));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    generations,
    setTimeToFirstByte(ms) {
      faults.timeToFirstByteMs = ms;
    },
    dropMidReply({ afterChunks = 1, mode = 'terminate' } = {}) {
      faults.midReplyDrop = { afterChunks, mode };
    },
    get drops() {
      return faults.drops;
    },
    get socketsOpened() {
      return socketsOpened;
    },
    get openSockets() {
      return sockets.size;
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
