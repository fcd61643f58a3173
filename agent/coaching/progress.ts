/**
 * Where the user is in today's workout, derived from the sets done today (those the context
 * carries plus this session's) and the exercises they chose to skip. A pure function of those:
 * after a reconnect or in a new session on the same day, the same sets give the same progress.
 *
 * A set counts toward the first planned exercise of the same name (shared/exercise-name.ts) that
 * still has sets to do; once all of them are full, it is an extra set of the last one. Sets of
 * exercises not in the plan count as extra, and a set seen twice (same log_id) counts once.
 * Only how many sets of each name were done matters, so their order never changes the result.
 */
import { normalizeExerciseName } from '../../shared/exercise-name.ts';
import type { Exercise } from '../../shared/schemas.ts';

export interface DoneSet {
  log_id: string;
  exercise: string;
  reps: number;
  weight_kg: number;
}

export interface ExerciseProgress {
  exercise: Exercise;
  /** Sets done, possibly more than planned. */
  done: number;
  skipped: boolean;
}

export interface WorkoutProgress {
  exercises: ExerciseProgress[];
  /** Index of the first exercise neither finished nor skipped; null when the workout is done. */
  current: number | null;
  /** Planned sets neither done nor skipped. */
  setsLeft: number;
  /** Sets of exercises not in today's plan. */
  unplannedSets: number;
}

/** One entry per log_id, the first seen. */
export function uniqueSets<S extends { log_id: string }>(sets: readonly S[]): S[] {
  const seen = new Set<string>();
  return sets.filter((set) => !seen.has(set.log_id) && seen.add(set.log_id));
}

export function deriveProgress(
  plan: readonly Exercise[],
  sets: readonly DoneSet[],
  skipped: ReadonlySet<number> = new Set(),
): WorkoutProgress {
  const exercises: ExerciseProgress[] = plan.map((exercise, index) => ({
    exercise,
    done: 0,
    skipped: skipped.has(index),
  }));
  let unplannedSets = 0;
  for (const set of uniqueSets(sets)) {
    const key = normalizeExerciseName(set.exercise);
    const same = exercises.filter((e) => normalizeExerciseName(e.exercise.name) === key);
    const target = same.find((e) => e.done < e.exercise.sets) ?? same.at(-1);
    if (target) target.done += 1;
    else unplannedSets += 1;
  }
  const open = (e: ExerciseProgress) => !e.skipped && e.done < e.exercise.sets;
  const current = exercises.findIndex(open);
  const setsLeft = exercises.filter(open).reduce((sum, e) => sum + (e.exercise.sets - e.done), 0);
  return { exercises, current: current === -1 ? null : current, setsLeft, unplannedSets };
}

/** The planned exercise a set of this name counts toward, by the same rule as deriveProgress. */
export function plannedIndexFor(progress: WorkoutProgress, exerciseName: string): number | null {
  const key = normalizeExerciseName(exerciseName);
  let last: number | null = null;
  for (const [index, e] of progress.exercises.entries()) {
    if (normalizeExerciseName(e.exercise.name) !== key) continue;
    if (e.done < e.exercise.sets) return index;
    last = index;
  }
  return last;
}
