/**
 * This week's schedule in the user's time zone, Monday to Sunday with real dates and today
 * marked, so "what do I do on Thursday" or "can I move today's session" need no date maths
 * from the model.
 */
import { WEEKDAYS } from '../../../shared/schemas.ts';
import type { LocalDay } from '../../context/build-context.ts';
import type { CoachingData } from '../../ports.ts';
import { addDays } from './calendar.ts';
import { describeWorkoutDay } from './coaching-facts.ts';
import { spokenNumber } from './numbers.ts';

export function describeWeekSchedule(
  data: CoachingData,
  today: Pick<LocalDay, 'date' | 'weekday'>,
): string {
  const monday = addDays(today.date, -WEEKDAYS.indexOf(today.weekday));
  const lines = WEEKDAYS.map((weekday, index) => {
    const date = addDays(monday, index);
    const marker = date === today.date ? ' (today)' : date < today.date ? ' (past)' : '';
    const workout = data.workoutPlan?.days.find((d) => d.day === weekday);
    const meals = data.mealPlan?.days.find((d) => d.day === weekday);
    const training = workout ? describeWorkoutDay(workout) : 'nothing planned';
    const eating = meals
      ? ` Meals: ${meals.meals.map((m) => m.name).join(', ')}, ${spokenNumber(meals.total_calories)} calories.`
      : '';
    return `- ${weekday} ${date}${marker}: ${training}.${eating}`;
  });
  return [
    `This week in the user's time zone (today is ${today.weekday} ${today.date}):`,
    ...lines,
  ].join('\n');
}
