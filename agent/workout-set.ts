/**
 * Turns what the LLM says it heard ("ten squats at sixty kilos") into a LogEntry, or into a short
 * reason it cannot. The LLM can invent anything (negative reps, fractional reps, a 10 kB name,
 * a weight in the wrong unit), so every field is checked against the same limits as the API.
 *
 * Unit rule: `unit` is "kg" or "lb". When the model leaves it out, the weight is taken to be in
 * the user's preferred units (metric → kg, imperial → lb), because that is how the user speaks.
 * Pounds are converted to kilograms (exactly 0.45359237 kg per lb) and the result is rounded to
 * 0.01 kg before the 0 to 1000 kg range check. Bodyweight sets are logged with weight 0.
 */
import { type LogEntry, logEntrySchema, type Preferences } from '../shared/schemas.ts';

export const KG_PER_LB = 0.45359237;
export const WEIGHT_UNITS = ['kg', 'lb'] as const;
export type WeightUnit = (typeof WEIGHT_UNITS)[number];

export interface WorkoutSetInput {
  exercise: string;
  reps: number;
  weight: number;
  unit?: WeightUnit | undefined;
}

export type WorkoutSetResult = { ok: true; entry: LogEntry } | { ok: false; reason: string };

export function preferredUnit(units: Preferences['units']): WeightUnit {
  return units === 'imperial' ? 'lb' : 'kg';
}

export function toKilograms(weight: number, unit: WeightUnit): number {
  const kg = unit === 'lb' ? weight * KG_PER_LB : weight;
  return Math.round(kg * 100) / 100;
}

/** Spoken-style reasons, one per field, for the model to relay or act on. */
const REASONS: Record<string, string> = {
  exercise: 'the exercise name must be given and be at most 255 characters',
  reps: 'the reps must be a whole number from 1 to 1000',
  weight_kg: 'the weight must be between 0 and 1000 kilograms',
};

export function buildLogEntry(
  input: WorkoutSetInput,
  context: { userId: string; units: Preferences['units']; logId: string; now: Date },
): WorkoutSetResult {
  const unit = input.unit ?? preferredUnit(context.units);
  const weightKg = Number.isFinite(input.weight) ? toKilograms(input.weight, unit) : Number.NaN;
  const parsed = logEntrySchema.safeParse({
    log_id: context.logId,
    user_id: context.userId,
    exercise:
      typeof input.exercise === 'string' ? input.exercise.replace(/\s+/g, ' ') : input.exercise,
    reps: input.reps,
    weight_kg: weightKg,
    logged_at: context.now.toISOString(),
  });
  if (parsed.success) return { ok: true, entry: parsed.data };
  const fields = [...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))];
  const reasons = fields.map((field) => REASONS[field] ?? `${field} is invalid`);
  return { ok: false, reason: `I could not log that set: ${reasons.join(', and ')}.` };
}
