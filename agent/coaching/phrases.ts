/**
 * The short lines the coach uses about today's workout, in the user's units. Pure functions:
 * every quick answer is built from these and in-memory state only.
 */
import type { ExerciseHistory, Preferences } from '../../shared/schemas.ts';
import { adviseOverload } from './overload.ts';
import type { WorkoutProgress } from './progress.ts';
import { formatStep, formatWeight } from './units.ts';

/** (1, "rep") → "1 rep", (6, "rep") → "6 reps", (0, "set") → "0 sets". */
export function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** 120 → "2 minutes", 90 → "1 minute 30 seconds", 45 → "45 seconds". */
export function restWords(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  const m = countOf(minutes, 'minute');
  const s = countOf(rest, 'second');
  if (minutes === 0) return s;
  return rest === 0 ? m : `${m} ${s}`;
}

/** ["a"] → "a", ["a", "b"] → "a and b", ["a", "b", "c"] → "a, b and c". */
export function spokenList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * "set 3 of 4 of back squat, 6 reps at 80 kg", for the exercise at `index`. A single set is named
 * without "set 1 of 1"; a single bodyweight rep with a note is a timed item (plans write "Easy run,
 * 1 set of 1, 40 minutes at conversational pace"), said as its name and note.
 */
export function describeSet(
  progress: WorkoutProgress,
  index: number,
  units: Preferences['units'],
): string {
  const { exercise, done } = progress.exercises[index] ?? { exercise: null, done: 0 };
  if (!exercise) return 'nothing';
  const load = formatWeight(exercise.load_kg, units);
  const notes = exercise.notes ? ` (${exercise.notes})` : '';
  const which = exercise.sets === 1 ? '' : `set ${done + 1} of ${exercise.sets} of `;
  if (exercise.reps === 1 && load === 'bodyweight' && notes) {
    return `${which}${exercise.name}${notes}`;
  }
  const how = load === 'bodyweight' ? 'with bodyweight' : `at ${load}`;
  return `${which}${exercise.name}, ${countOf(exercise.reps, 'rep')} ${how}${notes}`;
}

export function setsLeftWords(progress: WorkoutProgress): string {
  return `${countOf(progress.setsLeft, 'set')} left today`;
}

/** What last time says about this exercise today, by the overload rule; empty when nothing. */
export function lastTimeAdvice(
  progress: WorkoutProgress,
  index: number,
  history: readonly ExerciseHistory[],
  units: Preferences['units'],
): string {
  const entry = progress.exercises[index];
  if (!entry || entry.done > 0) return '';
  const last = history.find((h) => h.exercise === entry.exercise.name)?.last_session;
  if (!last) return '';
  const advice = adviseOverload(entry.exercise, last.sets);
  if (advice.kind === 'increase') {
    return ` Last time every set hit the target, so try ${formatWeight(advice.toKg, units)} today.`;
  }
  const reps = last.sets.map((s) => s.reps).join(', ');
  return ` Last time (${last.date}): ${reps} reps.`;
}

/** The remark after the last planned set of an exercise, by the overload rule; empty when none. */
export function overloadRemark(
  advice: ReturnType<typeof adviseOverload>,
  plannedReps: number,
  units: Preferences['units'],
): string {
  if (advice.kind === 'increase') {
    return ` Every set hit ${countOf(plannedReps, 'rep')}: next time add ${formatStep(advice.stepKg, units)} and go ${formatWeight(advice.toKg, units)}.`;
  }
  if (advice.kind === 'hold') {
    return ` Hold ${formatWeight(advice.loadKg, units)} next time until every set reaches ${countOf(plannedReps, 'rep')}.`;
  }
  return '';
}
