/**
 * The two side effects both processes pass around instead of reaching for globals: the clock
 * (so tests can fix "today") and the structured logger (so nothing logs by accident).
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Structured log lines. Fields must never carry secrets or personal data (ids are fine). */
export interface Logger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}
