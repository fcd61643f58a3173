/**
 * The latency budget of one specialist answer. Every model call runs under the budget's signal
 * and is retried at most twice, and only while enough of the budget is left for a retry to
 * finish; waiting past the deadline would only turn a fast failure into a slow one.
 */
import { SpecialistUnavailableError } from './errors.ts';

export const MAX_RETRIES = 2;
/** A retry that starts with less than this left cannot produce an answer in time. */
export const MIN_RETRY_BUDGET_MS = 250;
const RETRY_BACKOFF_MS = 50;

export class Budget {
  readonly signal: AbortSignal;
  readonly #deadline: AbortSignal;
  readonly #endsAt: number;

  constructor(timeoutMs: number, callerSignal?: AbortSignal) {
    this.#deadline = AbortSignal.timeout(timeoutMs);
    this.#endsAt = performance.now() + timeoutMs;
    this.signal = callerSignal ? AbortSignal.any([this.#deadline, callerSignal]) : this.#deadline;
  }

  remainingMs(): number {
    return Math.max(0, this.#endsAt - performance.now());
  }

  /** The error for a stop caused by this budget's signal. */
  stopped(cause?: unknown): SpecialistUnavailableError {
    return new SpecialistUnavailableError(this.#deadline.aborted ? 'timeout' : 'aborted', {
      cause,
    });
  }

  /** Settles like `work`, or rejects as soon as the budget is gone (for work that takes no signal). */
  race<T>(work: Promise<T>): Promise<T> {
    if (this.signal.aborted) return Promise.reject(this.stopped());
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.stopped());
      this.signal.addEventListener('abort', onAbort, { once: true });
      work.then(resolve, reject).finally(() => this.signal.removeEventListener('abort', onAbort));
    });
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  return typeof error.status === 'number' ? error.status : undefined;
}

/** Rate limits, server errors and dropped connections may pass; a rejected request will not. */
function isRetryable(status: number | undefined): boolean {
  return (
    status === undefined || status === 408 || status === 409 || status === 429 || status >= 500
  );
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/** Runs one model call under the budget, retrying transient failures while time remains. */
export async function callWithinBudget<T>(
  budget: Budget,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (budget.signal.aborted) throw budget.stopped();
    try {
      return await budget.race(call(budget.signal));
    } catch (error) {
      if (error instanceof SpecialistUnavailableError) throw error;
      if (budget.signal.aborted) throw budget.stopped(error);
      const status = statusOf(error);
      const canRetry =
        isRetryable(status) &&
        attempt < MAX_RETRIES &&
        budget.remainingMs() > MIN_RETRY_BUDGET_MS + RETRY_BACKOFF_MS;
      if (!canRetry) throw new SpecialistUnavailableError('model_error', { cause: error, status });
      await pause(RETRY_BACKOFF_MS * (attempt + 1), budget.signal);
    }
  }
}
