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

/**
 * What of an error may be logged: its class. Messages can quote SQL, values, a provider's
 * answer or what the user said, so they never reach a log line.
 */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}

/** The system error code (`EACCES`, `ENOSPC`, ...) of a failure, never its message. */
export function errorCode(error: unknown): string {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : 'unexpected';
}
