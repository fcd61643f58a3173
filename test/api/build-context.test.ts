import { describe, expect, it } from 'vitest';
import { type MealPlan, WEEKDAYS } from '../../shared/schemas.ts';
import { buildCoachingContext, localDay } from '../../workers/context/build-context.ts';
import type { CoachingData } from '../../workers/ports.ts';

const mealPlan: MealPlan = {
  id: '22222222-2222-4222-8222-222222222222',
  name: 'Meals',
  daily_calorie_target: 2500,
  days: WEEKDAYS.map((day) => ({ day, meals: [], total_calories: 0 })),
};

const data: CoachingData = {
  profile: {
    user_id: '00000000-0000-4000-8000-0000000000aa',
    name: 'Test Athlete',
    fitness_level: 'intermediate',
    goals: ['strength'],
    injuries: [],
    equipment: ['barbell'],
    time_zone: 'Asia/Tokyo',
  },
  preferences: { units: 'metric', dietary_preferences: [], allergies: [] },
  workoutPlan: {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'Week',
    goal: 'strength',
    days: WEEKDAYS.map((day) => ({ day, name: `${day} session`, rest_day: false, exercises: [] })),
  },
  mealPlan,
};
const withZone = (time_zone: string): CoachingData => ({
  ...data,
  profile: { ...data.profile, time_zone },
});

// Monday 2025-06-02 20:30 UTC: already Tuesday in Tokyo, still Monday morning in Los Angeles.
const mondayEveningUtc = new Date('2025-06-02T20:30:00Z');

describe('buildCoachingContext', () => {
  it("picks today's workout and meals by the user's local weekday", () => {
    const context = buildCoachingContext(data, mondayEveningUtc);
    expect(context.date).toBe('2025-06-03');
    expect(context.weekday).toBe('tuesday');
    expect(context.todays_workout?.name).toBe('tuesday session');
    expect(context.todays_meals?.day).toBe('tuesday');
    expect(context.workout_plan).toEqual(data.workoutPlan);
    expect(context.meal_plan).toEqual(data.mealPlan);
    expect(context.profile).toEqual(data.profile);
    expect(context.preferences).toEqual(data.preferences);
  });

  it('uses the zone west of UTC too', () => {
    const context = buildCoachingContext(withZone('America/Los_Angeles'), mondayEveningUtc);
    expect(context.date).toBe('2025-06-02');
    expect(context.todays_workout?.day).toBe('monday');
  });

  it('falls back to UTC for a time zone Intl does not know', () => {
    const context = buildCoachingContext(
      withZone('Mars/Olympus_Mons'),
      new Date('2025-06-01T23:59:59Z'),
    );
    expect(context.date).toBe('2025-06-01');
    expect(context.weekday).toBe('sunday');
  });

  it('answers null for a missing plan or a day the plan does not list', () => {
    const partial: CoachingData = {
      ...data,
      workoutPlan: null,
      mealPlan: { ...mealPlan, days: mealPlan.days.filter((d) => d.day !== 'tuesday') },
    };
    const context = buildCoachingContext(partial, mondayEveningUtc);
    expect(context.workout_plan).toBeNull();
    expect(context.todays_workout).toBeNull();
    expect(context.todays_meals).toBeNull();
  });
});

describe('localDay', () => {
  it('counts the seconds left until local midnight', () => {
    expect(localDay(new Date('2025-06-02T14:30:00Z'), 'Asia/Tokyo')).toEqual({
      date: '2025-06-02',
      weekday: 'monday',
      secondsLeft: 30 * 60,
    });
  });

  it('never answers zero seconds left', () => {
    expect(localDay(new Date('2025-06-02T23:59:59.900Z'), 'UTC').secondsLeft).toBe(1);
  });
});
