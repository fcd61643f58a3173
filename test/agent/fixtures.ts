/** Coaching contexts for the agent tests: one realistic example and a fast-check generator. */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { Logger } from '../../shared/runtime.ts';
import {
  AGENT_TYPES,
  type CoachingContext,
  coachingContextSchema,
  FITNESS_LEVELS,
  UNITS,
  WEEKDAYS,
} from '../../shared/schemas.ts';

export function exampleContext(overrides: Partial<CoachingContext> = {}): CoachingContext {
  const userId = randomUUID();
  const context: CoachingContext = {
    profile: {
      user_id: userId,
      name: 'Alex Rivera',
      fitness_level: 'intermediate',
      goals: ['build strength'],
      injuries: ['left knee'],
      equipment: ['barbell', 'dumbbells'],
      time_zone: 'Europe/Berlin',
    },
    preferences: { units: 'metric', dietary_preferences: ['high protein'], allergies: ['peanuts'] },
    workout_plan: {
      id: randomUUID(),
      name: 'Strength Base',
      goal: 'strength',
      days: [],
    },
    todays_workout: {
      day: 'monday',
      name: 'Lower body',
      rest_day: false,
      exercises: [
        { name: 'Back squat', sets: 3, reps: 10, load_kg: 60, rest_seconds: 120 },
        {
          name: 'Plank',
          sets: 3,
          reps: 1,
          load_kg: null,
          rest_seconds: 60,
          notes: 'hold 45 seconds',
        },
      ],
    },
    meal_plan: { id: randomUUID(), name: 'Lean Gain', daily_calorie_target: 2400, days: [] },
    todays_meals: {
      day: 'monday',
      total_calories: 1300,
      meals: [
        {
          name: 'Dinner',
          description: 'Salmon with rice and broccoli',
          calories: 700,
          protein_g: 45,
          carbs_g: 70,
          fat_g: 20,
        },
        {
          name: 'Breakfast',
          description: 'Oats with berries',
          calories: 600,
          protein_g: 25,
          carbs_g: 90,
          fat_g: 12,
        },
      ],
    },
    date: '2026-02-02',
    weekday: 'monday',
    recent_training: [],
    todays_sets: [],
    last_session: null,
    ...overrides,
  };
  return coachingContextSchema.parse(context);
}

const text = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0);

const exerciseArb = fc.record({
  name: text,
  sets: fc.integer({ min: 1, max: 10 }),
  reps: fc.integer({ min: 1, max: 30 }),
  load_kg: fc.option(fc.double({ min: 0, max: 300, noNaN: true }), { nil: null }),
  rest_seconds: fc.integer({ min: 0, max: 300 }),
});

const mealArb = fc.record({
  name: text,
  description: fc.string({ maxLength: 60 }),
  calories: fc.integer({ min: 0, max: 2000 }),
  protein_g: fc.integer({ min: 0, max: 200 }),
  carbs_g: fc.integer({ min: 0, max: 300 }),
  fat_g: fc.integer({ min: 0, max: 150 }),
});

/** Any valid coaching context, with or without plans, for any user. */
export const contextArb: fc.Arbitrary<CoachingContext> = fc
  .record({
    userId: fc.uuid({ version: 4 }),
    name: text,
    level: fc.constantFrom(...FITNESS_LEVELS),
    goals: fc.array(text, { maxLength: 3 }),
    injuries: fc.array(text, { maxLength: 2 }),
    equipment: fc.array(text, { maxLength: 3 }),
    units: fc.constantFrom(...UNITS),
    diet: fc.array(text, { maxLength: 2 }),
    allergies: fc.array(text, { maxLength: 2 }),
    weekday: fc.constantFrom(...WEEKDAYS),
    workout: fc.option(
      fc.record({
        name: text,
        rest: fc.boolean(),
        exercises: fc.array(exerciseArb, { maxLength: 6 }),
      }),
      { nil: null },
    ),
    meals: fc.option(fc.array(mealArb, { maxLength: 5 }), { nil: null }),
  })
  .map((v) =>
    coachingContextSchema.parse({
      profile: {
        user_id: v.userId,
        name: v.name,
        fitness_level: v.level,
        goals: v.goals,
        injuries: v.injuries,
        equipment: v.equipment,
        time_zone: 'UTC',
      },
      preferences: { units: v.units, dietary_preferences: v.diet, allergies: v.allergies },
      workout_plan: v.workout
        ? { id: '11111111-1111-4111-8111-111111111111', name: 'Plan', goal: 'fit', days: [] }
        : null,
      todays_workout: v.workout
        ? {
            day: v.weekday,
            name: v.workout.name,
            rest_day: v.workout.rest,
            exercises: v.workout.exercises,
          }
        : null,
      meal_plan: v.meals
        ? {
            id: '22222222-2222-4222-8222-222222222222',
            name: 'Meals',
            daily_calorie_target: 2000,
            days: [],
          }
        : null,
      todays_meals: v.meals
        ? {
            day: v.weekday,
            meals: v.meals,
            total_calories: v.meals.reduce((s, m) => s + m.calories, 0),
          }
        : null,
      date: '2026-02-02',
      weekday: v.weekday,
    }),
  );

export const agentTypeArb = fc.constantFrom(...AGENT_TYPES);

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  event: string;
  fields: Record<string, unknown>;
}

/** A Logger that keeps every line, so tests can assert what was (and was not) logged. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (event: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, event, fields });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
