/**
 * Deepgram Flux (`/v2/listen`) through the real plugin (STTv2, chosen by agent/providers.ts for a
 * `flux-*` model) against the stand-in listening to real speech: a turn gives its words early as a
 * preflight transcript (`EagerEndOfTurn`) and then finally (`EndOfTurn`); a caller who resumes
 * after the eager end keeps one turn; with eager turns off only the end of turn comes; and the
 * stand-in refuses what Deepgram refuses.
 */
import { initializeLogger, stt } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SttConfig } from '../../agent/config.ts';
import { createStt, sttSocketPath } from '../../agent/providers.ts';
import { type DeepgramStandin, startDeepgramStandin } from '../support/deepgram-standin.ts';
import { parseFluxParams } from '../support/flux-turns.ts';
import { pushInFrames, renderSpeech } from '../support/speech-audio.ts';

const RATE = 16000;
const NO_RETRY = { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 5000 };
const LINE = 'Log ten squats at sixty kilos.';
const NEXT_LINE = 'What is my workout today?';

let deepgram: DeepgramStandin;
let speech: Int16Array;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  [deepgram, speech] = await Promise.all([
    startDeepgramStandin({ eagerEndOfTurnMs: 150, endOfTurnMs: 300 }),
    renderSpeech(LINE, { sampleRate: RATE }),
  ]);
});
afterAll(async () => {
  await deepgram?.close();
});

const fluxConfig = (overrides: Partial<SttConfig> = {}): SttConfig => ({
  apiKey: deepgram.apiKey,
  baseUrl: deepgram.baseUrl,
  model: 'flux-general-en',
  language: 'en-US',
  eagerEotThreshold: 0.4,
  ...overrides,
});

function openStream(config = fluxConfig()) {
  return createStt(config).stream({ connOptions: NO_RETRY });
}

const push = (stream: ReturnType<typeof openStream>, samples: Int16Array) =>
  pushInFrames(stream, samples, RATE);

const quiet = (ms: number) => new Int16Array((RATE * ms) / 1000);

/**
 * Ends the stream the way a session does, by ending its input (the plugin then sends
 * `CloseStream`). Closing it outright makes STTv2 1.9.0 log "Deepgram stream error": its usage
 * report is flushed into the already closed event queue.
 */
async function finish(stream: ReturnType<typeof openStream>): Promise<void> {
  const record = deepgram.streams.at(-1);
  stream.endInput();
  for (let i = 0; i < 100 && !record?.closed; i++) await new Promise((r) => setTimeout(r, 20));
  expect(record?.controlMessages).toContain('CloseStream');
}

interface Heard {
  type: stt.SpeechEventType;
  text?: string;
}

/** The stream's events up to its end of speech, with the words of the transcripts. */
async function untilEndOfSpeech(stream: ReturnType<typeof openStream>): Promise<Heard[]> {
  const heard: Heard[] = [];
  for await (const event of stream) {
    if (event.type === stt.SpeechEventType.RECOGNITION_USAGE) continue;
    const text = event.alternatives?.[0]?.text;
    heard.push(text === undefined ? { type: event.type } : { type: event.type, text });
    if (event.type === stt.SpeechEventType.END_OF_SPEECH) break;
  }
  return heard;
}

describe('Deepgram Flux through the real plugin', () => {
  it('selects the v2 API for a Flux model and the v1 API otherwise', () => {
    expect(sttSocketPath(fluxConfig())).toBe('/v2/listen');
    expect(sttSocketPath(fluxConfig({ model: 'nova-3' }))).toBe('/v1/listen');
  });

  it('sends the words early as a preflight transcript, then as the final one', async () => {
    const stream = openStream();
    deepgram.enqueueTranscripts(LINE);
    const before = deepgram.utterances.length;
    push(stream, speech);
    push(stream, quiet(600));
    const events = await untilEndOfSpeech(stream);

    expect(events).toEqual([
      { type: stt.SpeechEventType.START_OF_SPEECH },
      { type: stt.SpeechEventType.PREFLIGHT_TRANSCRIPT, text: LINE },
      { type: stt.SpeechEventType.FINAL_TRANSCRIPT, text: LINE },
      { type: stt.SpeechEventType.END_OF_SPEECH },
    ]);
    const record = deepgram.streams.at(-1);
    expect(record?.api).toBe('v2');
    expect(record?.params.get('model')).toBe('flux-general-en');
    expect(record?.params.get('eager_eot_threshold')).toBe('0.4');
    expect(record?.params.has('language')).toBe(false);
    const [heard, ...more] = deepgram.utterances.slice(before);
    expect(more).toEqual([]);
    expect(heard?.transcript).toBe(LINE);
    // The eager end went out first; the end of turn after more quiet.
    expect(heard?.finalAt).toBeGreaterThan(heard?.sentAt ?? Number.POSITIVE_INFINITY);
    await finish(stream);
  });

  it('keeps one turn when the caller resumes after the eager end', async () => {
    const stream = openStream();
    deepgram.enqueueTranscripts(LINE, NEXT_LINE);
    const before = deepgram.utterances.length;
    const half = Math.floor(speech.length / 2);
    // A 220 ms pause: past the eager end (150 ms of quiet), short of the end of turn (300 ms).
    push(stream, speech.subarray(0, half));
    push(stream, quiet(220));
    push(stream, speech.subarray(half));
    push(stream, quiet(600));
    const events = await untilEndOfSpeech(stream);

    const transcripts = events.filter((e) => e.text !== undefined);
    expect(transcripts.at(-1)).toEqual({ type: stt.SpeechEventType.FINAL_TRANSCRIPT, text: LINE });
    expect(transcripts.filter((e) => e.type === stt.SpeechEventType.FINAL_TRANSCRIPT)).toHaveLength(
      1,
    );
    const pauses = deepgram.utterances.slice(before);
    expect(pauses.length).toBeGreaterThanOrEqual(2);
    // The first pause brought an eager end and no end of turn; the caller's line was used once.
    expect(pauses[0]?.sentAt).toBeDefined();
    expect(pauses[0]?.finalAt).toBeUndefined();
    expect(pauses.every((p) => p.transcript === LINE)).toBe(true);
    expect(pauses.at(-1)?.finalAt).toBeDefined();
    deepgram.clearTranscripts();
    await finish(stream);
  });

  it('sends only the end of turn when eager turns are off', async () => {
    const stream = openStream(fluxConfig({ eagerEotThreshold: undefined }));
    deepgram.enqueueTranscripts(LINE);
    push(stream, speech);
    push(stream, quiet(600));
    const events = await untilEndOfSpeech(stream);
    expect(events.map((e) => e.type)).toEqual([
      stt.SpeechEventType.START_OF_SPEECH,
      stt.SpeechEventType.FINAL_TRANSCRIPT,
      stt.SpeechEventType.END_OF_SPEECH,
    ]);
    expect(deepgram.streams.at(-1)?.params.has('eager_eot_threshold')).toBe(false);
    await finish(stream);
  });

  it('refuses what Deepgram refuses on /v2/listen', () => {
    const params = (query: string) => parseFluxParams(new URLSearchParams(query));
    expect(params('model=nova-3')).toMatch(/Flux model/);
    expect(params('model=flux-general-en&eager_eot_threshold=0.2')).toMatch(/0.3 and 0.9/);
    expect(params('model=flux-general-en&eot_threshold=0.6&eager_eot_threshold=0.8')).toMatch(
      /must not exceed/,
    );
    expect(params('model=flux-general-en&eot_timeout_ms=100')).toMatch(/500/);
    expect(params('model=flux-general-en&eager_eot_threshold=0.4')).toEqual({
      model: 'flux-general-en',
      eotThreshold: 0.7,
      eagerEotThreshold: 0.4,
    });
  });
});
