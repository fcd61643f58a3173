/**
 * Today's workout and meals, rendered from the pre-loaded context. Pure functions of the context:
 * no clock, no network, no database, which is what makes the quick tools quick.
 */
import type { CoachingContext, Exercise, Preferences } from '../shared/schemas.ts';
import { KG_PER_LB } from './workout-set.ts';

function formatLoad(loadKg: number | null, units: Preferences['units']): string {
  if (loadKg === null || loadKg === 0) return 'bodyweight';
  if (units === 'imperial') return `${Math.round(loadKg / KG_PER_LB)} lb`;
  return `${Math.round(loadKg * 10) / 10} kg`;
}

function describeExercise(exercise: Exercise, index: number, units: Preferences['units']): string {
  const load = formatLoad(exercise.load_kg, units);
  const notes = exercise.notes ? ` Note: ${exercise.notes}.` : '';
  return (
    `${index + 1}. ${exercise.name}: ${exercise.sets} sets of ${exercise.reps} reps, ${load}, ` +
    `rest ${exercise.rest_seconds} seconds.${notes}`
  );
}

/** A short plain-text description of today's workout, for the model to speak from. */
export function describeTodaysWorkout(context: CoachingContext): string {
  const day = context.todays_workout;
  if (!context.workout_plan) return 'The user has no workout plan yet.';
  if (!day) return `There is no workout scheduled for today (${context.weekday}).`;
  if (day.rest_day || day.exercises.length === 0) {
    return `Today (${context.weekday}) is a rest day: ${day.name}.`;
  }
  const units = context.preferences.units;
  return [
    `Today (${context.weekday}) is ${day.name}, from the plan "${context.workout_plan.name}".`,
    ...day.exercises.map((exercise, index) => describeExercise(exercise, index, units)),
  ].join('\n');
}

/** Today's meals as JSON text, as the design specifies for get_todays_meals. */
export function todaysMealsJson(context: CoachingContext): string {
  const day = context.todays_meals;
  if (!context.meal_plan)
    return JSON.stringify({ day: context.weekday, message: 'no meal plan yet' });
  if (!day) return JSON.stringify({ day: context.weekday, message: 'no meals planned for today' });
  return JSON.stringify({
    day: day.day,
    plan: context.meal_plan.name,
    daily_calorie_target: context.meal_plan.daily_calorie_target,
    total_calories: day.total_calories,
    meals: day.meals,
  });
}
