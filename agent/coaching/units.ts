/**
 * Weights as the user hears them. Storage is always kilograms; a user with imperial preferences
 * hears pounds in every tool result, the log confirmation included.
 *
 * Rounding: pounds are spoken to the nearest 0.5 lb and kilograms to the nearest 0.1 kg, which is
 * finer than any plate and so never changes what the user lifted. `fromKilograms` keeps 0.01 of
 * the unit, so kilograms → pounds → kilograms (toKilograms rounds to 0.01 kg) stays within 0.01 kg.
 */
import type { Preferences } from '../../shared/schemas.ts';
import { KG_PER_LB, preferredUnit, type WeightUnit } from '../workout-set.ts';

/** A stored weight in the given unit, to 0.01 of that unit. */
export function fromKilograms(weightKg: number, unit: WeightUnit): number {
  const value = unit === 'lb' ? weightKg / KG_PER_LB : weightKg;
  return Math.round(value * 100) / 100;
}

/** "60 kg", "135 lb", "132.5 lb"; a zero or missing load is "bodyweight". */
export function formatWeight(weightKg: number | null, units: Preferences['units']): string {
  if (weightKg === null || weightKg === 0) return 'bodyweight';
  const unit = preferredUnit(units);
  const value = fromKilograms(weightKg, unit);
  const spoken = unit === 'lb' ? Math.round(value * 2) / 2 : Math.round(value * 10) / 10;
  return `${spoken} ${unit}`;
}

/** A weight step (an increase), which may be smaller than the rounding of formatWeight. */
export function formatStep(stepKg: number, units: Preferences['units']): string {
  const unit = preferredUnit(units);
  return `${Math.round(fromKilograms(stepKg, unit) * 10) / 10} ${unit}`;
}
