/**
 * The progressive-overload rule: double progression.
 *
 * An exercise is planned as `sets` × `reps` at `load_kg`. Judged on one session's sets of it:
 * - When at least `sets` sets were done at the planned load (or heavier) with at least the
 *   planned reps, the load goes up next time by one step: 2.5 kg below 60 kg, 5 kg from 60 kg
 *   (the smallest common plate pair, and twice that where it is a small share of the load).
 * - When the session has all planned sets but fewer of them reached the target, the load holds.
 * - Bodyweight exercises (no load), and sessions with fewer sets than planned, get no advice:
 *   too little to judge, and the coach says nothing rather than something wrong.
 * The rule never suggests lowering the load and never a change larger than one step.
 */
import type { Exercise } from '../../shared/schemas.ts';

export const OVERLOAD_STEPS_KG = { below60: 2.5, from60: 5 } as const;
/** Weights stored from pounds are rounded to 0.01 kg, so "the planned load" allows that much. */
const LOAD_TOLERANCE_KG = 0.01;

export type OverloadAdvice =
  | { kind: 'increase'; fromKg: number; toKg: number; stepKg: number }
  | { kind: 'hold'; loadKg: number }
  | { kind: 'none' };

export function overloadStepKg(loadKg: number): number {
  return loadKg >= 60 ? OVERLOAD_STEPS_KG.from60 : OVERLOAD_STEPS_KG.below60;
}

export function adviseOverload(
  planned: Pick<Exercise, 'sets' | 'reps' | 'load_kg'>,
  sets: readonly { reps: number; weight_kg: number }[],
): OverloadAdvice {
  const load = planned.load_kg;
  if (load === null || load <= 0 || sets.length < planned.sets) return { kind: 'none' };
  const onTarget = sets.filter(
    (set) => set.weight_kg >= load - LOAD_TOLERANCE_KG && set.reps >= planned.reps,
  ).length;
  if (onTarget < planned.sets) return { kind: 'hold', loadKg: load };
  const stepKg = overloadStepKg(load);
  return { kind: 'increase', fromKg: load, toKg: Math.round((load + stepKg) * 100) / 100, stepKg };
}
