/**
 * The pure rules of workout coaching: progress through the plan, the overload rule, unit
 * conversion and the session summary, by example and by property.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  adviseOverload,
  OVERLOAD_STEPS_KG,
  overloadStepKg,
} from '../../agent/coaching/overload.ts';
import { type DoneSet, deriveProgress, uniqueSets } from '../../agent/coaching/progress.ts';
import { describeSummary, summarizeSession } from '../../agent/coaching/summary.ts';
import { formatWeight, fromKilograms } from '../../agent/coaching/units.ts';
import { toKilograms } from '../../agent/workout-set.ts';
import { normalizeExerciseName } from '../../shared/exercise-name.ts';
import { type Exercise, sessionSummarySchema } from '../../shared/schemas.ts';

const plan: Exercise[] = [
  { name: 'Back squat', sets: 3, reps: 5, load_kg: 100, rest_seconds: 180 },
  { name: 'Bench press', sets: 3, reps: 8, load_kg: 60, rest_seconds: 120 },
  { name: 'Plank', sets: 2, reps: 1, load_kg: null, rest_seconds: 60 },
];

const set = (exercise: string, reps = 5, weight_kg = 100): DoneSet => ({
  log_id: randomUUID(),
  exercise,
  reps,
  weight_kg,
});

describe('deriveProgress', () => {
  it('counts sets toward the planned exercise by name, ignoring case and spacing', () => {
    const progress = deriveProgress(plan, [set('back squat'), set('  BACK   Squat ')]);
    expect(progress.exercises.map((e) => e.done)).toEqual([2, 0, 0]);
    expect(progress.current).toBe(0);
    expect(progress.setsLeft).toBe(1 + 3 + 2);
  });

  it('moves on when an exercise is full or skipped, and ends when all are', () => {
    const squats = [set('Back squat'), set('Back squat'), set('Back squat')];
    expect(deriveProgress(plan, squats).current).toBe(1);
    expect(deriveProgress(plan, squats, new Set([1])).current).toBe(2);
    expect(deriveProgress(plan, squats, new Set([1, 2])).current).toBeNull();
    expect(deriveProgress(plan, squats, new Set([1, 2])).setsLeft).toBe(0);
  });

  it('keeps extra sets on the exercise and unplanned ones apart, and counts a log_id once', () => {
    const first = set('Back squat');
    const progress = deriveProgress(plan, [
      first,
      first,
      set('Back squat'),
      set('Back squat'),
      set('Back squat'),
      set('Deadlift'),
    ]);
    expect(progress.exercises[0]?.done).toBe(4);
    expect(progress.unplannedSets).toBe(1);
    expect(progress.current).toBe(1);
  });

  const exerciseArb = fc.record({
    name: fc.constantFrom('Squat', 'Bench', 'Row', 'Curl', 'Plank'),
    sets: fc.integer({ min: 1, max: 5 }),
    reps: fc.integer({ min: 1, max: 12 }),
    load_kg: fc.option(fc.double({ min: 0, max: 200, noNaN: true }), { nil: null }),
    rest_seconds: fc.integer({ min: 0, max: 300 }),
  });
  const setArb = fc.record({
    log_id: fc.uuid({ version: 4 }),
    exercise: fc.constantFrom('squat', 'BENCH', ' row ', 'curl', 'plank', 'Deadlift', 'lunge'),
    reps: fc.integer({ min: 1, max: 20 }),
    weight_kg: fc.double({ min: 0, max: 200, noNaN: true }),
  });
  // Any sequence: duplicates (the same entry again), exercises not in the plan, any order.
  const setsArb = fc
    .array(setArb, { maxLength: 30 })
    .chain((sets) =>
      fc
        .array(fc.nat({ max: Math.max(0, sets.length - 1) }), { maxLength: 5 })
        .map((dupes) => (sets.length ? [...sets, ...dupes.map((i) => sets[i] as DoneSet)] : sets)),
    );

  it('property: progress always matches the plan structure, whatever the sets', () => {
    fc.assert(
      fc.property(
        fc.array(exerciseArb, { maxLength: 6 }),
        setsArb,
        fc.uniqueArray(fc.nat({ max: 5 }), { maxLength: 3 }),
        (exercises, sets, skippedList) => {
          const skipped = new Set(skippedList);
          const progress = deriveProgress(exercises, sets, skipped);
          const unique = uniqueSets(sets);
          // One entry per planned exercise, in plan order, each with its own plan.
          expect(progress.exercises.map((e) => e.exercise)).toEqual(exercises);
          // Every unique set is counted exactly once: toward an exercise or as unplanned.
          const counted = progress.exercises.reduce((sum, e) => sum + e.done, 0);
          expect(counted + progress.unplannedSets).toBe(unique.length);
          const planned = new Set(exercises.map((e) => normalizeExerciseName(e.name)));
          expect(progress.unplannedSets).toBe(
            unique.filter((s) => !planned.has(normalizeExerciseName(s.exercise))).length,
          );
          // Sets left: what is neither done nor skipped, never negative.
          const left = progress.exercises.reduce(
            (sum, e) => sum + (e.skipped ? 0 : Math.max(0, e.exercise.sets - e.done)),
            0,
          );
          expect(progress.setsLeft).toBe(left);
          // The current exercise is the first one open, or none when every one is closed.
          const firstOpen = progress.exercises.findIndex(
            (e) => !e.skipped && e.done < e.exercise.sets,
          );
          expect(progress.current).toBe(firstOpen === -1 ? null : firstOpen);
          // Order and duplicates never change the result.
          const shuffled = [...sets].reverse();
          expect(deriveProgress(exercises, shuffled, skipped)).toEqual(progress);
          expect(deriveProgress(exercises, [...sets, ...sets], skipped)).toEqual(progress);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('adviseOverload (double progression)', () => {
  const squat = { sets: 3, reps: 5, load_kg: 100 };

  it('adds one step when every planned set reached the top of the rep target at the load', () => {
    expect(adviseOverload(squat, [set('s', 5), set('s', 6), set('s', 5)])).toEqual({
      kind: 'increase',
      fromKg: 100,
      toKg: 105,
      stepKg: 5,
    });
    expect(
      adviseOverload({ sets: 2, reps: 8, load_kg: 40 }, [set('b', 8, 40), set('b', 8, 40)]),
    ).toMatchObject({ kind: 'increase', toKg: 42.5, stepKg: 2.5 });
  });

  it('holds the load when a set fell short, or was lighter than planned', () => {
    expect(adviseOverload(squat, [set('s', 5), set('s', 4), set('s', 5)])).toEqual({
      kind: 'hold',
      loadKg: 100,
    });
    expect(adviseOverload(squat, [set('s', 5), set('s', 5), set('s', 5, 90)])).toEqual({
      kind: 'hold',
      loadKg: 100,
    });
  });

  it('says nothing for bodyweight work or an unfinished exercise', () => {
    expect(adviseOverload({ sets: 2, reps: 1, load_kg: null }, [set('p', 1, 0)])).toEqual({
      kind: 'none',
    });
    expect(adviseOverload(squat, [set('s', 5), set('s', 5)])).toEqual({ kind: 'none' });
  });

  it('counts a load logged in pounds (rounded to 0.01 kg) as the planned load', () => {
    const lb225 = toKilograms(225, 'lb'); // 102.06 kg
    expect(adviseOverload({ sets: 1, reps: 5, load_kg: lb225 }, [set('s', 5, lb225)]).kind).toBe(
      'increase',
    );
  });

  it('property: never more than one documented step, never down', () => {
    fc.assert(
      fc.property(
        fc.record({
          sets: fc.integer({ min: 1, max: 6 }),
          reps: fc.integer({ min: 1, max: 20 }),
          load_kg: fc.option(fc.double({ min: 0, max: 500, noNaN: true }), { nil: null }),
        }),
        fc.array(
          fc.record({
            reps: fc.integer({ min: 0, max: 30 }),
            weight_kg: fc.double({ min: 0, max: 600, noNaN: true }),
          }),
          { maxLength: 10 },
        ),
        (planned, sets) => {
          const advice = adviseOverload(planned, sets);
          const maxStep = Math.max(OVERLOAD_STEPS_KG.below60, OVERLOAD_STEPS_KG.from60);
          if (advice.kind === 'increase') {
            expect(advice.fromKg).toBe(planned.load_kg);
            expect(advice.stepKg).toBe(overloadStepKg(advice.fromKg));
            expect(advice.toKg - advice.fromKg).toBeGreaterThan(0);
            expect(advice.toKg - advice.fromKg).toBeLessThanOrEqual(advice.stepKg + 0.005);
            expect(advice.stepKg).toBeLessThanOrEqual(maxStep);
          }
          if (advice.kind === 'hold') expect(advice.loadKg).toBe(planned.load_kg);
          if (planned.load_kg === null || planned.load_kg <= 0) expect(advice.kind).toBe('none');
          if (sets.length < planned.sets) expect(advice.kind).toBe('none');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('units', () => {
  it('speaks pounds to imperial users and kilograms to metric ones', () => {
    expect(formatWeight(61.23, 'imperial')).toBe('135 lb');
    expect(formatWeight(60, 'metric')).toBe('60 kg');
    expect(formatWeight(60, 'imperial')).toBe('132.5 lb');
    expect(formatWeight(0, 'imperial')).toBe('bodyweight');
  });

  it('property: kilograms → pounds → kilograms round-trips within 0.01 kg', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1000, noNaN: true }), (kg) => {
        const back = toKilograms(fromKilograms(kg, 'lb'), 'lb');
        expect(Math.abs(back - kg)).toBeLessThanOrEqual(0.01);
        expect(Math.abs(toKilograms(fromKilograms(kg, 'kg'), 'kg') - kg)).toBeLessThanOrEqual(0.01);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: a weight said in pounds is spoken back as the same pounds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), (halfPounds) => {
        const lb = halfPounds / 2;
        expect(formatWeight(toKilograms(lb, 'lb'), 'imperial')).toBe(`${lb} lb`);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('summarizeSession', () => {
  it('counts sets and volume, and calls a new best only against the recent best', () => {
    const sets = [set('Back squat', 5, 100), set('Back squat', 5, 105), set('Curl', 10, 15)];
    const summary = summarizeSession(
      sets,
      [
        {
          exercise: 'Back squat',
          last_session: null,
          best_recent_set: { date: '2026-01-30', reps: 5, weight_kg: 102.5 },
        },
      ],
      'left knee a bit sore\u0000',
    );
    expect(summary).toMatchObject({
      sets: 3,
      total_volume_kg: 500 + 525 + 150,
      new_bests: [{ exercise: 'Back squat', reps: 5, weight_kg: 105 }],
      note: 'left knee a bit sore',
    });
    expect(summary.exercises).toHaveLength(2);
    expect(sessionSummarySchema.safeParse(summary).success).toBe(true);
    expect(describeSummary(summary, 'imperial')).toContain('lb');
    expect(describeSummary(summary, 'imperial')).not.toContain('kg');
  });
});
