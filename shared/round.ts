/**
 * Figures as log lines, room events and benchmark results report them: to one decimal (0.1 ms,
 * 0.1 MB). Finer digits are noise in a measurement taken with timers and schedulers in the way.
 */
export function roundToTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
