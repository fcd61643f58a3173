/**
 * Summarises logged sets for the tracker: volume and best set per exercise and how many distinct
 * local days the user trained, so the model reasons over a few lines instead of raw rows.
 */
import { isBetterSet } from '../../../shared/best-set.ts';
import type { WorkoutLog } from '../../../shared/schemas.ts';
import { localDay } from '../../context/build-context.ts';
import { addDays } from './calendar.ts';
import { count, kilograms, spokenNumber } from './numbers.ts';

interface ExerciseSummary {
  name: string;
  sets: number;
  volumeKg: number;
  best: WorkoutLog;
  lastDate: string;
}

function summariseExercises(logs: readonly WorkoutLog[], dateOf: (log: WorkoutLog) => string) {
  const byExercise = new Map<string, ExerciseSummary>();
  for (const log of logs) {
    const key = log.exercise.trim().toLowerCase();
    const date = dateOf(log);
    const entry = byExercise.get(key);
    if (!entry) {
      byExercise.set(key, {
        name: log.exercise.trim(),
        sets: 1,
        volumeKg: log.reps * log.weight_kg,
        best: log,
        lastDate: date,
      });
      continue;
    }
    entry.sets += 1;
    entry.volumeKg += log.reps * log.weight_kg;
    if (isBetterSet(log, entry.best)) entry.best = log;
    if (date > entry.lastDate) entry.lastDate = date;
  }
  return [...byExercise.values()].sort((a, b) => b.sets - a.sets);
}

function describeExercise(e: ExerciseSummary): string {
  const best =
    e.best.weight_kg > 0
      ? `${kilograms(e.best.weight_kg)} for ${e.best.reps} reps`
      : `${e.best.reps} reps with bodyweight`;
  return `- ${e.name}: ${count(e.sets, 'set')}, volume ${kilograms(Math.round(e.volumeKg))}, best set ${best}, last done ${e.lastDate}`;
}

export interface PeriodSummaryInput {
  /** Newest first, as the repository lists them. */
  logs: readonly WorkoutLog[];
  timeZone: string;
  /** Local dates, inclusive. */
  from: string;
  to: string;
  /** The listing stopped at this many sets, so older ones in the period are missing. */
  truncatedAt?: number;
}

/** Sets, training days and per-exercise figures for one period. */
export function describePeriod(input: PeriodSummaryInput): string {
  const { logs, timeZone, from, to } = input;
  const dateOf = (log: WorkoutLog) => localDay(new Date(log.logged_at), timeZone).date;
  const header = `Logged sets from ${from} to ${to}`;
  if (logs.length === 0) return `${header}: none.`;
  const days = new Set(logs.map(dateOf));
  const totalVolume = logs.reduce((sum, log) => sum + log.reps * log.weight_kg, 0);
  const lines = [
    `${header}: ${count(logs.length, 'set')} on ${count(days.size, 'day')}, total volume ${kilograms(Math.round(totalVolume))}.`,
    ...summariseExercises(logs, dateOf).map(describeExercise),
  ];
  if (input.truncatedAt !== undefined && logs.length >= input.truncatedAt) {
    lines.push(
      `Only the newest ${spokenNumber(input.truncatedAt)} sets of this period are included.`,
    );
  }
  return lines.join('\n');
}

/** How many distinct local days in the last 7 and 28 days (today included) had a logged set. */
export function describeConsistency(
  logs: readonly WorkoutLog[],
  timeZone: string,
  today: string,
): string {
  const days = new Set(logs.map((log) => localDay(new Date(log.logged_at), timeZone).date));
  const within = (n: number) =>
    [...days].filter((d) => d >= addDays(today, -(n - 1)) && d <= today).length;
  const lastDay = [...days].sort().at(-1);
  return [
    `Consistency: trained on ${within(7)} of the last 7 days and ${within(28)} of the last 28 days.`,
    lastDay ? `Last training day: ${lastDay}.` : 'No training logged in the last 28 days.',
  ].join(' ');
}
