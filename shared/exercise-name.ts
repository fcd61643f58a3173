/**
 * One rule for "is this the same exercise": case, surrounding space and runs of space do not
 * matter. The API (training history) and the agent (progress through today's plan) both use it,
 * so they always agree on which logged sets belong to which planned exercise.
 */
export function normalizeExerciseName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}
