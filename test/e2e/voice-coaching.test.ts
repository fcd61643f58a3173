/**
 * Coaching in the moment, heard through the whole voice path: a caller speaking real speech to the
 * real agent process over a real livekit-server logs sets by voice, hears the rest start, hears the
 * coach speak up unprompted when the rest is over, asks "what's next", and ends the workout; the
 * sets land in PostgreSQL and the summary is stored with the voice session. The plan's rests are a
 * few seconds long so the unprompted call comes within the test; the rules themselves are tested
 * on a fake clock in test/coaching.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mealPlans,
  userProfiles,
  users,
  voiceSessions,
  workoutLogs,
  workoutPlans,
} from '../../drizzle/schema.ts';
import { DEMO_USER_ID, SEED_USERS, type SeedUser } from '../../drizzle/seed-data.ts';
import { WEEKDAYS } from '../../shared/schemas.ts';
import { CALLER_LINES } from '../support/coach-script.ts';
import { livekitServerAvailability } from '../support/livekit-server.ts';
import { eventually } from './livekit.ts';
import {
  heardGreeting,
  startVoiceScenarioRig,
  type VoiceScenarioRig,
} from './voice-scenario-rig.ts';

const availability = livekitServerAvailability();
if (!availability.available) console.warn(`skipping voice coaching: ${availability.reason}`);

/** Long enough for the confirmation to be said first, short enough for a test. */
const REST_SECONDS = 8;

/** The demo user's copy whose every day is two sets of squats then one of lunges, short rests. */
function shortRestTrainee(base: SeedUser): SeedUser {
  const id = crypto.randomUUID();
  const exercises = [
    { name: 'Squat', sets: 2, reps: 10, load_kg: 60, rest_seconds: REST_SECONDS },
    { name: 'Lunge', sets: 1, reps: 8, load_kg: 20, rest_seconds: REST_SECONDS },
  ];
  return {
    user: { id, email: 'trainee@example.com' },
    profile: { ...base.profile, userId: id, name: 'Trainee Tester' },
    workoutPlan: {
      ...base.workoutPlan,
      id: crypto.randomUUID(),
      userId: id,
      days: WEEKDAYS.map((day) => ({ day, name: 'Legs', rest_day: false, exercises })),
    },
    mealPlan: { ...base.mealPlan, id: crypto.randomUUID(), userId: id },
  };
}

let rig: VoiceScenarioRig;
let trainee: SeedUser;

beforeAll(async () => {
  if (!availability.available) return;
  rig = await startVoiceScenarioRig(availability.binary);
  const demo = SEED_USERS.find((seed) => seed.user.id === DEMO_USER_ID);
  if (!demo) throw new Error('the seed has no demo user');
  trainee = shortRestTrainee(demo);
  await rig.test.db.insert(users).values(trainee.user);
  await rig.test.db.insert(userProfiles).values(trainee.profile);
  await rig.test.db.insert(workoutPlans).values(trainee.workoutPlan);
  await rig.test.db.insert(mealPlans).values(trainee.mealPlan);
}, 180_000);

afterAll(async () => {
  await rig?.close();
}, 90_000);

/** Waits until Cartesia has been asked, from generation `since` on, to say something matching. */
function spokenMatching(since: number, pattern: RegExp, what: string): Promise<string> {
  return eventually(
    what,
    () => {
      const spoken = rig.spokenSince(since);
      return pattern.test(spoken) ? spoken : undefined;
    },
    30_000,
  );
}

describe.skipIf(!availability.available)('coaching a workout by voice', () => {
  it('logs sets, times the rests, speaks up when a rest ends, knows what is next and stores the summary', async () => {
    const userId = trainee.user.id;
    const caller = await rig.call(userId, 'workout');
    await heardGreeting(caller);

    // First set: logged, and the rest starts with the next set named.
    let since = rig.standins.cartesia.generations.length;
    await rig.ask(caller, CALLER_LINES.logSquats);
    const confirmation = await spokenMatching(
      since,
      /set 2 of 2/i,
      'the set confirmed with a rest',
    );
    expect(confirmation).toMatch(/rest/i);
    expect(confirmation).toMatch(/squat/i);
    since = rig.standins.cartesia.generations.length;
    await caller.waitForCoachDone();

    // The rest ends: the coach speaks up without being asked.
    const quietFrom = performance.now();
    // Spoken a sentence at a time (one speech request per sentence), so wait for the whole call:
    // "Rest is over." can be seen before the sentence naming the set arrives.
    await spokenMatching(
      since,
      /rest is over[\s\S]*set 2 of 2/i,
      'the unprompted end of rest, naming the next set',
    );
    const heardAt = await caller.waitForCoachSound(quietFrom, 30_000);
    expect(caller.spoken.filter((turn) => turn.endedAt > quietFrom)).toHaveLength(0);
    console.log(`unprompted end-of-rest call heard ${Math.round(heardAt - quietFrom)} ms later`);
    await caller.waitForCoachDone();

    // "What's next?" answers from the session's progress.
    since = rig.standins.cartesia.generations.length;
    await rig.ask(caller, CALLER_LINES.whatsNext);
    expect(await spokenMatching(since, /squat/i, 'the next set')).toMatch(/set 2 of 2/i);
    await caller.waitForCoachDone();

    // Second set (other reps, so it is a new set and not a re-sent one): next is the lunge.
    since = rig.standins.cartesia.generations.length;
    await rig.ask(caller, 'Log eight squats at sixty kilos.');
    expect(await spokenMatching(since, /lunge/i, 'the lunge named as next')).toMatch(/rest/i);
    await caller.waitForCoachDone();

    // Done: the summary is spoken and stored with this voice session.
    since = rig.standins.cartesia.generations.length;
    await rig.ask(caller, CALLER_LINES.done);
    const summary = await spokenMatching(since, /2 sets/i, 'the spoken summary');
    expect(summary).toMatch(/squat/i);
    const stored = await eventually('the summary stored with the voice session', async () => {
      const [row] = await rig.test.db
        .select({ summary: voiceSessions.summary })
        .from(voiceSessions)
        .where(eq(voiceSessions.roomName, caller.session.room_name));
      return row?.summary ?? undefined;
    });
    expect(stored).toMatchObject({ sets: 2 });

    const squats = await eventually('both sets in PostgreSQL', async () => {
      const rows = await rig.test.db
        .select({ reps: workoutLogs.reps, weightKg: workoutLogs.weightKg })
        .from(workoutLogs)
        .where(and(eq(workoutLogs.userId, userId), eq(workoutLogs.exercise, 'squat')));
      return rows.length >= 2 ? rows : undefined;
    });
    expect(squats.map((set) => set.reps).sort((a, b) => a - b)).toEqual([8, 10]);
    expect(squats.every((set) => set.weightKg === 60)).toBe(true);
    await caller.hangUp();
  }, 240_000);
});
