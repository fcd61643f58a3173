/**
 * The Deepgram stand-in listening to real speech through the real Deepgram plugin: it ends an
 * utterance from the audio (quiet audio, or no audio at all once the plugin's energy filter stops
 * sending), answers it with the next scripted transcript, and drops its socket at an utterance end
 * when a test arms it.
 */
import { initializeLogger, stt } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStt } from '../../agent/providers.ts';
import { type DeepgramStandin, startDeepgramStandin } from '../support/deepgram-standin.ts';
import { pushInFrames, renderSpeech } from '../support/speech-audio.ts';

const RATE = 16000;
const ENDPOINTING_MS = 300;
const NO_RETRY = { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 5000 };
const LINE = 'Log ten squats at sixty kilos.';

let deepgram: DeepgramStandin;
let speech: Int16Array;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  [deepgram, speech] = await Promise.all([
    startDeepgramStandin({ endpointingMs: ENDPOINTING_MS }),
    renderSpeech(LINE, { sampleRate: RATE }),
  ]);
});
afterAll(async () => {
  await deepgram?.close();
});

function openStream() {
  return createStt({
    apiKey: deepgram.apiKey,
    baseUrl: deepgram.baseUrl,
    model: 'nova-2-general',
    language: 'en-US',
    eagerEotThreshold: undefined,
  }).stream({ connOptions: NO_RETRY });
}

const push = (stream: ReturnType<typeof openStream>, samples: Int16Array) =>
  pushInFrames(stream, samples, RATE);

async function untilTranscript(stream: ReturnType<typeof openStream>) {
  const events: stt.SpeechEventType[] = [];
  let transcript = '';
  for await (const event of stream) {
    events.push(event.type);
    if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
      transcript = event.alternatives?.[0]?.text ?? '';
    }
    if (event.type === stt.SpeechEventType.END_OF_SPEECH) break;
  }
  return { events, transcript };
}

describe('Deepgram stand-in listening to speech', () => {
  it('ends the utterance after quiet audio and sends the next scripted transcript', async () => {
    const stream = openStream();
    deepgram.enqueueTranscripts(LINE);
    const before = deepgram.utterances.length;
    push(stream, speech);
    push(stream, new Int16Array((RATE * 600) / 1000));
    const { events, transcript } = await untilTranscript(stream);
    expect(transcript).toBe(LINE);
    expect(events).toEqual([
      stt.SpeechEventType.START_OF_SPEECH,
      stt.SpeechEventType.FINAL_TRANSCRIPT,
      stt.SpeechEventType.END_OF_SPEECH,
    ]);
    const [heard, ...more] = deepgram.utterances.slice(before);
    expect(more).toEqual([]);
    expect(heard?.transcript).toBe(LINE);
    // The whole sentence is one utterance, as long as the speech that was sent.
    expect(heard?.endSeconds ?? 0).toBeGreaterThan(speech.length / RATE - 0.2);
    stream.close();
  });

  it('ends the utterance by the clock when no more audio comes (the plugin gates silence)', async () => {
    const stream = openStream();
    deepgram.enqueueTranscripts(LINE);
    const before = deepgram.utterances.length;
    push(stream, speech);
    const { transcript } = await untilTranscript(stream);
    expect(transcript).toBe(LINE);
    const heard = deepgram.utterances[before];
    expect(heard).toBeDefined();
    expect((heard?.detectedAt ?? 0) - (heard?.lastLoudAt ?? 0)).toBeGreaterThanOrEqual(
      ENDPOINTING_MS - 5,
    );
    stream.close();
  });

  it('drops the socket with an error code at the next utterance end instead of answering', async () => {
    const stream = openStream();
    const streamsBefore = deepgram.streams.length;
    const before = deepgram.utterances.length;
    deepgram.enqueueTranscripts(LINE);
    deepgram.dropAtNextUtteranceEnd({ kind: 'close', code: 1011, reason: 'NET-0001' });
    push(stream, speech);
    push(stream, new Int16Array((RATE * 600) / 1000));
    const closed = () => deepgram.streams[streamsBefore]?.closed === true;
    for (let i = 0; i < 100 && !closed(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(closed()).toBe(true);
    const heard = deepgram.utterances[before];
    expect(heard?.dropped).toEqual({ kind: 'close', code: 1011, reason: 'NET-0001' });
    expect(heard?.sentAt).toBeUndefined();
    // The transcript was not used up by the dropped utterance.
    deepgram.clearTranscripts();
    stream.close();
  });
});
