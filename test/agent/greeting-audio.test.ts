/**
 * The greeting synthesised ahead of the session (agent/greeting-audio.ts), against the real
 * Cartesia plugin behind the session's RecoveringTTS and the Cartesia stand-in: the audio is asked
 * for at once and kept whole until it is played; a synthesis that fails before any audio hands
 * back nothing, so the greeting is said the usual way; a cancelled one ends. Then saying it, on
 * the framework's real AgentSession in text mode: said when the session runs; on a session that
 * closed meanwhile (the caller hung up), the kept audio is dropped and the job carries on.
 */
import { ReadableStream } from 'node:stream/web';
import { initializeLogger, voice } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import type { AudioFrame } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type PresynthesizedSpeech,
  presynthesize,
  sayGreeting,
} from '../../agent/greeting-audio.ts';
import { RecoveringTTS } from '../../agent/resilience/recovering-tts.ts';
import {
  type CartesiaStandin,
  speechSeconds,
  startCartesiaStandin,
} from '../support/cartesia-standin.ts';
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

function speechOut(apiKey = standin.apiKey): RecoveringTTS {
  const plugin = new cartesia.TTS({ apiKey, baseUrl: standin.baseUrl, sampleRate: 24000 });
  return new RecoveringTTS(plugin, { logger: recordingLogger() });
}

describe('presynthesize', () => {
  it('asks for the speech at once and keeps all of its audio until it is played', async () => {
    const engine = speechOut();
    const known = standin.generations.length;
    const greeting = presynthesize(engine, GREETING, recordingLogger());
    // Nobody has asked for the audio yet, and the whole greeting has been synthesised.
    await vi.waitFor(() => expect(standin.generations[known]?.done).toBe(true), { timeout: 5000 });
    expect(standin.generations[known]?.transcript.trim()).toBe(GREETING);

    const audio = await greeting.audio();
    expect(audio).toBeDefined();
    let seconds = 0;
    for await (const frame of audio ?? []) seconds += frame.samplesPerChannel / frame.sampleRate;
    expect(seconds).toBeCloseTo(speechSeconds(GREETING), 1);
    await engine.close();
  });

  it('hands back no audio when the synthesis fails before any, so the text is said the usual way', async () => {
    const engine = speechOut('sk_car_wrong');
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
    const engine = speechOut();
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

/** Kept audio that records whether the session dropped it. */
function keptAudio(): PresynthesizedSpeech & { cancelled: () => boolean } {
  let cancelled = false;
  const audio = new ReadableStream<AudioFrame>({
    pull: () => new Promise<void>(() => undefined),
    cancel: () => {
      cancelled = true;
    },
  });
  return { audio: async () => audio, cancel: () => undefined, cancelled: () => cancelled };
}

async function textSession(): Promise<voice.AgentSession> {
  const session = new voice.AgentSession({ vad: null });
  await session.start({ agent: new voice.Agent({ instructions: 'Greet the user.' }) });
  return session;
}

describe('sayGreeting', () => {
  it('says the greeting on a running session', async () => {
    const session = await textSession();
    const logger = recordingLogger();
    const nothingKept: PresynthesizedSpeech = { audio: async () => undefined, cancel: () => {} };
    await sayGreeting(session, GREETING, nothingKept, logger);
    await vi.waitFor(() =>
      expect(
        session.history.items.map((item) => item.type === 'message' && item.textContent),
      ).toContain(GREETING),
    );
    expect(logger.lines).toEqual([]);
    await session.close();
  });

  it('drops the kept audio and logs it when the session closed while it was awaited', async () => {
    const session = await textSession();
    await session.close();
    const logger = recordingLogger();
    const kept = keptAudio();
    await sayGreeting(session, GREETING, kept, logger);
    expect(kept.cancelled()).toBe(true);
    expect(logger.lines).toEqual([
      { level: 'warn', event: 'greeting_not_said', fields: { error: 'Error' } },
    ]);
  });
});
