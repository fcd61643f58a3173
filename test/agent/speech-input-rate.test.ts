/**
 * The session takes the caller's audio from the room at the rate its voice detector and
 * speech-to-text use (agent/session.ts, COACH_ROOM_INPUT), so neither resamples it in JavaScript:
 * at the framework's default of 24 kHz each made a native resampler and called it for every
 * 10 ms frame. Checked on the real plugins and the real native client, by counting the native
 * resampler requests while frames go in.
 */

import { inference, initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVoiceAgentConfig } from '../../agent/config.ts';
import { type NativeBindings, rtcNodeBindings } from '../../agent/native-log-capture.ts';
import { createStt } from '../../agent/providers.ts';
import { COACH_ROOM_INPUT } from '../../agent/session.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { toneFrame } from '../support/tone-frame.ts';

interface RequestBindings extends NativeBindings {
  FfiRequest: {
    prototype: { message: { case?: string }; toBinary(...args: unknown[]): Uint8Array };
  };
}

const bindings = rtcNodeBindings() as RequestBindings;
const requests: string[] = [];
const toBinary = bindings.FfiRequest.prototype.toBinary;
beforeAll(() => {
  initializeLogger({ pretty: false, level: 'silent' });
  bindings.FfiRequest.prototype.toBinary = function (
    this: { message: { case?: string } },
    ...args
  ) {
    requests.push(this.message.case ?? 'none');
    return toBinary.apply(this, args);
  };
});
afterAll(() => {
  bindings.FfiRequest.prototype.toBinary = toBinary;
});

const resamplerRequests = () => requests.filter((kind) => kind.endsWith('SoxResampler')).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const config = (model: string) =>
  loadVoiceAgentConfig(
    withDevDefaults({
      DEEPGRAM_API_KEY: 'dg-unused',
      CARTESIA_API_KEY: 'ca-unused',
      OPENAI_API_KEY: 'oa-unused',
      // Nothing listens there: the frames are resampled (or not) before anything is sent.
      DEEPGRAM_BASE_URL: 'ws://127.0.0.1:9',
      DEEPGRAM_MODEL: model,
    }),
  );

/** Frames at `sampleRate` through a voice detector and a speech-to-text stream; resamplers made. */
async function resamplersFor(model: string, sampleRate: number): Promise<number> {
  const before = resamplerRequests();
  const vad = new inference.VAD({ model: 'silero' });
  const vadStream = vad.stream();
  const sttStream = createStt(config(model).stt).stream();
  try {
    for (let i = 0; i < 5; i++) {
      // 10 ms frames, as the room's audio stream delivers them.
      vadStream.pushFrame(toneFrame(sampleRate));
      sttStream.pushFrame(toneFrame(sampleRate));
    }
    // The voice detector reads its input in a task of its own.
    await sleep(300);
    return resamplerRequests() - before;
  } finally {
    vadStream.close();
    sttStream.close();
  }
}

describe('the rate the caller is heard at', () => {
  it.each(['flux-general-en', 'nova-3'])(
    'needs no resampling in JavaScript on %s, where the framework default needed two resamplers',
    async (model) => {
      const rate = COACH_ROOM_INPUT.audioSampleRate;
      expect(rate).toBeDefined();
      expect(await resamplersFor(model, rate ?? 0)).toBe(0);
      // The framework's default input rate, as before: one resampler each, called per frame.
      expect(await resamplersFor(model, 24_000)).toBeGreaterThanOrEqual(4);
    },
  );
});
