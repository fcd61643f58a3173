/**
 * What can go wrong answering a specialist question, as values the route maps to HTTP. The
 * reason is for logs and tests only; callers always get the same friendly sentence, which the
 * voice agent can speak as it is.
 */
export const SPECIALIST_FAILURE_REASONS = [
  /** The latency budget ran out. */
  'timeout',
  /** The provider answered with an error (after any retries). */
  'model_error',
  /** The model's reply had no usable answer. */
  'malformed_output',
  /** The model kept asking for tools instead of answering. */
  'tool_loop',
  /** The caller went away. */
  'aborted',
  /** Anything else, such as the database failing mid-answer. */
  'internal',
] as const;
export type SpecialistFailureReason = (typeof SPECIALIST_FAILURE_REASONS)[number];

export const SPECIALIST_UNAVAILABLE_MESSAGE =
  "I'm having trouble with that right now. Can you rephrase?";

export class SpecialistUnavailableError extends Error {
  readonly reason: SpecialistFailureReason;
  /** The provider's HTTP status, when it sent one. */
  readonly status: number | undefined;

  constructor(reason: SpecialistFailureReason, options: { cause?: unknown; status?: number } = {}) {
    super(SPECIALIST_UNAVAILABLE_MESSAGE, { cause: options.cause });
    this.name = 'SpecialistUnavailableError';
    this.reason = reason;
    this.status = options.status;
  }
}

/** The user has no profile, so there is nothing to coach from. */
export class UnknownUserError extends Error {
  readonly userId: string;

  constructor(userId: string) {
    super(`user ${userId} has no profile`);
    this.name = 'UnknownUserError';
    this.userId = userId;
  }
}
