/**
 * Provider faults on the voice path as a caller lives them: the simulated caller speaks real
 * audio, and a provider breaks during the conversation. The fixes live in agent/resilience (from
 * the voicefaults branch); these scenarios check them from the caller's side of the call.
 *
 * 6. The speech-to-text socket dropped when the caller stops speaking (cut, or closed with an
 *    error code): the next utterance is heard and answered.
 * 7. The text-to-speech socket dropped before the reply's first audio (the reply is synthesised
 *    again) or mid-reply (retried, or a short apology): never silence, and the next turn works.
 * 8. The voice model failing or hanging mid-turn: a spoken apology, and the next turn works.
 *
 * Times (drop to answer, question to apology) are printed, not asserted: they belong in the bench.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SPEECH_APOLOGY } from '../../agent/resilience/recovering-tts.ts';
import { REPLY_APOLOGY } from '../../agent/resilience/reply-deadline.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import type { CartesiaGeneration, CartesiaMidReplyDrop } from '../support/cartesia-standin.ts';
import { CALLER_LINES, scriptedCoachReply } from '../support/coach-script.ts';
import type { SocketDrop } from '../support/deepgram-standin.ts';
import { livekitServerAvailability } from '../support/livekit-server.ts';
import type { StandinReply } from '../support/openai-standin.ts';
import { eventually } from './livekit.ts';
import {
  heardGreeting,
  startVoiceScenarioRig,
  type VoiceScenarioRig,
} from './voice-scenario-rig.ts';

const availability = livekitServerAvailability();
if (!availability.available) console.warn(`skipping voice fault scenarios: ${availability.reason}`);

/** Deepgram's own close code for a server-side failure. */
const DEEPGRAM_SERVER_ERROR = 1011;
const LOGGED_LUNGES = /Logged 8 reps of lunge/;

let rig: VoiceScenarioRig;

beforeAll(async () => {
  if (availability.available) rig = await startVoiceScenarioRig(availability.binary);
}, 180_000);

afterAll(async () => {
  await rig?.close();
}, 90_000);

/**
 * What followed the dropped generation: the apology, or the same reply again on a new context
 * (its first sentence is what the dropped one had got when the socket went). Undefined until one
 * of them has synthesised audio.
 */
function recoveryAfterDrop(
  generations: readonly CartesiaGeneration[],
): { kind: 'retry' | 'apology'; generation: CartesiaGeneration } | undefined {
  const droppedAt = generations.findIndex((g) => g.dropped);
  const dropped = generations[droppedAt];
  if (!dropped) return undefined;
  for (const generation of generations.slice(droppedAt + 1)) {
    if (generation.chunksSent === 0) continue;
    if (generation.transcript.includes(SPEECH_APOLOGY)) return { kind: 'apology', generation };
    if (dropped.transcript.trim() && generation.transcript.includes(dropped.transcript.trim())) {
      return { kind: 'retry', generation };
    }
  }
  return undefined;
}

/** The next turn works: a set is logged and its confirmation is spoken and heard. */
async function nextTurnWorks(caller: Awaited<ReturnType<VoiceScenarioRig['call']>>) {
  const since = rig.standins.cartesia.generations.length;
  const asked = await rig.ask(caller, CALLER_LINES.logLunges);
  await eventually('the next turn to be answered', () =>
    LOGGED_LUNGES.test(rig.spokenSince(since)) ? true : undefined,
  );
  return asked;
}

describe.skipIf(!availability.available)('provider faults, from the caller side', () => {
  const drops: Array<[string, SocketDrop]> = [
    ['terminate', { kind: 'terminate' }],
    ['close 1011', { kind: 'close', code: DEEPGRAM_SERVER_ERROR, reason: 'NET-0001' }],
  ];
  for (const [name, drop] of drops) {
    it(`6. speech-to-text dropped (${name}): the next utterance is heard and answered`, async () => {
      const caller = await rig.call(DEMO_USER_ID, 'workout');
      await heardGreeting(caller);
      const streamsBefore = rig.standins.deepgram.streams.length;
      const utterancesBefore = rig.standins.deepgram.utterances.length;
      rig.standins.deepgram.dropAtNextUtteranceEnd(drop);
      // This utterance is lost with the socket, as it would be in a real drop.
      await caller.say(CALLER_LINES.workout);
      const dropped = await eventually('the drop', () =>
        rig.standins.deepgram.utterances
          .slice(utterancesBefore)
          .find((u) => u.dropped !== undefined),
      );
      // The caller speaks again once the agent has a new stream: what is said while no stream is
      // open cannot be heard by anyone.
      await eventually('the agent to open a new stream', () =>
        rig.standins.deepgram.streams.some(
          (s) => !s.closed && rig.standins.deepgram.streams.indexOf(s) >= streamsBefore,
        )
          ? true
          : undefined,
      );
      const reopenedAt = performance.now();
      expect(dropped.sentAt).toBeUndefined();
      const { heardAt } = await nextTurnWorks(caller);
      console.log(
        `STT ${name}: stream reopened ${Math.round(reopenedAt - dropped.detectedAt)} ms after the drop; answer heard ${Math.round(heardAt - dropped.detectedAt)} ms after the drop`,
      );
      await caller.hangUp();
    }, 180_000);
  }

  const ttsDrops: Array<[string, CartesiaMidReplyDrop, 'retry' | 'retry or apology']> = [
    // Nothing of the reply reached the agent: it is synthesised again, whole.
    ['before its first audio (terminate)', { afterChunks: 0, mode: 'terminate' }, 'retry'],
    // Some audio went out: whether it reached the wrapper before the socket's end decides between
    // the retry and the apology, and that race is the network's, so either is right.
    ['mid-reply (terminate)', { afterChunks: 3, mode: 'terminate' }, 'retry or apology'],
    ['mid-reply (close)', { afterChunks: 3, mode: 'close' }, 'retry or apology'],
  ];
  for (const [name, drop, expected] of ttsDrops) {
    it(`7. text-to-speech dropped ${name}: the reply is retried or apologised for, and the next turn works`, async () => {
      const caller = await rig.call(DEMO_USER_ID, 'workout');
      await heardGreeting(caller);
      const since = rig.standins.cartesia.generations.length;
      rig.standins.cartesia.dropMidReply(drop);
      const { turn } = await rig.ask(caller, CALLER_LINES.workout);
      const recovered = await eventually('a retry or an apology', () =>
        recoveryAfterDrop(rig.standins.cartesia.generations.slice(since)),
      );
      expect(recovered.kind === 'retry' || expected === 'retry or apology').toBe(true);
      // Not silence: the recovery was synthesised and the caller heard it.
      expect(recovered.generation.chunksSent).toBeGreaterThan(0);
      const soundAfter = await caller.waitForCoachSound(recovered.generation.requestedAt, 30_000);
      console.log(
        `TTS dropped ${name}: ${recovered.kind} heard ${Math.round(soundAfter - turn.endedAt)} ms after the question`,
      );
      await caller.waitForCoachDone();
      await nextTurnWorks(caller);
      await caller.hangUp();
    }, 180_000);
  }

  const modelFaults: Array<[string, StandinReply]> = [
    ['fails', { status: 500 }],
    ['hangs', { hang: true }],
    [
      'stalls mid-answer',
      {
        content: 'Today you have a lower body day with',
        interrupt: { afterChunks: 1, mode: 'stall' },
      },
    ],
  ];
  for (const [name, fault] of modelFaults) {
    it(`8. the voice model ${name} mid-turn: a spoken apology, and the next turn works`, async () => {
      const caller = await rig.call(DEMO_USER_ID, 'workout');
      await heardGreeting(caller);
      let failing = true;
      rig.standins.voiceLlm.setHandler((request) =>
        failing ? fault : scriptedCoachReply(request),
      );
      try {
        const since = rig.standins.cartesia.generations.length;
        const { turn, heardAt } = await rig.ask(caller, CALLER_LINES.workout);
        const apology = await eventually('the apology', () =>
          rig.standins.cartesia.generations
            .slice(since)
            .find((g) => g.transcript.includes(REPLY_APOLOGY)),
        );
        const apologyHeard = await caller.waitForCoachSound(apology.requestedAt, 30_000);
        console.log(
          `LLM ${name}: first audio ${Math.round(heardAt - turn.endedAt)} ms, apology heard ${Math.round(apologyHeard - turn.endedAt)} ms after the end of speech`,
        );
        failing = false;
        await caller.waitForCoachDone();
        await nextTurnWorks(caller);
      } finally {
        rig.standins.voiceLlm.reset();
        await caller.hangUp();
      }
    }, 180_000);
  }
});
