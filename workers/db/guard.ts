/**
 * The contract promises 503 when a dependency is down, never a 500 carrying a driver's message.
 * Wrapping the repository once here gives every route that promise without each one catching
 * database errors itself. Stored data that fails its schema is a bug, not an outage, so it passes
 * through unchanged and stays a 500.
 */

import { errorName } from '../../shared/runtime.ts';
import { ApiError, unavailable } from '../errors.ts';
import type { CoachingRepository, Logger } from '../ports.ts';
import { StoredDataError } from './repository.ts';

export function guardRepository(
  repository: CoachingRepository,
  logger: Logger,
): CoachingRepository {
  const guard =
    <A extends unknown[], R>(operation: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call.apply(repository, args);
      } catch (error) {
        if (error instanceof ApiError || error instanceof StoredDataError) throw error;
        // A driver's message can quote SQL or values, so only the error's class is logged.
        logger.error('database_unavailable', {
          operation,
          error: errorName(error),
        });
        throw unavailable('the database is unavailable; please retry shortly');
      }
    };
  return {
    findCoachingData: guard('findCoachingData', repository.findCoachingData),
    findExistingUserIds: guard('findExistingUserIds', repository.findExistingUserIds),
    insertWorkoutLogs: guard('insertWorkoutLogs', repository.insertWorkoutLogs),
    listWorkoutLogs: guard('listWorkoutLogs', repository.listWorkoutLogs),
    recordVoiceSession: guard('recordVoiceSession', repository.recordVoiceSession),
    endVoiceSession: guard('endVoiceSession', repository.endVoiceSession),
    storeSessionSummary: guard('storeSessionSummary', repository.storeSessionSummary),
    findLastSession: guard('findLastSession', repository.findLastSession),
    ping: guard('ping', repository.ping),
  };
}
