/**
 * The coaching tools as the framework calls them (`execute`), on a fake clock and fake timers so
 * rests of minutes pass in no time. The session the coach speaks into is a small event emitter
 * with the AgentSession members the announcer uses; the real AgentSession is in
 * coaching-session.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { voice } from '@livekit/agents';
import { beforeEach, describe, expect, it } from 'vitest';
import type { SpeakingSession } from '../../agent/coaching/announcer.ts';
import { WorkoutCoach, type WorkoutCoachOptions } from '../../agent/coaching/workout-coach.ts';
import { createCoachTools } from '../../agent/tools.ts';
import type { CoachingContext, LogEntry, SessionSummary } from '../../shared/schemas.ts';
import { exampleContext, recordingLogger } from '../agent/fixtures.ts';
import { FakeTime } from './fake-time.ts';

const noToolOptions = undefined as never;

/** The members of AgentSession the announcer reads, with states the test sets. */
class ScriptedSession extends EventEmitter {
  userState: voice.UserState = 'listening';
  agentState: voice.AgentState = 'listening';
  said: string[] = [];
  say(text: string) {
    this.said.push(text);
    return undefined as never;
  }
  setUser(state: voice.UserState) {
    const oldState = this.userState;
    this.userState = state;
    this.emit(voice.AgentSessionEventTypes.UserStateChanged, {
      type: 'user_state_changed',
      oldState,
      newState: state,
      createdAt: Date.now(),
    });
  }
  setAgent(state: voice.AgentState) {
    const oldState = this.agentState;
    this.agentState = state;
    this.emit(voice.AgentSessionEventTypes.AgentStateChanged, {
      type: 'agent_state_changed',
      oldState,
      newState: state,
      createdAt: Date.now(),
    });
  }
}

const legDay = (overrides: Partial<CoachingContext> = {}) =>
  exampleContext({
    todays_workout: {
      day: 'monday',
      name: 'Legs',
      rest_day: false,
      exercises: [
        { name: 'Back squat', sets: 2, reps: 5, load_kg: 100, rest_seconds: 180 },
        { name: 'Leg press', sets: 2, reps: 10, load_kg: 150, rest_seconds: 90 },
        { name: 'Plank', sets: 1, reps: 1, load_kg: null, rest_seconds: 0 },
      ],
    },
    ...overrides,
  });

/** Last time's back squats: every planned set at the planned reps, so the load goes up. */
const squatsAllHitLastTime: CoachingContext['recent_training'] = [
  {
    exercise: 'Back squat',
    last_session: {
      date: '2026-01-30',
      sets: [
        { reps: 5, weight_kg: 100 },
        { reps: 5, weight_kg: 100 },
      ],
    },
    best_recent_set: { date: '2026-01-30', reps: 5, weight_kg: 100 },
  },
];

let time: FakeTime;
let appended: LogEntry[];
let stored: SessionSummary[];

beforeEach(() => {
  time = new FakeTime();
  appended = [];
  stored = [];
});

function setUp(
  context: CoachingContext = legDay(),
  options: Partial<WorkoutCoachOptions> = {},
  append: (entry: LogEntry) => Promise<void> = async (entry) => {
    appended.push(entry);
  },
) {
  const logger = recordingLogger();
  const workout = new WorkoutCoach({
    context,
    clock: time,
    logger,
    timers: time,
    turnGraceMs: 1000,
    summarySink: { store: async (summary) => void stored.push(summary) },
    ...options,
  });
  const tools = createCoachTools({
    context,
    logSink: { append },
    specialists: { askSpecialist: () => Promise.reject(new Error('not used')) },
    logger,
    clock: time,
    workout,
  });
  const session = new ScriptedSession();
  workout.attach(session as unknown as SpeakingSession);
  const log = (exercise: string, reps: number, weight: number) =>
    tools.log_workout_set.execute({ exercise, reps, weight }, noToolOptions);
  const next = () => tools.get_workout_progress.execute({}, noToolOptions);
  return { tools, workout, session, log, next, logger };
}

describe('WorkoutCoach through the tools', () => {
  it('walks a whole day: confirmation with rest, the unprompted call at each rest end, what is next at every point', async () => {
    const { log, next, session } = setUp();
    expect(await next()).toContain('Next: set 1 of 2 of Back squat, 5 reps at 100 kg.');
    expect(await next()).toContain('0 sets done, 5 sets left today');

    expect(await log('back squat', 5, 100)).toBe(
      'Logged 5 reps of back squat at 100 kg. Rest 3 minutes; next is set 2 of 2 of Back squat, 5 reps at 100 kg.',
    );
    expect(await next()).toContain('Resting: 3 minutes left.');
    time.advance(60_000);
    expect(await next()).toContain('Resting: 2 minutes left.');
    expect(session.said).toEqual([]);
    time.advance(120_000);
    expect(session.said).toEqual([
      "Rest is over. Next is set 2 of 2 of Back squat, 5 reps at 100 kg. Go when you're ready.",
    ]);
    expect(await next()).not.toContain('Resting');

    const second = await log('Back squat', 5, 100);
    expect(second).toContain('Every set hit 5 reps: next time add 5 kg and go 105 kg.');
    expect(second).toContain('Rest 3 minutes; next is set 1 of 2 of Leg press, 10 reps at 150 kg.');
    time.advance(180_000);
    expect(session.said.at(-1)).toContain('Rest is over. Next is set 1 of 2 of Leg press');

    await log('leg press', 8, 150);
    time.advance(90_000);
    expect(session.said.at(-1)).toContain('set 2 of 2 of Leg press');
    const pressDone = await log('leg press', 10, 150);
    expect(pressDone).toContain('Hold 150 kg next time until every set reaches 10 reps.');
    expect(pressDone).toContain('Rest 1 minute 30 seconds; next is Plank, 1 rep with bodyweight');
    expect(await next()).toContain('4 sets done, 1 set left today');
    time.advance(90_000);
    expect(session.said.at(-1)).toContain('Next is Plank, 1 rep with bodyweight.');
    const last = await log('plank', 1, 0);
    expect(last).toContain("That's every planned set for today.");
    expect(await next()).toContain("That's every planned set for today.");
    time.advance(600_000);
    expect(session.said).toHaveLength(4);
    expect(time.pending).toBe(0);
  });

  it('warns before the end of a rest when configured, and not otherwise', async () => {
    const warned = setUp(legDay(), { restWarningSeconds: 10 });
    await warned.log('Back squat', 5, 100);
    time.advance(169_000);
    expect(warned.session.said).toEqual([]);
    time.advance(1000);
    expect(warned.session.said).toEqual([
      '10 seconds left. Next is set 2 of 2 of Back squat, 5 reps at 100 kg.',
    ]);
    time.advance(10_000);
    expect(warned.session.said.at(-1)).toMatch(/^Rest is over/);
  });

  it('never talks over the user: the call waits for the end of their turn and of the reply', async () => {
    const { log, session } = setUp();
    await log('Back squat', 5, 100);
    session.setUser('speaking');
    time.advance(180_000);
    expect(session.said).toEqual([]);
    session.setUser('listening');
    // Their turn may not be over yet: the framework is still deciding.
    time.advance(500);
    expect(session.said).toEqual([]);
    session.setAgent('thinking');
    time.advance(2000);
    session.setAgent('speaking');
    expect(session.said).toEqual([]);
    session.setAgent('listening');
    expect(session.said).toEqual([
      "Rest is over. Next is set 2 of 2 of Back squat, 5 reps at 100 kg. Go when you're ready.",
    ]);
  });

  it('more time, skip the rest and start my rest keep the timer and the calls consistent', async () => {
    const { log, tools, session } = setUp();
    await log('Back squat', 5, 100);
    time.advance(170_000);
    expect(await tools.add_rest_time.execute({ seconds: 30 }, noToolOptions)).toBe(
      'Okay, 30 seconds more: 40 seconds of rest left.',
    );
    time.advance(39_000);
    expect(session.said).toEqual([]);
    time.advance(1000);
    expect(session.said).toHaveLength(1);

    expect(await tools.start_rest.execute({}, noToolOptions)).toBe(
      'Rest 3 minutes. Next is set 2 of 2 of Back squat, 5 reps at 100 kg.',
    );
    expect(await tools.skip_rest.execute({}, noToolOptions)).toBe(
      'Rest skipped. Next is set 2 of 2 of Back squat, 5 reps at 100 kg.',
    );
    time.advance(600_000);
    expect(session.said).toHaveLength(1);
    expect(await tools.skip_rest.execute({}, noToolOptions)).toMatch(/^No rest is running\./);
    expect(await tools.start_rest.execute({ seconds: 45 }, noToolOptions)).toMatch(
      /^Rest 45 seconds\./,
    );
    time.advance(45_000);
    expect(session.said).toHaveLength(2);
  });

  it('pause stops the clock and the calls; resume carries on with the rest left', async () => {
    const { log, tools, session, next } = setUp();
    await log('Back squat', 5, 100);
    time.advance(60_000);
    expect(await tools.pause_workout.execute({}, noToolOptions)).toBe(
      "Workout paused, with 2 minutes of rest left. Say resume when you're ready.",
    );
    expect(await tools.pause_workout.execute({}, noToolOptions)).toMatch(/already paused/);
    time.advance(3_600_000);
    expect(session.said).toEqual([]);
    expect(await next()).toContain('The workout is paused');
    expect(await tools.resume_workout.execute({}, noToolOptions)).toBe(
      'Back to it. 2 minutes of rest left. Next is set 2 of 2 of Back squat, 5 reps at 100 kg.',
    );
    time.advance(120_000);
    expect(session.said).toHaveLength(1);
  });

  it('skip this exercise moves on, and repeat says the last line again', async () => {
    const { log, tools, session, next } = setUp();
    await log('Back squat', 5, 100);
    expect(await tools.skip_exercise.execute({}, noToolOptions)).toBe(
      'Skipped Back squat. Next is set 1 of 2 of Leg press, 10 reps at 150 kg.',
    );
    time.advance(600_000);
    expect(session.said).toEqual([]);
    expect(await tools.repeat_last.execute({}, noToolOptions)).toBe(
      'Skipped Back squat. Next is set 1 of 2 of Leg press, 10 reps at 150 kg.',
    );
    expect(await next()).toContain('1 sets done, 3 sets left today');
    await tools.skip_exercise.execute({}, noToolOptions);
    await tools.skip_exercise.execute({}, noToolOptions);
    expect(await tools.skip_exercise.execute({}, noToolOptions)).toContain(
      "That's every planned set for today.",
    );
  });

  it('refuses bad rest lengths and notes with a clear line and changes nothing', async () => {
    const { tools, next } = setUp();
    for (const seconds of [0, -5, 1.5, 100_000, Number.NaN]) {
      expect(await tools.add_rest_time.execute({ seconds }, noToolOptions)).toMatch(
        /^I can only set a rest/,
      );
      expect(await tools.start_rest.execute({ seconds }, noToolOptions)).toMatch(
        /^I can only set a rest/,
      );
    }
    expect(await next()).not.toContain('Resting');
    expect(await tools.finish_workout.execute({ note: 'x'.repeat(501) }, noToolOptions)).toMatch(
      /at most 500/,
    );
    expect(stored).toEqual([]);
  });

  it('progress survives a new session: sets already logged today count', async () => {
    const context = legDay({
      todays_sets: [
        {
          log_id: randomUUID(),
          exercise: 'Back squat',
          reps: 5,
          weight_kg: 100,
          logged_at: '2026-02-02T08:00:00Z',
        },
      ],
    });
    const { next, log } = setUp(context);
    expect(await next()).toContain('Next: set 2 of 2 of Back squat');
    expect(await log('Back squat', 5, 100)).toContain('Every set hit 5 reps');
  });

  it('advises from last time before the first set of an exercise', async () => {
    const context = legDay({ recent_training: squatsAllHitLastTime });
    const { next } = setUp(context);
    expect(await next()).toContain('Last time every set hit the target, so try 105 kg today.');
  });
});

describe('"what\'s my workout today": the day as one line', () => {
  const overview = (context: CoachingContext) =>
    setUp(context).tools.get_todays_workout.execute({}, noToolOptions);

  it("names every exercise, then the first set with last time's advice", async () => {
    const context = legDay({ recent_training: squatsAllHitLastTime });
    expect(await overview(context)).toBe(
      'Today is Legs: Back squat, Leg press and Plank. First up: set 1 of 2 of Back squat, 5 reps at 100 kg. Last time every set hit the target, so try 105 kg today.',
    );
  });

  it('picks up where the user is, counting the sets done today and this session', async () => {
    const earlierToday = {
      log_id: randomUUID(),
      exercise: 'Back squat',
      reps: 5,
      weight_kg: 100,
      logged_at: '2026-02-02T08:00:00Z',
    };
    const { tools, log } = setUp(legDay({ todays_sets: [earlierToday] }));
    const overview = () => tools.get_todays_workout.execute({}, noToolOptions);
    expect(await overview()).toBe(
      'Today is Legs: Back squat, Leg press and Plank. 1 set done; next is set 2 of 2 of Back squat, 5 reps at 100 kg.',
    );
    await log('Back squat', 5, 100);
    await log('Leg press', 10, 150);
    expect(await overview()).toMatch(
      /\. 3 sets done; next is set 2 of 2 of Leg press, 10 reps at 150 kg\.$/,
    );
    time.advance(90_000);
    await log('Leg press', 10, 150);
    await log('Plank', 1, 0);
    expect(await overview()).toBe(
      "Today is Legs: Back squat, Leg press and Plank. That's every planned set for today. Say you're done for a summary.",
    );
  });

  it('says a timed item by its name and note, and a single set without "set 1 of 1"', async () => {
    const runDay = legDay({
      todays_workout: {
        day: 'monday',
        name: 'Run',
        rest_day: false,
        exercises: [
          {
            name: 'Easy run',
            sets: 1,
            reps: 1,
            load_kg: null,
            rest_seconds: 0,
            notes: '40 minutes at conversational pace',
          },
          { name: 'Plank', sets: 1, reps: 1, load_kg: null, rest_seconds: 0 },
        ],
      },
    });
    const { tools, log } = setUp(runDay);
    expect(await tools.get_todays_workout.execute({}, noToolOptions)).toBe(
      'Today is Run: Easy run and Plank. First up: Easy run (40 minutes at conversational pace).',
    );
    expect(await log('Easy run', 1, 0)).toBe(
      'Logged 1 rep of Easy run with bodyweight. Next is Plank, 1 rep with bodyweight.',
    );
  });

  it('says so on a rest day, a day with nothing scheduled and with no plan at all', async () => {
    const restDay = legDay();
    if (!restDay.todays_workout) throw new Error('the fixture has a workout');
    restDay.todays_workout = { ...restDay.todays_workout, name: 'Recovery', rest_day: true };
    expect(await overview(restDay)).toBe('Today is a rest day: Recovery.');
    expect(await overview(legDay({ todays_workout: null }))).toBe(
      'There is no workout scheduled for today.',
    );
    expect(await overview(legDay({ workout_plan: null, todays_workout: null }))).toBe(
      "You don't have a workout plan yet.",
    );
  });

  it('is what "repeat that" says again', async () => {
    const { tools } = setUp();
    const line = await tools.get_todays_workout.execute({}, noToolOptions);
    expect(await tools.repeat_last.execute({}, noToolOptions)).toBe(line);
  });
});

describe('imperial users hear pounds everywhere', () => {
  it('in the log confirmation and every tool result', async () => {
    const context = legDay({
      preferences: { units: 'imperial', dietary_preferences: [], allergies: [] },
    });
    const { tools, log, next, session } = setUp(context);
    const results = [
      await next(),
      await log('Back squat', 5, 220),
      await next(),
      await tools.add_rest_time.execute({ seconds: 30 }, noToolOptions),
      await tools.pause_workout.execute({}, noToolOptions),
      await tools.resume_workout.execute({}, noToolOptions),
      await tools.skip_rest.execute({}, noToolOptions),
      await tools.start_rest.execute({}, noToolOptions),
      await tools.repeat_last.execute({}, noToolOptions),
      await tools.skip_exercise.execute({}, noToolOptions),
      await tools.get_todays_workout.execute({}, noToolOptions),
      await tools.finish_workout.execute({}, noToolOptions),
    ];
    time.advance(600_000);
    // With no session to speak through, every tool answers with its line.
    const lines = results.filter((text): text is string => typeof text === 'string');
    expect(lines).toHaveLength(results.length);
    for (const text of [...lines, ...session.said]) expect(text).not.toMatch(/\bkg\b|kilo/);
    expect(results[1]).toBe(
      'Logged 5 reps of Back squat at 220 lb. Rest 3 minutes; next is set 2 of 2 of Back squat, 5 reps at 220.5 lb.',
    );
    expect(lines.filter((t) => /\blb\b/.test(t)).length).toBeGreaterThanOrEqual(8);
    // Storage stays in kilograms.
    expect(appended[0]?.weight_kg).toBe(99.79);
  });
});

describe('a set re-sent after a barge-in (issue 11)', () => {
  it('the same set within 20 s is stored once and answered with the same confirmation', async () => {
    const { log } = setUp();
    const first = await log('Back squat', 5, 100);
    time.advance(19_000);
    expect(await log('back  squat', 5, 100)).toBe(first);
    expect(appended).toHaveLength(1);
  });

  it('a re-call while the first is still being written waits for it instead of writing again', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { log } = setUp(legDay(), {}, async (entry) => {
      await gate;
      appended.push(entry);
    });
    const first = log('Back squat', 5, 100);
    const second = log('Back squat', 5, 100);
    release();
    expect(await second).toBe(await first);
    expect(appended).toHaveLength(1);
  });

  it('two real sets minutes apart, or different sets, are two rows', async () => {
    const { log } = setUp();
    await log('Back squat', 5, 100);
    time.advance(180_000);
    await log('Back squat', 5, 100);
    await log('Back squat', 4, 100);
    expect(appended).toHaveLength(3);
    expect(new Set(appended.map((e) => e.log_id)).size).toBe(3);
  });

  it('a failed write is not remembered: the retry writes', async () => {
    let fail = true;
    const { log } = setUp(legDay(), {}, async (entry) => {
      if (fail) throw new Error('disk full');
      appended.push(entry);
    });
    expect(await log('Back squat', 5, 100)).toMatch(/could not save/);
    fail = false;
    expect(await log('Back squat', 5, 100)).toMatch(/^Logged 5 reps/);
    expect(appended).toHaveLength(1);
  });
});

describe('the end of the session', () => {
  it('finish speaks the summary and stores it; close stores again only when sets were added', async () => {
    const { log, tools, workout } = setUp();
    await log('Back squat', 5, 100);
    await log('Back squat', 5, 102.5);
    const spoken = await tools.finish_workout.execute({ note: 'knee felt sore' }, noToolOptions);
    expect(spoken).toContain('Session summary: 2 sets, total volume 1013 kg.');
    await workout.close();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ sets: 2, total_volume_kg: 1012.5, note: 'knee felt sore' });

    const again = setUp();
    await again.log('Back squat', 5, 100);
    await again.tools.finish_workout.execute({}, noToolOptions);
    await again.log('Leg press', 10, 150);
    await again.workout.close();
    expect(stored.slice(1).map((s) => s.sets)).toEqual([1, 2]);
  });

  it('a session with no sets stores nothing at close', async () => {
    const { workout } = setUp();
    await workout.close();
    expect(stored).toEqual([]);
  });
});
