/**
 * The voice path as a user takes it, end to end: a simulated caller gets its token from the edge
 * API (on real PostgreSQL), joins a real livekit-server and speaks real speech (espeak-ng) into a
 * real-time microphone track; the real agent server process hears it with its VAD, the Deepgram
 * stand-in endpoints it from the audio and transcribes it from a script, the scripted voice model
 * answers (calling the coach's tools), Cartesia's stand-in speaks, and the caller hears it over
 * WebRTC. Timings are measured and printed, never asserted tightly (they belong in the bench).
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spokenList } from '../../agent/coaching/phrases.ts';
import { REPLY_APOLOGY } from '../../agent/resilience/reply-deadline.ts';
import { SPECIALIST_FILLER } from '../../agent/tools.ts';
import { mealPlans, userProfiles, users, workoutLogs, workoutPlans } from '../../drizzle/schema.ts';
import { DEMO_USER_ID, SEED_USERS, type SeedUser } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import type { AgentType, Weekday } from '../../shared/schemas.ts';
import { CALLER_LINES } from '../support/coach-script.ts';
import { livekitServerAvailability } from '../support/livekit-server.ts';
import { endsWithToolOutput } from '../support/openai-standin.ts';
import { SPECIALIST_ANSWER } from '../support/voice-rig.ts';
import { fragmentsSince, wholeLineTranscriber } from '../support/whole-line-transcriber.ts';
import type { LogLine } from './agent-process.ts';
import { eventually, livekitClients } from './livekit.ts';
import {
  heardGreeting,
  startVoiceScenarioRig,
  type VoiceScenarioRig,
} from './voice-scenario-rig.ts';

const availability = livekitServerAvailability();
if (!availability.available) console.warn(`skipping voice scenarios: ${availability.reason}`);

/** Scenario 10: how often a caller whose answer was not spoken asks again, and how far apart. */
const MAX_ASKS_AGAIN = 4;
const ASK_AGAIN_STAGGER_MS = 700;

const DEMO = SEED_USERS.find((seed) => seed.user.id === DEMO_USER_ID);
if (!DEMO) throw new Error('the seed has no demo user');

let rig: VoiceScenarioRig;

beforeAll(async () => {
  if (availability.available) rig = await startVoiceScenarioRig(availability.binary);
}, 180_000);

afterAll(async () => {
  await rig?.close();
}, 90_000);

/** The seeded user's weekday right now, in their own time zone (computed apart from the API). */
function localWeekday(timeZone: string): Weekday {
  return new Intl.DateTimeFormat('en-US', { weekday: 'long', timeZone })
    .format(new Date())
    .toLowerCase() as Weekday;
}

/** Today's exercise names of a seeded user's plan, in that user's own time zone. */
function todaysExercises(seed: SeedUser): string[] {
  const weekday = localWeekday(String(seed.profile.timeZone));
  return seed.workoutPlan.days?.find((d) => d.day === weekday)?.exercises.map((e) => e.name) ?? [];
}

/** A copy of a seeded user with new ids, a new name and exercises nobody else has. */
function distinctUser(base: SeedUser, n: number): SeedUser {
  const id = crypto.randomUUID();
  return {
    user: { id, email: `caller${n}@example.com` },
    profile: { ...base.profile, userId: id, name: `Caller${n} Tester` },
    workoutPlan: {
      ...base.workoutPlan,
      id: crypto.randomUUID(),
      userId: id,
      days: base.workoutPlan.days?.map((day) => ({
        ...day,
        exercises: day.exercises.map((e) => ({ ...e, name: `${e.name} variation ${n}` })),
      })),
    },
    mealPlan: { ...base.mealPlan, id: crypto.randomUUID(), userId: id },
  };
}

async function insertUser(seed: SeedUser): Promise<void> {
  await rig.test.db.insert(users).values(seed.user);
  await rig.test.db.insert(userProfiles).values(seed.profile);
  await rig.test.db.insert(workoutPlans).values(seed.workoutPlan);
  await rig.test.db.insert(mealPlans).values(seed.mealPlan);
}

const jobLog = (event: string, reason?: string) => (line: LogLine) =>
  line.event === event && (reason === undefined || line.reason === reason);

describe.skipIf(!availability.available)('voice scenarios on the real rig', () => {
  it('1. each agent type greets the user by name with a greeting that fits the type', async () => {
    const fits: Record<AgentType, RegExp> = {
      workout: /train/i,
      diet: /meals|eat/i,
      supplement: /supplement/i,
      general: /fitness coach/i,
    };
    for (const agentType of Object.keys(fits) as AgentType[]) {
      const before = rig.standins.cartesia.generations.length;
      const caller = await rig.call(DEMO_USER_ID, agentType);
      const heardAt = await caller.waitForCoachSound(0, 60_000);
      expect(heardAt).toBeGreaterThan(0);
      const greeting = await eventually(`the ${agentType} greeting`, () => {
        const text = rig.spokenSince(before);
        return text.includes('Demo') ? text : undefined;
      });
      expect(greeting).toMatch(fits[agentType]);
      await caller.hangUp();
    }
  }, 240_000);

  it("2. answers today's workout from the pre-loaded context, in the user's time zone", async () => {
    const caller = await rig.call(DEMO_USER_ID, 'workout');
    await heardGreeting(caller);
    const before = rig.standins.cartesia.generations.length;
    const weekday = localWeekday(String(DEMO.profile.timeZone));
    await rig.ask(caller, CALLER_LINES.workout);
    const expected = todaysExercises(DEMO);
    expect(weekday).toBeTruthy();
    const text = await eventually('the workout reply to be spoken', () => {
      const spoken = rig.spokenSince(before);
      return spoken.length > 0 && (expected.length === 0 || spoken.includes(expected.at(-1) ?? ''))
        ? spoken
        : undefined;
    });
    for (const name of expected) expect(text).toContain(name);
    if (expected.length === 0) expect(text).toMatch(/rest day/i);
    await caller.hangUp();
  }, 120_000);

  it('3. "log ten squats at sixty kilos" puts the set in PostgreSQL once', async () => {
    const caller = await rig.call(DEMO_USER_ID, 'workout');
    await heardGreeting(caller);
    const squats = and(eq(workoutLogs.userId, DEMO_USER_ID), eq(workoutLogs.exercise, 'squat'));
    const before = rig.standins.voiceLlm.requests.length;
    const ttsBefore = rig.standins.cartesia.generations.length;
    const { turn } = await rig.ask(caller, CALLER_LINES.logSquats);
    const rows = await eventually('the set in PostgreSQL', async () => {
      const found = await rig.test.db.select().from(workoutLogs).where(squats);
      return found.length > 0 ? found : undefined;
    });
    const storedAt = performance.now();
    // The coach said the tool's confirmation itself: the model was not asked after the tool.
    const confirmation = rig.standins.cartesia.generations
      .slice(ttsBefore)
      .find((generation) => generation.transcript.includes('Logged 10 reps of squat at 60 kg.'));
    expect(confirmation).toBeDefined();
    const afterTool = rig.standins.voiceLlm.requests
      .slice(before)
      .filter((request) => endsWithToolOutput(request.body.messages));
    expect(afterTool).toEqual([]);
    console.log(
      `set stored ${Math.round(storedAt - (confirmation?.requestedAt ?? turn.endedAt))} ms after the coach confirmed it (polled every 100 ms)`,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      userId: DEMO_USER_ID,
      exercise: 'squat',
      reps: 10,
      weightKg: 60,
    });
    // Still once after the spool and the queue have had time to resend anything.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await rig.test.db.select().from(workoutLogs).where(squats)).toHaveLength(1);
    await caller.hangUp();
  }, 120_000);

  it('4. a specialist question goes through the edge API and its answer is spoken; a slow one gets the filler first', async () => {
    const caller = await rig.call(DEMO_USER_ID, 'workout');
    await heardGreeting(caller);
    let before = rig.standins.cartesia.generations.length;
    await rig.ask(caller, CALLER_LINES.specialist);
    const answer = await eventually('the specialist answer to be spoken', () =>
      rig.standins.cartesia.generations
        .slice(before)
        .find((g) => g.transcript.includes('goblet squats')),
    );
    expect(answer.transcript).toContain(SPECIALIST_ANSWER.slice(0, 40));
    expect(rig.api.requests).toContainEqual({
      method: 'POST',
      path: '/v1/specialists/query',
      auth: 'service',
    });
    expect(rig.standins.specialistLlm.requests.length).toBeGreaterThan(0);
    await caller.waitForCoachDone();

    // Slow: the specialist takes 1 s, past the filler's 300 ms, within the 1.8 s deadline.
    rig.standins.specialistLlm.setFirstTokenDelay(1000);
    before = rig.standins.cartesia.generations.length;
    const { heardAt } = await rig.ask(caller, CALLER_LINES.specialist);
    const slowAnswer = await eventually('the slow specialist answer to be spoken', () =>
      rig.standins.cartesia.generations
        .slice(before)
        .find((g) => g.transcript.includes('goblet squats')),
    );
    const filler = rig.standins.cartesia.generations
      .slice(before)
      .find((g) => g.transcript.includes(SPECIALIST_FILLER));
    expect(filler).toBeDefined();
    expect(filler?.requestedAt ?? Infinity).toBeLessThan(slowAnswer.requestedAt);
    // What the caller heard first was the filler: sound before the answer was even synthesised.
    expect(heardAt).toBeLessThan(slowAnswer.requestedAt);
    rig.standins.specialistLlm.setFirstTokenDelay(0);
    await caller.hangUp();
  }, 120_000);

  it('5. barge-in: the coach stops talking when the caller speaks, and answers the new question', async () => {
    const caller = await rig.call(DEMO_USER_ID, 'workout');
    await heardGreeting(caller);
    const { heardAt } = await rig.ask(caller, CALLER_LINES.workout);
    // Let the long workout answer play for a moment, then talk over it.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const before = rig.standins.cartesia.generations.length;
    rig.standins.deepgram.enqueueTranscripts(CALLER_LINES.logLunges);
    const turn = await caller.say(CALLER_LINES.logLunges);
    expect(turn.startedAt).toBeGreaterThan(heardAt);
    // The coach was still answering when the caller started.
    expect(
      caller.coachSounds.some(
        (s) => s.startedAt <= turn.startedAt && s.lastLoudAt >= turn.startedAt - 300,
      ),
    ).toBe(true);
    const stoppedAt = await caller.waitForCoachToStop(turn.startedAt);
    console.log(
      `barge-in: the coach's audio stopped ${Math.round(stoppedAt - turn.startedAt)} ms after the caller started speaking`,
    );
    // It stopped while the caller was still talking, not at the end of its own reply.
    expect(stoppedAt).toBeLessThan(turn.endedAt);
    const confirmation = await eventually('the new question to be answered', () =>
      rig.standins.cartesia.generations
        .slice(before)
        .find((g) => /Logged 8 reps of lunge/.test(g.transcript)),
    );
    expect(confirmation).toBeDefined();
    await caller.waitForCoachSound(turn.endedAt);
    await caller.hangUp();
  }, 120_000);

  it('9. bad dispatch metadata (broken JSON, unknown agent type) ends that job and the next caller is served', async () => {
    const livekit = livekitClients(rig.server);
    const broken = `broken-json-${crypto.randomUUID()}`;
    const unknownType = `unknown-type-${crypto.randomUUID()}`;
    for (const [room, metadata] of [
      [broken, '{"user_id": "00000000-0000-4000-8000-000000000001", "agent_type":'],
      [
        unknownType,
        JSON.stringify({
          user_id: DEMO_USER_ID,
          agent_type: 'yoga',
          session_type: 'voice',
          created_at: new Date().toISOString(),
        }),
      ],
    ] as const) {
      const rejectedBefore = rig.agent.logs.filter(
        jobLog('session_rejected', 'invalid_metadata'),
      ).length;
      await livekit.rooms.createRoom({ name: room });
      await livekit.dispatches.createDispatch(room, DEV_DEFAULTS.LIVEKIT_AGENT_NAME, { metadata });
      await eventually(`the job of ${room} to be rejected`, () =>
        rig.agent.logs.filter(jobLog('session_rejected', 'invalid_metadata')).length >
        rejectedBefore
          ? true
          : undefined,
      );
      expect(await livekit.rooms.listParticipants(room)).toEqual([]);
    }
    expect(rig.agent.running()).toBe(true);
    const caller = await rig.call(DEMO_USER_ID, 'general');
    await heardGreeting(caller);
    await rig.ask(caller, CALLER_LINES.workout);
    await caller.hangUp();
  }, 120_000);

  it('10. five callers at once on one agent server each get answers for their own user', async () => {
    const extra = [distinctUser(SEED_USERS[1] ?? DEMO, 4), distinctUser(SEED_USERS[2] ?? DEMO, 5)];
    for (const seed of extra) await insertUser(seed);
    const everyone = [...SEED_USERS, ...extra];
    expect(everyone).toHaveLength(5);
    // Every caller asks the same question; only their own context can make the answers differ.
    rig.standins.deepgram.setTranscriber(await wholeLineTranscriber(CALLER_LINES.workout));
    const llmBefore = rig.standins.voiceLlm.requests.length;
    const heardBefore = rig.standins.deepgram.utterances.length;
    const genBefore = rig.standins.cartesia.generations.length;
    try {
      const calls = await Promise.all(everyone.map((seed) => rig.call(seed.user.id, 'workout')));
      const step = async <T>(what: string, work: Promise<T>): Promise<T> => {
        try {
          return await work;
        } catch (error) {
          // What the agent did (its own lines, not the framework's chatter) and what it said.
          const events = rig.agent.logs
            .filter((line) => typeof line.event === 'string' || typeof line.job_id === 'string')
            .slice(-80);
          const said = rig.standins.cartesia.generations.slice(genBefore).map((g) => g.transcript);
          throw new Error(
            `${what}: ${String(error)}\nagent lines: ${events.map((l) => JSON.stringify(l)).join('\n')}` +
              `\nspoken: ${JSON.stringify(said)}`,
          );
        }
      };
      await Promise.all(
        calls.map((caller, i) => step(`greeting of caller ${i}`, heardGreeting(caller))),
      );
      const heard = await Promise.all(
        calls.map(async (caller, i) => {
          const turn = await caller.say(CALLER_LINES.workout);
          return step(`reply to caller ${i}`, caller.waitForCoachSound(turn.endedAt, 60_000));
        }),
      );
      expect(heard.every((at) => at > 0)).toBe(true);
      // The question as the model got it, in the caller's session: its instructions carry that
      // user's plan. The tool then says the day itself (one request, none after it).
      const questionOf = (name: string) =>
        rig.standins.voiceLlm.requests
          .slice(llmBefore)
          .find(
            (r) =>
              JSON.stringify(r.body.messages[0]).includes(`Name: ${name}.`) &&
              r.body.messages.at(-1)?.role === 'user',
          );
      // The day's exercises in the plan's order, as the tool says them: only that user's context
      // holds that list.
      const answerSpoken = (seed: SeedUser) => {
        const text = rig.spokenSince(genBefore);
        const expected = todaysExercises(seed);
        if (expected.length === 0) return text.length > 0 ? text : undefined;
        return text.includes(`: ${spokenList(expected)}.`) ? text : undefined;
      };
      // Five sessions and five callers on two cores can starve a job process past the model's
      // 1.2 s first-token deadline or its 1 s stall deadline, before or after the tool call; the
      // coach then says it is having trouble and asks again (agent/resilience/reply-deadline.ts).
      // That is more than this machine holds with answers under 2 s (README, capacity), and one
      // CI run on a slower machine of this kind needed more than two tries for one caller. A
      // caller whose answer was not spoken does what it asks, up to four times, a moment after
      // the others (people do not repeat themselves in step); what is checked is that every
      // answer is the caller's own.
      const askedAgain = calls.map(() => 0);
      await Promise.all(
        calls.map(async (caller, i) => {
          const seed = everyone[i];
          if (!seed) throw new Error(`no user for caller ${i}`);
          const name = String(seed.profile.name);
          for (let attempt = 0; attempt < MAX_ASKS_AGAIN; attempt++) {
            await caller.waitForCoachDone();
            if (questionOf(name) && answerSpoken(seed)) return;
            askedAgain[i] = attempt + 1;
            await new Promise((resolve) => setTimeout(resolve, i * ASK_AGAIN_STAGGER_MS));
            const turn = await caller.say(CALLER_LINES.workout);
            await step(`reply to caller ${i}`, caller.waitForCoachSound(turn.endedAt, 60_000));
          }
        }),
      );
      const apologies = rig.spokenSince(genBefore).split(REPLY_APOLOGY).length - 1;
      const fragments = fragmentsSince(rig.standins.deepgram, heardBefore);
      console.log(
        `five callers: ${apologies} apolog(ies), ${fragments} fragment(s) of a question; ` +
          `questions asked again, by caller: ${askedAgain.join(', ')}`,
      );
      for (const seed of everyone) {
        const name = String(seed.profile.name);
        const expected = todaysExercises(seed);
        const request = await step(
          `${name}'s question`,
          eventually(`${name}'s question`, () => questionOf(name)),
        );
        const instructions = JSON.stringify(request.body.messages[0]);
        // Each exercise is one line of today's workout in the instructions, "<name>: <sets> sets".
        for (const exercise of expected) expect(instructions).toContain(`${exercise}:`);
        const others = everyone
          .filter((o) => o !== seed)
          .flatMap(todaysExercises)
          .filter((e) => !expected.includes(e));
        for (const exercise of others) expect(instructions).not.toContain(`${exercise}:`);
        // The model chose the tool, and no request followed it: the tool said the day.
        expect(
          rig.standins.voiceLlm.requests
            .slice(llmBefore)
            .filter(
              (r) =>
                JSON.stringify(r.body.messages[0]).includes(`Name: ${name}.`) &&
                endsWithToolOutput(r.body.messages),
            ),
        ).toEqual([]);
        const spoken = await step(
          `${name}'s spoken answer`,
          eventually(`${name}'s answer to be spoken`, () => answerSpoken(seed)),
        );
        expect(spoken).toBeTruthy();
      }
      await Promise.all(calls.map((caller) => caller.hangUp()));
    } finally {
      rig.standins.deepgram.setTranscriber(undefined);
    }
  }, 240_000);
});
