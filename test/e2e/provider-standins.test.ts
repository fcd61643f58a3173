/**
 * The Deepgram and Cartesia stand-ins are only worth something if the real plugins accept them:
 * these tests drive the agent's own provider factories (agent/providers.ts) against them.
 */
import { initializeLogger, stt, tts } from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStt, createTts } from '../../agent/providers.ts';
import { type CartesiaStandin, startCartesiaStandin } from '../support/cartesia-standin.ts';
import { type DeepgramStandin, startDeepgramStandin } from '../support/deepgram-standin.ts';

const STT_SAMPLE_RATE = 16000;
const NO_RETRY = { maxRetry: 0, retryIntervalMs: 0, timeoutMs: 5000 };

let deepgram: DeepgramStandin;
let cartesia: CartesiaStandin;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'warn' });
  [deepgram, cartesia] = await Promise.all([startDeepgramStandin(), startCartesiaStandin()]);
});
afterAll(async () => {
  await Promise.all([deepgram?.close(), cartesia?.close()]);
});

/** 100 ms of a loud tone: the plugin's energy filter drops silence before it is sent. */
function loudFrame(): AudioFrame {
  const samples = STT_SAMPLE_RATE / 10;
  const data = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    data[i] = Math.round(12000 * Math.sin((2 * Math.PI * 300 * i) / STT_SAMPLE_RATE));
  return new AudioFrame(data, STT_SAMPLE_RATE, 1, samples);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const sttConfig = (apiKey: string) => ({
  apiKey,
  baseUrl: deepgram.baseUrl,
  model: 'nova-2-general',
  language: 'en-US',
  eagerEotThreshold: undefined,
});

describe('Deepgram stand-in with the real Deepgram plugin', () => {
  it('streams audio in and gives back the spoken words as a final transcript', async () => {
    const stream = createStt(sttConfig(deepgram.apiKey)).stream({ connOptions: NO_RETRY });
    for (let i = 0; i < 5; i++) stream.pushFrame(loudFrame());
    await until(() => (deepgram.streams.at(-1)?.audioBytes ?? 0) > 0, 'audio to reach Deepgram');

    const record = deepgram.streams.at(-1);
    expect(record?.params.get('model')).toBe('nova-2-general');
    expect(record?.params.get('language')).toBe('en-US');
    expect(record?.params.get('encoding')).toBe('linear16');
    expect(record?.params.get('sample_rate')).toBe(String(STT_SAMPLE_RATE));

    deepgram.speak('Log ten squats at sixty kilos.');
    const events: stt.SpeechEventType[] = [];
    let transcript = '';
    for await (const event of stream) {
      events.push(event.type);
      if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
        transcript = event.alternatives?.[0]?.text ?? '';
      }
      if (event.type === stt.SpeechEventType.END_OF_SPEECH) break;
    }
    expect(transcript).toBe('Log ten squats at sixty kilos.');
    expect(events).toEqual([
      stt.SpeechEventType.START_OF_SPEECH,
      stt.SpeechEventType.FINAL_TRANSCRIPT,
      stt.SpeechEventType.END_OF_SPEECH,
    ]);
    stream.endInput();
    await until(() => record?.closed === true, 'the stream to close');
    expect(record?.controlMessages).toContain('CloseStream');
  });

  it('refuses a wrong API key at the handshake, as Deepgram does', async () => {
    const before = deepgram.streams.length;
    const model = createStt(sttConfig('wrong-key'));
    const failure = new Promise<Parameters<stt.STTCallbacks['error']>[0]>((resolve) =>
      model.once('error', resolve),
    );
    const stream = model.stream({ connOptions: NO_RETRY });
    stream.pushFrame(loudFrame());
    const { error, recoverable } = await failure;
    expect(recoverable).toBe(false);
    expect(String(error)).toMatch(/401/);
    expect(deepgram.streams.length).toBe(before);
    stream.close();
  });
});

describe('Cartesia stand-in with the real Cartesia plugin', () => {
  const ttsConfig = (apiKey: string) => ({
    apiKey,
    baseUrl: cartesia.baseUrl,
    model: 'sonic-3',
    voiceId: undefined,
    sampleRate: 24000,
    speed: 1.1,
  });

  it('turns streamed text into non-silent 24 kHz audio and records what was said', async () => {
    const stream = createTts(ttsConfig(cartesia.apiKey)).stream({ connOptions: NO_RETRY });
    const text = 'Good morning Alex, ready for leg day? We start with squats.';
    stream.pushText(text);
    stream.flush();
    stream.endInput();

    const frames: AudioFrame[] = [];
    for await (const audio of stream) {
      if (audio === tts.SynthesizeStream.END_OF_STREAM) break;
      frames.push(audio.frame);
    }
    const samples = frames.flatMap((frame) => Array.from(frame.data));
    expect(frames.every((frame) => frame.sampleRate === 24000 && frame.channels === 1)).toBe(true);
    expect(samples.length).toBeGreaterThan(0);
    expect(Math.max(...samples.map(Math.abs))).toBeGreaterThan(1000);

    const generation = cartesia.generations.at(-1);
    expect(generation?.transcript.replace(/\s+/g, ' ').trim()).toBe(text);
    expect(generation?.modelId).toBe('sonic-3');
    expect(generation?.done).toBe(true);
  });

  it('refuses a wrong API key at the handshake, as Cartesia does', async () => {
    const before = cartesia.generations.length;
    const model = createTts(ttsConfig('wrong-key'));
    const failure = new Promise<Parameters<tts.TTSCallbacks['error']>[0]>((resolve) =>
      model.once('error', resolve),
    );
    const stream = model.stream({ connOptions: NO_RETRY });
    stream.pushText('Hello there, this should never be spoken aloud.');
    stream.endInput();
    const { error, recoverable } = await failure;
    expect(recoverable).toBe(false);
    expect(String(error)).toMatch(/401/);
    expect(cartesia.generations.length).toBe(before);
    stream.close();
  });
});
