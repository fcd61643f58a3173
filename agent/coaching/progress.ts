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
  return progressFromCounts(plan, countByExercise(sets), skipped);
}

/** How many sets of each exercise (by normalized name), each log_id counted once. */
export function countByExercise(sets: readonly DoneSet[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const set of uniqueSets(sets)) {
    const key = normalizeExerciseName(set.exercise);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * The same progress from per-exercise counts, so a session can keep counts as sets arrive and
 * never walk its whole list of sets to answer "what's next".
 */
export function progressFromCounts(
  plan: readonly Exercise[],
  counts: ReadonlyMap<string, number>,
  skipped: ReadonlySet<number> = new Set(),
): WorkoutProgress {
  const exercises: ExerciseProgress[] = plan.map((exercise, index) => ({
    exercise,
    done: 0,
    skipped: skipped.has(index),
  }));
  let unplannedSets = 0;
  for (const [key, count] of counts) {
    const same = exercises.filter((e) => normalizeExerciseName(e.exercise.name) === key);
    if (same.length === 0) {
      unplannedSets += count;
      continue;
    }
    // Fill each same-named exercise in plan order; whatever is left is extra on the last one.
    let left = count;
    for (const e of same) {
      const take = Math.min(left, e.exercise.sets);
      e.done += take;
      left -= take;
    }
    (same.at(-1) as ExerciseProgress).done += left;
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
