/** The demo data must be a realistic week for each user and satisfy the shared contract. */
import { describe, expect, it } from 'vitest';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import {
  mealDaySchema,
  preferencesSchema,
  profileSchema,
  WEEKDAYS,
  workoutDaySchema,
} from '../../shared/schemas.ts';

describe('seed data', () => {
  it('always contains the Demo Athlete under the fixed id', () => {
    const demo = SEED_USERS.find((seed) => seed.user.id === DEMO_USER_ID);
    expect(DEMO_USER_ID).toBe('00000000-0000-4000-8000-000000000001');
    expect(demo?.profile.name).toBe('Demo Athlete');
  });

  it('covers varied users: time zones, an injury, an allergy, imperial units', () => {
    expect(SEED_USERS.length).toBeGreaterThanOrEqual(3);
    expect(new Set(SEED_USERS.map((seed) => seed.profile.timeZone)).size).toBe(SEED_USERS.length);
    expect(SEED_USERS.some((seed) => (seed.profile.injuries ?? []).length > 0)).toBe(true);
    expect(SEED_USERS.some((seed) => (seed.profile.allergies ?? []).length > 0)).toBe(true);
    expect(SEED_USERS.some((seed) => seed.profile.units === 'imperial')).toBe(true);
    expect(new Set(SEED_USERS.map((seed) => seed.user.email)).size).toBe(SEED_USERS.length);
  });

  describe.each(SEED_USERS.map((seed) => [seed.profile.name, seed] as const))('%s', (_, seed) => {
    it('has a full profile with a real IANA time zone', () => {
      const { profile } = seed;
      profileSchema.parse({
        user_id: profile.userId,
        name: profile.name,
        fitness_level: profile.fitnessLevel,
        goals: profile.goals,
        injuries: profile.injuries,
        equipment: profile.equipment,
        time_zone: profile.timeZone,
      });
      preferencesSchema.parse({
        units: profile.units,
        dietary_preferences: profile.dietaryPreferences,
        allergies: profile.allergies,
      });
      expect(profile.goals?.length).toBeGreaterThan(0);
      expect(profile.equipment?.length).toBeGreaterThan(0);
      expect(() => new Intl.DateTimeFormat('en', { timeZone: profile.timeZone })).not.toThrow();
      expect([seed.workoutPlan.userId, seed.mealPlan.userId]).toEqual([seed.user.id, seed.user.id]);
    });

    it('has a workout week, Monday to Sunday, with one or two rest days', () => {
      const days = seed.workoutPlan.days.map((day) => workoutDaySchema.parse(day));
      expect(days.map((day) => day.day)).toEqual([...WEEKDAYS]);
      const restDays = days.filter((day) => day.rest_day);
      expect(restDays.length).toBeGreaterThanOrEqual(1);
      expect(restDays.length).toBeLessThanOrEqual(2);
      for (const day of days) {
        expect(day.exercises.length === 0).toBe(day.rest_day);
      }
    });

    it('has a meal week whose daily totals add up', () => {
      const days = seed.mealPlan.days.map((day) => mealDaySchema.parse(day));
      expect(days.map((day) => day.day)).toEqual([...WEEKDAYS]);
      for (const day of days) {
        expect(day.meals.length).toBeGreaterThanOrEqual(3);
        expect(day.total_calories).toBe(day.meals.reduce((sum, meal) => sum + meal.calories, 0));
        // Within 10% of the plan's target, so the coach's advice matches the plan.
        const target = seed.mealPlan.dailyCalorieTarget;
        expect(Math.abs(day.total_calories - target)).toBeLessThanOrEqual(target * 0.1);
      }
    });
  });
});
