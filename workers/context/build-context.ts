/**
 * Turns a user's stored coaching data into the context for one day: "today" is the user's own
 * local date, so a user in Tokyo gets Tuesday's plan while it is still Monday in UTC.
 */
import { type CoachingContext, type Weekday, weekdaySchema } from '../../shared/schemas.ts';
import type { CoachingData } from '../ports.ts';

export interface LocalDay {
  /** YYYY-MM-DD in the user's time zone. */
  date: string;
  weekday: Weekday;
  /** Until the user's next local midnight (approximate across a DST change), at least 1. */
  secondsLeft: number;
}

const FALLBACK_TIME_ZONE = 'UTC';
const MAX_CACHED_FORMATTERS = 1000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function createFormatter(timeZone: string): Intl.DateTimeFormat | null {
  try {
    return new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  } catch {
    return null;
  }
}

/**
 * Building a formatter is far slower than using one, and this runs on every cached context read.
 * A zone Intl does not know is remembered with the UTC formatter, so it still gets a context.
 */
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = createFormatter(timeZone) ?? formatterFor(FALLBACK_TIME_ZONE);
    if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function localDay(now: Date, timeZone: string): LocalDay {
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of formatterFor(timeZone).formatToParts(now)) parts[part.type] = part.value;
  const secondsIntoDay =
    Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: weekdaySchema.parse(parts.weekday?.toLowerCase()),
    secondsLeft: Math.max(1, 86_400 - secondsIntoDay),
  };
}

/** What the context carries about past sessions; empty for a user who never trained. */
export interface PastTraining {
  recent_training: CoachingContext['recent_training'];
  todays_sets: CoachingContext['todays_sets'];
  last_session: CoachingContext['last_session'];
}

const NO_PAST_TRAINING: PastTraining = { recent_training: [], todays_sets: [], last_session: null };

export function buildCoachingContext(
  data: CoachingData,
  now: Date,
  past: PastTraining = NO_PAST_TRAINING,
): CoachingContext {
  const { date, weekday } = localDay(now, data.profile.time_zone);
  return {
    profile: data.profile,
    preferences: data.preferences,
    workout_plan: data.workoutPlan,
    todays_workout: data.workoutPlan?.days.find((day) => day.day === weekday) ?? null,
    meal_plan: data.mealPlan,
    todays_meals: data.mealPlan?.days.find((day) => day.day === weekday) ?? null,
    date,
    weekday,
    ...past,
  };
}
