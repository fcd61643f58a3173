/**
 * A local stand-in for Deepgram's streaming speech-to-text API (`wss://api.deepgram.com/v1/listen`).
 * It speaks the live protocol the Deepgram plugin of @livekit/agents uses: `Authorization: Token`
 * on the upgrade (401 with Deepgram's error body otherwise), linear16 audio as binary frames,
 * `KeepAlive` / `Finalize` / `CloseStream` control messages, and `SpeechStarted`, `Results` and
 * `Metadata` messages back. Tests decide what the "user" said with `speak()`, and cut every open
 * stream with `dropStreams()` the way a network blip (terminate) or a provider restart (a close
 * frame with an error code, as Deepgram sends 1011 `NET-0001`) does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';

export interface DeepgramStream {
  requestId: string;
  /** The query of the upgrade request: model, language, encoding, sample_rate, ... */
  params: URLSearchParams;
  /** Bytes of linear16 audio received so far. */
  audioBytes: number;
  /** Control message types received, in order (KeepAlive, Finalize, CloseStream). */
  controlMessages: string[];
  closed: boolean;
}

export interface DeepgramStandin {
  /** e.g. ws://127.0.0.1:PORT (what DEEPGRAM_BASE_URL takes). */
  baseUrl: string;
  apiKey: string;
  streams: DeepgramStream[];
  /** Sends `transcript` as one finished utterance to every open stream. */
  speak(transcript: string): void;
  /**
   * Drops every open stream now: `terminate` cuts the TCP connection with no close frame;
   * `close` sends a close frame with `closeCode` (Deepgram's server error code by default).
   * Resolves once the stand-in has seen each of those streams closed; returns how many.
   */
  dropStreams(mode: DeepgramDropMode, closeCode?: number): Promise<number>;
  close(): Promise<void>;
}

export type DeepgramDropMode = 'terminate' | 'close';

/** What Deepgram sends when it ends a stream on its side (e.g. `NET-0001`, no audio in time). */
const DEEPGRAM_SERVER_ERROR_CLOSE = 1011;

const SUPPORTED_ENCODINGS = new Set(['linear16']);
const BYTES_PER_SAMPLE = 2;
/** How long the stand-in pretends each spoken word lasted, for word timings. */
const SECONDS_PER_WORD = 0.3;

function rejectUpgrade(socket: Duplex, status: number, reason: string, body: object): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`,
  );
}

/** Why Deepgram would refuse this stream's parameters, or null when they are usable. */
function invalidParams(params: URLSearchParams): string | null {
  const encoding = params.get('encoding');
  if (encoding !== null && !SUPPORTED_ENCODINGS.has(encoding)) {
    return `unsupported encoding: ${encoding}`;
  }
  const sampleRate = params.get('sample_rate');
  if (encoding !== null && (sampleRate === null || !/^\d+$/.test(sampleRate))) {
    return 'sample_rate is required with encoding';
  }
  return null;
}

interface OpenStream {
  record: DeepgramStream;
  socket: WebSocket;
}

function audioSeconds(stream: DeepgramStream): number {
  const sampleRate = Number(stream.params.get('sample_rate') ?? 16000);
  const channels = Number(stream.params.get('channels') ?? 1);
  return stream.audioBytes / (BYTES_PER_SAMPLE * sampleRate * channels);
}

function modelInfo(stream: DeepgramStream) {
  const name = stream.params.get('model') ?? 'nova-2-general';
  return { name, version: '2024-01-01.0', arch: name.split('-').slice(0, 2).join('-') };
}

function resultsMessage(stream: DeepgramStream, transcript: string, start: number) {
  const words = transcript.split(/\s+/).filter(Boolean);
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: words.length * SECONDS_PER_WORD,
    start,
    is_final: true,
    speech_final: true,
    from_finalize: false,
    channel: {
      alternatives: [
        {
          transcript,
          confidence: 0.99,
          words: words.map((word, index) => ({
            word: word.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''),
            start: start + index * SECONDS_PER_WORD,
            end: start + (index + 1) * SECONDS_PER_WORD,
            confidence: 0.99,
            punctuated_word: word,
          })),
        },
      ],
    },
    metadata: {
      request_id: stream.requestId,
      model_info: modelInfo(stream),
      model_uuid: randomUUID(),
    },
  };
}

function metadataMessage(stream: DeepgramStream) {
  return {
    type: 'Metadata',
    transaction_key: 'deprecated',
    request_id: stream.requestId,
    sha256: '0'.repeat(64),
    created: new Date().toISOString(),
    duration: audioSeconds(stream),
    channels: Number(stream.params.get('channels') ?? 1),
    models: [randomUUID()],
    model_info: {},
  };
}

function handleMessage(open: OpenStream, data: RawData, isBinary: boolean): void {
  const { record, socket } = open;
  if (isBinary) {
    record.audioBytes += Array.isArray(data)
      ? data.reduce((sum, chunk) => sum + chunk.length, 0)
      : data instanceof ArrayBuffer
        ? data.byteLength
        : data.length;
    return;
  }
  let type: unknown;
  try {
    type = (JSON.parse(data.toString()) as { type?: unknown }).type;
  } catch {
    socket.close(1008, 'text frames must be JSON control messages');
    return;
  }
  if (typeof type !== 'string') {
    socket.close(1008, 'control message without a type');
    return;
  }
  record.controlMessages.push(type);
  if (type === 'CloseStream') {
    socket.send(JSON.stringify(metadataMessage(record)));
    socket.close(1000);
  }
}

export async function startDeepgramStandin(
  apiKey = `dg-${randomUUID()}`,
): Promise<DeepgramStandin> {
  const streams: DeepgramStream[] = [];
  const open = new Set<OpenStream>();
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ err_code: 'NOT_FOUND', err_msg: 'only /v1/listen is served' }));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/v1/listen') {
      rejectUpgrade(socket, 404, 'Not Found', { err_code: 'NOT_FOUND', err_msg: url.pathname });
      return;
    }
    if (req.headers.authorization !== `Token ${apiKey}`) {
      rejectUpgrade(socket, 401, 'Unauthorized', {
        err_code: 'INVALID_AUTH',
        err_msg: 'Invalid credentials.',
        request_id: randomUUID(),
      });
      return;
    }
    const problem = invalidParams(url.searchParams);
    if (problem) {
      rejectUpgrade(socket, 400, 'Bad Request', { err_code: 'Bad Request', err_msg: problem });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const record: DeepgramStream = {
        requestId: randomUUID(),
        params: url.searchParams,
        audioBytes: 0,
        controlMessages: [],
        closed: false,
      };
      const entry: OpenStream = { record, socket: ws };
      streams.push(record);
      open.add(entry);
      ws.on('message', (data, isBinary) => handleMessage(entry, data, isBinary));
      ws.on('close', () => {
        record.closed = true;
        open.delete(entry);
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `ws://127.0.0.1:${port}`,
    apiKey,
    streams,
    speak(transcript) {
      for (const { record, socket } of open) {
        const start = audioSeconds(record);
        if (record.params.get('vad_events') === 'true') {
          socket.send(JSON.stringify({ type: 'SpeechStarted', channel: [0], timestamp: start }));
        }
        socket.send(JSON.stringify(resultsMessage(record, transcript, start)));
      }
    },
    async dropStreams(mode, closeCode = DEEPGRAM_SERVER_ERROR_CLOSE) {
      const dropped = [...open];
      const closed = dropped.map(
        ({ socket }) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
      );
      for (const { socket } of dropped) {
        if (mode === 'terminate') socket.terminate();
        else socket.close(closeCode, 'NET-0001');
      }
      await Promise.all(closed);
      return dropped.length;
    },
    async close() {
      for (const { socket } of open) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
