/**
 * The greeting synthesised ahead of the session (agent/greeting-audio.ts), against the real
 * Cartesia plugin behind the session's RecoveringTTS and the Cartesia stand-in: the audio is asked
 * for at once and kept whole until it is played; a synthesis that fails before any audio hands
 * back nothing, so the greeting is said the usual way; a cancelled one ends.
 */
import { initializeLogger } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { presynthesize } from '../../agent/greeting-audio.ts';
import { RecoveringTTS } from '../../agent/resilience/recovering-tts.ts';
import { type CartesiaStandin, startCartesiaStandin } from '../support/cartesia-standin.ts';
import { recordingLogger } from './fixtures.ts';

const GREETING = "Hi Demo! Want to go over today's meals or talk about what to eat?";

let standin: CartesiaStandin;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'silent' });
  standin = await startCartesiaStandin();
});

afterAll(async () => {
  await standin.close();
});

function voice(apiKey = standin.apiKey): RecoveringTTS {
  const plugin = new cartesia.TTS({ apiKey, baseUrl: standin.baseUrl, sampleRate: 24000 });
  return new RecoveringTTS(plugin, { logger: recordingLogger() });
}

/** Seconds of stand-in audio for `text` (see cartesia-standin.ts: 30 ms per character). */
const expectedSeconds = (text: string) => text.trim().length * 0.03;

describe('presynthesize', () => {
  it('asks for the speech at once and keeps all of its audio until it is played', async () => {
    const engine = voice();
    const known = standin.generations.length;
    const greeting = presynthesize(engine, GREETING, recordingLogger());
    // Nobody has asked for the audio yet, and the whole greeting has been synthesised.
    await vi.waitFor(() => expect(standin.generations[known]?.done).toBe(true), { timeout: 5000 });
    expect(standin.generations[known]?.transcript.trim()).toBe(GREETING);

    const audio = await greeting.audio();
    expect(audio).toBeDefined();
    let seconds = 0;
    for await (const frame of audio ?? []) seconds += frame.samplesPerChannel / frame.sampleRate;
    expect(seconds).toBeCloseTo(expectedSeconds(GREETING), 1);
    await engine.close();
  });

  it('hands back no audio when the synthesis fails before any, so the text is said the usual way', async () => {
    const engine = voice('sk_car_wrong');
    const logger = recordingLogger();
    const greeting = presynthesize(engine, GREETING, logger);
    expect(await greeting.audio()).toBeUndefined();
    expect(logger.lines).toContainEqual({
      level: 'warn',
      event: 'greeting_presynthesis_failed',
      fields: { failure: 'no_audio' },
    });
    await engine.close();
  });

  it('ends when cancelled before the session plays it', async () => {
    const engine = voice();
    standin.setTimeToFirstByte(2000);
    try {
      const greeting = presynthesize(engine, GREETING, recordingLogger());
      greeting.cancel();
      expect(await greeting.audio()).toBeUndefined();
    } finally {
      standin.setTimeToFirstByte(0);
      await engine.close();
    }
  });
});
