/**
 * Loads the coaching context once, before the agent joins the room: a few quick retries for
 * transient failures, all inside one overall deadline, so a job never hangs on the API.
 */
import { ApiRequestError, type EdgeApi } from '../shared/api-client.ts';
import type { CoachingContext } from '../shared/schemas.ts';
import { abortableSleep } from './abortable-sleep.ts';

export interface ContextLoadOptions {
  attempts?: number;
  deadlineMs?: number;
  /** Delay before the second attempt; doubles after each failure. */
  backoffMs?: number;
}

export const defaultContextLoadOptions = {
  attempts: 3,
  deadlineMs: 5000,
  backoffMs: 200,
} as const satisfies ContextLoadOptions;

/**
 * The user's context, or null when the user has no profile. Throws the last ApiRequestError when
 * the API stays unreachable or refuses permanently.
 */
export async function loadCoachingContext(
  api: Pick<EdgeApi, 'getContext'>,
  userId: string,
  options: ContextLoadOptions = {},
): Promise<CoachingContext | null> {
  const { attempts, deadlineMs, backoffMs } = { ...defaultContextLoadOptions, ...options };
  const deadline = AbortSignal.timeout(deadlineMs);
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts && !deadline.aborted; attempt++) {
    try {
      return await api.getContext(userId, deadline);
    } catch (error) {
      lastError = error;
      if (error instanceof ApiRequestError && !error.retryable) throw error;
      if (attempt < attempts) await abortableSleep(backoffMs * 2 ** (attempt - 1), deadline);
    }
  }
  throw lastError instanceof ApiRequestError
    ? lastError
    : new ApiRequestError(undefined, 'timeout', 'the coaching context did not load in time');
}
