/**
 * The text-to-speech wrapper against the real Cartesia plugin and the Cartesia stand-in: a socket
 * dropped before any audio gets the whole reply again on a fresh socket; one dropped after some
 * audio played ends with the short apology; the next reply works either way. The bare plugin,
 * under the same drop, returns no audio at all: that is the bug.
 */
import { initializeLogger, tts } from '@livekit/agents';
import * as cartesia from '@livekit/agents-plugin-cartesia';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecoveringTTS, SPEECH_APOLOGY } from '../../agent/resilience/recovering-tts.ts';
import type { Logger } from '../../shared/runtime.ts';
import {
  type CartesiaStandin,
  speechSeconds,
  startCartesiaStandin,
} from '../support/cartesia-standin.ts';

const REPLY = 'Today is legs. Back squats, three sets of eight at sixty kilos, then lunges.';

let standin: CartesiaStandin;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'silent' });
  standin = await startCartesiaStandin();
});

afterAll(async () => {
  await standin.close();
});

function recordingLogger(): Logger & { events: string[] } {
  const events: string[] = [];
  const record = (event: string) => events.push(event);
  return { events, info: record, warn: record, error: record };
}

function plugin(): cartesia.TTS {
  return new cartesia.TTS({
    apiKey: standin.apiKey,
    baseUrl: standin.baseUrl,
    sampleRate: 24000,
  });
}

interface Spoken {
  audioSeconds: number;
  finished: boolean;
}

/** Streams `text` in two pieces, as a model does, and measures the audio that comes back. */
async function speak(engine: tts.TTS, text: string): Promise<Spoken> {
  const stream = engine.stream();
  const middle = Math.floor(text.length / 2);
  stream.pushText(text.slice(0, middle));
  stream.pushText(text.slice(middle));
  stream.endInput();
  let audioSeconds = 0;
  let finished = false;
  for await (const audio of stream) {
    if (audio === tts.SynthesizeStream.END_OF_STREAM) {
      finished = true;
      break;
    }
    audioSeconds += audio.frame.samplesPerChannel / audio.frame.sampleRate;
  }
  stream.close();
  return { audioSeconds, finished };
}

const transcriptsSince = (known: number) =>
  standin.generations.slice(known).map((g) => g.transcript.replace(/\s+/g, ' ').trim());

describe('RecoveringTTS over the Cartesia plugin', () => {
  it('sends the whole reply again on a fresh socket when the drop came before any audio', async () => {
    const logger = recordingLogger();
    const engine = new RecoveringTTS(plugin(), { logger });
    const known = standin.generations.length;
    const drops = standin.drops;
    standin.dropMidReply({ afterChunks: 0 });

    const spoken = await speak(engine, REPLY);

    expect(standin.drops).toBe(drops + 1);
    expect(spoken.finished).toBe(true);
    expect(spoken.audioSeconds).toBeGreaterThan(speechSeconds(REPLY) * 0.9);
    expect(transcriptsSince(known).at(-1)).toBe(REPLY);
    expect(logger.events).toEqual(['tts_provider_error', 'tts_reply_retried']);

    const next = await speak(engine, 'Next set now.');
    expect(next.finished).toBe(true);
    expect(next.audioSeconds).toBeGreaterThan(0);
  }, 20_000);

  it('ends with the apology when the drop came after some audio played', async () => {
    const logger = recordingLogger();
    const engine = new RecoveringTTS(plugin(), { logger });
    const known = standin.generations.length;
    standin.dropMidReply({ afterChunks: 3, mode: 'close' });

    const spoken = await speak(engine, REPLY);

    expect(spoken.finished).toBe(true);
    // Three chunks of the reply, then the whole apology.
    expect(spoken.audioSeconds).toBeGreaterThan(speechSeconds(SPEECH_APOLOGY));
    expect(transcriptsSince(known).at(-1)).toBe(SPEECH_APOLOGY);
    expect(logger.events).toEqual(['tts_provider_error', 'tts_reply_apologised']);

    const next = await speak(engine, 'Next set now.');
    expect(next.finished).toBe(true);
    expect(next.audioSeconds).toBeGreaterThan(0);
  }, 20_000);

  it('the bare plugin loses the reply under the same drop (the bug the wrapper works around)', async () => {
    standin.dropMidReply({ afterChunks: 0 });
    const spoken = await speak(plugin(), REPLY);
    expect(spoken.audioSeconds).toBe(0);
  }, 20_000);
});
