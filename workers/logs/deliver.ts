/**
 * The one delivery function for logged sets: QStash's callback route and the in-process queue
 * both call it, so a set is written the same way whichever queue carried it.
 */

import { errorName } from '../../shared/runtime.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import type { ForgetContexts } from '../context/context-forgetter.ts';
import type { CoachingRepository, Logger } from '../ports.ts';

/** Delivers a batch; resolves with how many rows were new. */
export type DeliverLogs = (entries: readonly LogEntry[]) => Promise<number>;

/** The database refused or could not be reached; the queue should try again later. */
export class LogDeliveryError extends Error {
  constructor(options: { cause: unknown }) {
    super('the workout logs could not be stored', options);
    this.name = 'LogDeliveryError';
  }
}

/**
 * Inserts idempotently on log_id, so a redelivery (QStash retries, duplicate deliveries, a
 * republish after a crash) never stores a set twice. Throws LogDeliveryError when the database
 * fails so the caller answers 5xx and the queue retries.
 */
export async function deliverLogs(
  repository: CoachingRepository,
  entries: readonly LogEntry[],
  logger: Logger,
  /** When given, the cached contexts of users with new sets are dropped (they carry today's sets). */
  forgetContexts?: ForgetContexts,
): Promise<number> {
  let stored: number;
  try {
    stored = await repository.insertWorkoutLogs(entries);
  } catch (error) {
    logger.error('log_delivery_failed', {
      entries: entries.length,
      error: errorName(error),
    });
    throw new LogDeliveryError({ cause: error });
  }
  if (forgetContexts && stored > 0) await forgetContexts(entries.map((entry) => entry.user_id));
  logger.info('logs_delivered', { entries: entries.length, stored });
  return stored;
}
