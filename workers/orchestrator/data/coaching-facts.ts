/**
 * The user's stored coaching data written as short plain-text facts for a specialist's prompt.
 * Text rather than JSON: it costs fewer tokens and reads the way the answer should sound.
 */

import { profileFacts } from '../../../shared/profile-facts.ts';
import type {
  MealDay,
  MealPlan,
  Weekday,
  WorkoutDay,
  WorkoutPlan,
} from '../../../shared/schemas.ts';
import type { CoachingData } from '../../ports.ts';
import { kilograms, spokenNumber } from './numbers.ts';

export function describeProfile(data: CoachingData): string {
  const { profile, preferences } = data;
  return [
    ...profileFacts(profile, preferences),
    `Preferred units: ${preferences.units}${preferences.units === 'imperial' ? ' (convert kilograms to pounds: 1 kg is 2.2 lb)' : ''}.`,
  ].join('\n');
}

export function describeWorkoutDay(day: WorkoutDay): string {
  if (day.rest_day || day.exercises.length === 0) return `${day.name} (rest day)`;
  const exercises = day.exercises.map((e) => {
    // A run or a warm-up is stored as one set of one; its notes say how long.
    const volume = e.sets === 1 && e.reps === 1 ? '' : ` ${e.sets} sets of ${e.reps}`;
    const load = e.load_kg === null ? '' : ` at ${kilograms(e.load_kg)}`;
    const rest = e.rest_seconds > 0 ? `, rest ${e.rest_seconds} seconds` : '';
    const notes = e.notes ? ` (${e.notes})` : '';
    return `${e.name}${volume}${load}${rest}${notes}`;
  });
  return `${day.name}: ${exercises.join('; ')}`;
}

export function describeMealDay(day: MealDay): string {
  const meals = day.meals.map(
    (m) =>
      `${m.name}: ${m.description} (${spokenNumber(m.calories)} calories, ${spokenNumber(m.protein_g)} g protein, ${spokenNumber(m.carbs_g)} g carbs, ${spokenNumber(m.fat_g)} g fat)`,
  );
  return `${spokenNumber(day.total_calories)} calories. ${meals.join('; ')}`;
}

function dayLines<D extends { day: Weekday }>(
  days: readonly D[],
  describe: (day: D) => string,
  today: Weekday,
): string {
  return days
    .map((d) => `- ${d.day}${d.day === today ? ' (today)' : ''}: ${describe(d)}`)
    .join('\n');
}

export function describeWorkoutPlan(plan: WorkoutPlan | null, today: Weekday): string {
  if (!plan) return 'Workout plan: the user has no active workout plan.';
  return `Workout plan "${plan.name}", goal: ${plan.goal}.\n${dayLines(plan.days, describeWorkoutDay, today)}`;
}

export function describeMealPlan(plan: MealPlan | null, today: Weekday): string {
  if (!plan) return 'Meal plan: the user has no active meal plan.';
  return `Meal plan "${plan.name}", daily target ${spokenNumber(plan.daily_calorie_target)} calories.\n${dayLines(plan.days, describeMealDay, today)}`;
}
