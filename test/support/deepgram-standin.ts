/**
 * A local stand-in for Deepgram's streaming speech-to-text API: Nova's `/v1/listen` and Flux's
 * `/v2/listen` (turns, eager end of turn: flux-turns.ts). On `/v1/listen` it speaks the live
 * protocol the Deepgram plugin of @livekit/agents uses: `Authorization: Token`
 * on the upgrade (401 with Deepgram's error body otherwise), linear16 audio as binary frames,
 * `KeepAlive` / `Finalize` / `CloseStream` control messages, and `SpeechStarted`, `Results` and
 * `Metadata` messages back. Tests decide what the "user" said with `speak()`, or let the stand-in
 * listen: it detects each utterance from the audio it receives (utterance-detector.ts), and after
 * a configurable reply delay sends the next scripted transcript for it, as the service would.
 * Tests cut every open stream with `dropStreams()` the way a network blip (terminate) or a
 * provider restart (a close frame with an error code, as Deepgram sends 1011 `NET-0001`) does,
 * or arm `dropAtNextUtteranceEnd()` to do it when the caller stops speaking.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { FluxTurns, parseFluxParams } from './flux-turns.ts';
import { type DetectedUtterance, UtteranceDetector } from './utterance-detector.ts';

export interface DeepgramStream {
  requestId: string;
  /** `v1` (Nova, `/v1/listen`) or `v2` (Flux, `/v2/listen`). */
  api: 'v1' | 'v2';
  /** The query of the upgrade request: model, language, encoding, sample_rate, ... */
  params: URLSearchParams;
  /** Bytes of linear16 audio received so far. */
  audioBytes: number;
  /** Control message types received, in order (KeepAlive, Finalize, CloseStream). */
  controlMessages: string[];
  closed: boolean;
}

/** An utterance the stand-in heard in a stream's audio, and what it did about it. */
export interface HeardUtterance extends DetectedUtterance {
  requestId: string;
  /** Undefined when nothing was scripted for it (an empty final result was sent). */
  transcript?: string;
  /**
   * performance.now() when its transcript went out (Flux: the `EagerEndOfTurn`, or the
   * `EndOfTurn` when eager turns are off); undefined when the socket was dropped.
   */
  sentAt?: number;
  /**
   * When its final transcript went out: Nova's `Results` (with `sentAt`), Flux's `EndOfTurn`
   * (undefined when the caller resumed before it).
   */
  finalAt?: number;
  /** How the socket was dropped instead of answering, when a drop was armed. */
  dropped?: SocketDrop;
}

/** How to drop a stream's socket: abruptly, or with a WebSocket close code (e.g. 1011). */
export type SocketDrop = { kind: 'terminate' } | { kind: 'close'; code: number; reason?: string };

/** Decides the words of an utterance; undefined means nothing intelligible was said. */
export type Transcriber = (utterance: HeardUtterance, stream: DeepgramStream) => string | undefined;

export interface ListeningTiming {
  /** Nova: quiet after speech that ends an utterance. */
  endpointingMs: number;
  /** Nova: extra wait after the end is detected before the transcript goes out. */
  replyDelayMs: number;
  /** Flux: quiet after speech before `EagerEndOfTurn` (streams that asked for it). */
  eagerEndOfTurnMs: number;
  /** Flux: quiet after speech before `EndOfTurn`. */
  endOfTurnMs: number;
}

export interface DeepgramStandinOptions extends Partial<ListeningTiming> {
  apiKey?: string;
}

export const defaultDeepgramStandinOptions = {
  // Longer than the pauses espeak-ng makes inside one sentence, so an utterance is not split.
  endpointingMs: 300,
  replyDelayMs: 0,
  eagerEndOfTurnMs: 150,
  endOfTurnMs: 300,
} as const satisfies ListeningTiming;

export interface DeepgramStandin {
  /** e.g. ws://127.0.0.1:PORT (what DEEPGRAM_BASE_URL takes). */
  baseUrl: string;
  apiKey: string;
  streams: DeepgramStream[];
  /** Every utterance detected in the audio, in order. */
  utterances: HeardUtterance[];
  /** Sends `transcript` as one finished utterance to every open stream. */
  speak(transcript: string): void;
  /** Transcripts for the next utterances heard, first in first out (the default transcriber). */
  enqueueTranscripts(...transcripts: string[]): void;
  /** Forgets transcripts queued and not yet used (a new conversation starts). */
  clearTranscripts(): void;
  /** Replaces the queue with a function of the utterance (e.g. one script per caller). */
  setTranscriber(transcriber: Transcriber | undefined): void;
  setTiming(timing: Partial<ListeningTiming>): void;
  /** At the next utterance end, drops that stream's socket instead of answering it. */
  dropAtNextUtteranceEnd(drop: SocketDrop): void;
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
  detector: UtteranceDetector;
  /** Flux streams only. */
  flux?: FluxTurns;
}

/** Samples per second across all channels. */
function streamRate(stream: DeepgramStream): number {
  const sampleRate = Number(stream.params.get('sample_rate') ?? 16000);
  const channels = Number(stream.params.get('channels') ?? 1);
  return sampleRate * channels;
}

function audioSeconds(stream: DeepgramStream): number {
  return stream.audioBytes / (BYTES_PER_SAMPLE * streamRate(stream));
}

function dropSocket(socket: WebSocket, drop: SocketDrop): void {
  if (drop.kind === 'terminate') socket.terminate();
  else socket.close(drop.code, drop.reason ?? 'stand-in dropped the stream');
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
    const pcm = Array.isArray(data)
      ? Buffer.concat(data)
      : data instanceof ArrayBuffer
        ? Buffer.from(data)
        : data;
    record.audioBytes += pcm.length;
    open.detector.push(pcm, pcm.length / (BYTES_PER_SAMPLE * streamRate(record)));
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
    if (record.api === 'v1') socket.send(JSON.stringify(metadataMessage(record)));
    socket.close(1000);
  }
}

export async function startDeepgramStandin(
  apiKeyOrOptions: string | DeepgramStandinOptions = {},
): Promise<DeepgramStandin> {
  const options =
    typeof apiKeyOrOptions === 'string' ? { apiKey: apiKeyOrOptions } : apiKeyOrOptions;
  const apiKey = options.apiKey ?? `dg-${randomUUID()}`;
  const timing: ListeningTiming = { ...defaultDeepgramStandinOptions };
  for (const key of Object.keys(timing) as (keyof ListeningTiming)[]) {
    timing[key] = options[key] ?? timing[key];
  }
  const streams: DeepgramStream[] = [];
  const utterances: HeardUtterance[] = [];
  const queuedTranscripts: string[] = [];
  const fromQueue: Transcriber = () => queuedTranscripts.shift();
  let transcriber = fromQueue;
  let armedDrop: SocketDrop | undefined;
  const open = new Set<OpenStream>();

  const onUtteranceEnd = (entry: OpenStream, detected: DetectedUtterance) => {
    const heard: HeardUtterance = { ...detected, requestId: entry.record.requestId };
    utterances.push(heard);
    if (armedDrop) {
      heard.dropped = armedDrop;
      armedDrop = undefined;
      dropSocket(entry.socket, heard.dropped);
      return;
    }
    if (entry.flux) {
      heard.transcript = entry.flux.paused(detected.endSeconds, heard, () =>
        transcriber(heard, entry.record),
      );
      return;
    }
    heard.transcript = transcriber(heard, entry.record);
    const send = () => {
      if (entry.record.closed) return;
      const message = resultsMessage(entry.record, heard.transcript ?? '', detected.startSeconds);
      entry.socket.send(JSON.stringify(message));
      heard.sentAt = performance.now();
      heard.finalAt = heard.sentAt;
    };
    if (timing.replyDelayMs > 0) setTimeout(send, timing.replyDelayMs);
    else send();
  };
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        err_code: 'NOT_FOUND',
        err_msg: 'only /v1/listen and /v2/listen are served',
      }),
    );
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const api = url.pathname === '/v1/listen' ? 'v1' : url.pathname === '/v2/listen' ? 'v2' : null;
    if (!api) {
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
    const fluxParams = api === 'v2' ? parseFluxParams(url.searchParams) : undefined;
    const problem =
      invalidParams(url.searchParams) ?? (typeof fluxParams === 'string' ? fluxParams : null);
    if (problem) {
      rejectUpgrade(socket, 400, 'Bad Request', { err_code: 'Bad Request', err_msg: problem });
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const record: DeepgramStream = {
        requestId: randomUUID(),
        api,
        params: url.searchParams,
        audioBytes: 0,
        controlMessages: [],
        closed: false,
      };
      const send = (message: object) => {
        if (!record.closed) ws.send(JSON.stringify(message));
      };
      const flux =
        fluxParams && typeof fluxParams !== 'string'
          ? new FluxTurns({ send, requestId: record.requestId }, fluxParams, timing)
          : undefined;
      const entry: OpenStream = {
        record,
        socket: ws,
        flux,
        // The shared timing object itself (read at each use), so setTiming reaches open streams.
        detector: new UtteranceDetector(
          flux
            ? {
                get endpointingMs() {
                  return flux.pauseMs;
                },
              }
            : timing,
          {
            onSpeechStarted: (startSeconds) => {
              if (flux) flux.speechStarted(startSeconds);
              else if (record.params.get('vad_events') === 'true') {
                send({ type: 'SpeechStarted', channel: [0], timestamp: startSeconds });
              }
            },
            onUtteranceEnd: (utterance) => onUtteranceEnd(entry, utterance),
          },
        ),
      };
      if (flux) send(flux.connected());
      streams.push(record);
      open.add(entry);
      ws.on('message', (data, isBinary) => handleMessage(entry, data, isBinary));
      ws.on('close', () => {
        record.closed = true;
        entry.detector.stop();
        entry.flux?.stop();
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
    utterances,
    enqueueTranscripts(...transcripts) {
      queuedTranscripts.push(...transcripts);
    },
    clearTranscripts() {
      queuedTranscripts.length = 0;
    },
    setTranscriber(next) {
      transcriber = next ?? fromQueue;
    },
    setTiming(next) {
      Object.assign(timing, next);
    },
    dropAtNextUtteranceEnd(drop) {
      armedDrop = drop;
    },
    speak(transcript) {
      for (const { record, socket, flux } of open) {
        if (flux) {
          flux.endTurn(transcript);
          continue;
        }
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
      for (const { socket, detector } of open) {
        detector.stop();
        socket.terminate();
      }
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
