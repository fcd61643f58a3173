/**
 * Where a session's summary goes: the API stores it with the session's voice_sessions row. The
 * call is idempotent, so a failed attempt is simply tried again, a few times, inside a deadline
 * that keeps shutdown short.
 */
import { ApiRequestError, type EdgeApi } from '../../shared/api-client.ts';
import { abortableSleep } from '../abortable-sleep.ts';
import type { SummarySink } from './workout-coach.ts';

export interface SummarySinkOptions {
  attempts?: number;
  deadlineMs?: number;
  backoffMs?: number;
}

export const defaultSummarySinkOptions = {
  attempts: 3,
  deadlineMs: 4000,
  backoffMs: 250,
} as const satisfies SummarySinkOptions;

/** Null without a room name: a session that is not in a room has no row to store it with. */
export function summarySinkFor(
  api: Pick<EdgeApi, 'storeSessionSummary'>,
  roomName: string | undefined,
  userId: string,
  options: SummarySinkOptions = {},
): SummarySink | null {
  if (!roomName) return null;
  const { attempts, deadlineMs, backoffMs } = { ...defaultSummarySinkOptions, ...options };
  return {
    async store(summary) {
      const deadline = AbortSignal.timeout(deadlineMs);
      for (let attempt = 1; ; attempt++) {
        try {
          await api.storeSessionSummary(roomName, { user_id: userId, summary }, deadline);
          return;
        } catch (error) {
          const final = error instanceof ApiRequestError && !error.retryable;
          if (final || attempt >= attempts || deadline.aborted) throw error;
          await abortableSleep(backoffMs * 2 ** (attempt - 1), deadline);
        }
      }
    },
  };
}
