/**
 * Turn-taking on the whole voice path (real livekit-server, the agent server process, real speech
 * over WebRTC): a caller who pauses in the middle of a request is heard as one turn, not two. The
 * Deepgram stand-in ends a turn after 200 ms of quiet, so it sends the first half as a final
 * transcript during the pause; the coach must wait for the rest instead of answering half a
 * request ("Sorry, could you say that again?") and then being talked over.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workoutLogs } from '../../drizzle/schema.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DID_NOT_UNDERSTAND } from '../support/coach-script.ts';
import { livekitServerAvailability } from '../support/livekit-server.ts';
import { type ChatCompletionMessage, endsWithToolOutput } from '../support/openai-standin.ts';
import type { VoiceCaller } from '../support/voice-caller.ts';
import { eventually } from './livekit.ts';
import {
  heardGreeting,
  startVoiceScenarioRig,
  type VoiceScenarioRig,
} from './voice-scenario-rig.ts';

const availability = livekitServerAvailability();
if (!availability.available) console.warn(`skipping turn-taking: ${availability.reason}`);

let rig: VoiceScenarioRig;

beforeAll(async () => {
  if (!availability.available) return;
  rig = await startVoiceScenarioRig(availability.binary);
  // The least quiet that still keeps one sentence whole (as the voice bench uses): the 400 ms
  // pause then splits the request into two transcripts with room to spare on a busy machine, as
  // Nova (endpointing at 25 ms in the plugin's settings) would split it. The coach runs on Flux,
  // whose end of turn here comes on quiet alone, after the eager one: the test does not count on
  // Flux hearing that the sentence is unfinished.
  rig.standins.deepgram.setTiming({ endpointingMs: 200, eagerEndOfTurnMs: 150, endOfTurnMs: 200 });
}, 180_000);

afterAll(async () => {
  await rig?.close();
}, 90_000);

const userLines = (messages: readonly ChatCompletionMessage[]) =>
  messages
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : ''));

/**
 * What the agent was doing around a caller's turn, in ms from the start of the turn: for a failure
 * of the "kept quiet" check, which happened once in CI and could not be made to happen again, to
 * say whether the sound was a late piece of the greeting or an answer to half the request.
 */
function whatSoundedDuring(
  caller: VoiceCaller,
  turn: { startedAt: number; endedAt: number },
  llmBefore: number,
  ttsBefore: number,
): string {
  const at = (t: number | undefined) => (t === undefined ? '-' : Math.round(t - turn.startedAt));
  const said = rig.standins.cartesia.generations
    .slice(ttsBefore)
    .map((g) => `  ${at(g.requestedAt)} / ${at(g.firstAudioAt)}: ${g.transcript.slice(0, 60)}`);
  const asked = rig.standins.voiceLlm.requests
    .slice(llmBefore)
    .map((r) => `  ${at(r.receivedAt)}: ${userLines(r.body.messages).at(-1) ?? ''}`);
  const heard = rig.standins.deepgram.utterances
    .filter((u) => u.lastLoudAt >= turn.startedAt)
    .map((u) => `  ${at(u.finalAt)}: ${u.transcript ?? '(no words)'}`);
  return [
    `the caller's turn ended at ${at(turn.endedAt)} ms; coach sounds ${JSON.stringify(
      caller.coachSounds.map((s) => [at(s.startedAt), at(s.endedAt)]),
    )}`,
    'speech requested / first audio:',
    ...said,
    'model requests:',
    ...asked,
    'transcripts:',
    ...heard,
  ].join('\n');
}

describe.skipIf(!availability.available)('a pause in the middle of a request', () => {
  it.each([
    {
      pauseMs: 400,
      first: 'Log ten squats',
      rest: 'at sixty kilos',
      exercise: 'squat',
      reps: 10,
      kg: 60,
    },
    {
      pauseMs: 600,
      first: 'Log eight lunges',
      rest: 'at twenty kilos',
      exercise: 'lunge',
      reps: 8,
      kg: 20,
    },
  ])(
    '"$first ... $rest" with $pauseMs ms of silence is one turn',
    async (c) => {
      const ttsBeforeCall = rig.standins.cartesia.generations.length;
      const caller = await rig.call(DEMO_USER_ID, 'workout');
      await heardGreeting(caller);
      const llmBefore = rig.standins.voiceLlm.requests.length;
      const ttsBefore = rig.standins.cartesia.generations.length;
      // What the live service would send: each half as its own final transcript.
      rig.standins.deepgram.enqueueTranscripts(c.first, c.rest);
      const turn = await caller.say([c.first, c.rest], { pauseMs: c.pauseMs });
      const heardAt = await caller.waitForCoachSound(turn.endedAt);
      await caller.waitForCoachDone();

      // Both halves reached the agent as separate transcripts, so the pause was a real one. A
      // wordless piece the stand-in cut off on a machine too busy to send the caller's audio
      // evenly (one such gap on a slower machine in CI) is no half of the request.
      const heard = rig.standins.deepgram.utterances.filter(
        (u) =>
          u.lastLoudAt >= turn.startedAt && u.finalAt !== undefined && u.transcript !== undefined,
      );
      expect(heard.map((u) => u.transcript)).toEqual([c.first, c.rest]);
      // The coach kept quiet through the pause and answered once, after the whole request.
      const during = caller.coachSounds.filter(
        (s) => s.startedAt > turn.startedAt && s.startedAt < heardAt,
      );
      expect(during, whatSoundedDuring(caller, turn, llmBefore, ttsBeforeCall)).toEqual([]);
      console.log(
        `pause of ${c.pauseMs} ms: the coach answered ${Math.round(heardAt - turn.endedAt)} ms after the end of the request`,
      );
      const spoken = rig.spokenSince(ttsBefore);
      expect(spoken).not.toContain(DID_NOT_UNDERSTAND);
      expect(spoken).toContain(`Logged ${c.reps} reps of ${c.exercise}`);
      // One user turn holding the whole request: the half request was never a turn of its own.
      const lastRequest = rig.standins.voiceLlm.requests.at(-1);
      const lines = userLines(lastRequest?.body.messages ?? []);
      expect(lines.at(-1)).toBe(`${c.first} ${c.rest}`);
      expect(lines.filter((line) => line === c.first)).toEqual([]);
      // The tool said the confirmation itself: the model was not asked again after it.
      const afterTool = rig.standins.voiceLlm.requests
        .slice(llmBefore)
        .filter((r) => endsWithToolOutput(r.body.messages));
      expect(afterTool).toEqual([]);
      // And the set is stored once, with its weight.
      const rows = await eventually('the set in PostgreSQL', async () => {
        const found = await rig.test.db
          .select()
          .from(workoutLogs)
          .where(and(eq(workoutLogs.userId, DEMO_USER_ID), eq(workoutLogs.exercise, c.exercise)));
        return found.length > 0 ? found : undefined;
      });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ reps: c.reps, weightKg: c.kg });
      await caller.hangUp();
    },
    120_000,
  );
});
