/**
 * One repository for a whole Workers isolate over databases opened per request. Workers ties a
 * WebSocket to the request that opened it, so the neon-websocket pool cannot outlive a request;
 * everything built on the repository (services, orchestrator) can. Each call goes to the database
 * of the request it runs in, found through AsyncLocalStorage (nodejs_compat), so concurrent
 * requests of one isolate never share a pool.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CoachingRepository } from '../ports.ts';
import type { OpenDatabase } from './open.ts';

export interface RequestScopedDatabase {
  /** Stable for the isolate; each call uses the database of the request it runs in. */
  repository: CoachingRepository;
  /**
   * Opens a database for `work` (one request) and closes it once `work` settled, handing the
   * close to `waitUntil` so the response is not held up by it.
   */
  run<T>(work: () => Promise<T>, waitUntil: (closing: Promise<void>) => void): Promise<T>;
}

export function createRequestScopedDatabase(open: () => OpenDatabase): RequestScopedDatabase {
  const current = new AsyncLocalStorage<OpenDatabase>();
  const repository = (): CoachingRepository => {
    const database = current.getStore();
    // A call outside any request is a bug (e.g. work left running after the response).
    if (!database) throw new Error('no database is open outside a request');
    return database.repository;
  };
  return {
    repository: {
      findCoachingData: (userId) => repository().findCoachingData(userId),
      findExistingUserIds: (userIds) => repository().findExistingUserIds(userIds),
      insertWorkoutLogs: (entries) => repository().insertWorkoutLogs(entries),
      listWorkoutLogs: (userId, query) => repository().listWorkoutLogs(userId, query),
      recordVoiceSession: (session) => repository().recordVoiceSession(session),
      endVoiceSession: (end) => repository().endVoiceSession(end),
      storeSessionSummary: (summary) => repository().storeSessionSummary(summary),
      findLastSession: (userId) => repository().findLastSession(userId),
      ping: () => repository().ping(),
    },
    async run(work, waitUntil) {
      const database = open();
      try {
        return await current.run(database, work);
      } finally {
        waitUntil(database.close());
      }
    },
  };
}
