/**
 * The end-of-session summary: sets done, total volume, and each exercise's best set when it beats
 * the best recent set the context carried (so "new best" means better than the last four weeks,
 * never merely "the first time we saw it"). A pure function of the session's sets.
 */
import { isBetterSet, type SetFigures } from '../../shared/best-set.ts';
import { normalizeExerciseName } from '../../shared/exercise-name.ts';
import {
  type ExerciseHistory,
  HISTORY_LIMITS,
  type Preferences,
  type SessionSummary,
} from '../../shared/schemas.ts';
import { preferredUnit } from '../workout-set.ts';
import { countOf } from './phrases.ts';
import type { DoneSet } from './progress.ts';
import { formatWeight, fromKilograms } from './units.ts';

const round2 = (n: number) => Math.round(n * 100) / 100;

export function summarizeSession(
  sets: readonly DoneSet[],
  history: readonly ExerciseHistory[],
  note?: string,
): SessionSummary {
  const byExercise = new Map<
    string,
    { exercise: string; sets: number; volume_kg: number; best: SetFigures }
  >();
  for (const set of sets) {
    const key = normalizeExerciseName(set.exercise);
    const entry = byExercise.get(key);
    if (!entry) {
      byExercise.set(key, {
        exercise: set.exercise.trim(),
        sets: 1,
        volume_kg: set.reps * set.weight_kg,
        best: set,
      });
      continue;
    }
    entry.sets += 1;
    entry.volume_kg += set.reps * set.weight_kg;
    if (isBetterSet(set, entry.best)) entry.best = set;
  }
  const exercises = [...byExercise.values()].slice(0, HISTORY_LIMITS.summaryExercises);
  const pastBest = new Map(
    history.map((h) => [normalizeExerciseName(h.exercise), h.best_recent_set] as const),
  );
  const new_bests = exercises.flatMap((e) => {
    const before = pastBest.get(normalizeExerciseName(e.exercise));
    return before && e.best.weight_kg > 0 && isBetterSet(e.best, before)
      ? [{ exercise: e.exercise, reps: e.best.reps, weight_kg: e.best.weight_kg }]
      : [];
  });
  // The API refuses control characters, and one stray byte must not lose the whole summary.
  const trimmedNote = note?.replace(/[\p{Cc}\p{Cs}]/gu, ' ').trim();
  return {
    sets: sets.length,
    total_volume_kg: round2(sets.reduce((sum, s) => sum + s.reps * s.weight_kg, 0)),
    exercises: exercises.map((e) => ({
      exercise: e.exercise,
      sets: e.sets,
      volume_kg: round2(e.volume_kg),
      best_reps: e.best.reps,
      best_weight_kg: e.best.weight_kg,
    })),
    new_bests,
    ...(trimmedNote ? { note: trimmedNote.slice(0, HISTORY_LIMITS.summaryNoteMaxLength) } : {}),
  };
}

/** The summary as the coach says it, in the user's units. */
export function describeSummary(summary: SessionSummary, units: Preferences['units']): string {
  if (summary.sets === 0) return 'No sets were logged this session.';
  const unit = preferredUnit(units);
  const volume = Math.round(fromKilograms(summary.total_volume_kg, unit));
  const parts = [
    `Session summary: ${countOf(summary.sets, 'set')}, total volume ${volume} ${unit}.`,
    ...summary.exercises.map(
      (e) =>
        `${e.exercise}: ${countOf(e.sets, 'set')}, best ${formatWeight(e.best_weight_kg, units)} for ${e.best_reps}.`,
    ),
  ];
  if (summary.new_bests.length > 0) {
    const bests = summary.new_bests.map(
      (b) => `${b.exercise} ${formatWeight(b.weight_kg, units)} for ${b.reps}`,
    );
    parts.push(`New best: ${bests.join('; ')}.`);
  }
  return parts.join(' ');
}
