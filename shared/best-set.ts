/**
 * Which of two sets is the better one, by one rule everywhere (the tracker's summaries, the
 * context's best recent set, the session summary's new bests): heavier wins; at the same weight,
 * more reps.
 */
export interface SetFigures {
  reps: number;
  weight_kg: number;
}

export function isBetterSet(candidate: SetFigures, than: SetFigures): boolean {
  return (
    candidate.weight_kg > than.weight_kg ||
    (candidate.weight_kg === than.weight_kg && candidate.reps > than.reps)
  );
}
