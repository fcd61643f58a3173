/**
 * Drops users' cached contexts once their new sets or a session summary are stored, so the next
 * read carries them. Bursts are coalesced per user: at most one invalidation of a user's context
 * is in flight, and every call made while one runs shares the single next one, which starts
 * after it. A call settles only after an invalidation that started after the call, so a context
 * read after it never misses what the caller stored; a burst of a thousand sets of one user costs
 * two cache calls, not a thousand (each QStash delivery is one set).
 */
import { errorName } from '../../shared/runtime.ts';
import type { Cache, Logger } from '../ports.ts';
import { contextCacheKey } from './context-service.ts';

/** Never rejects: the sets are stored either way, and a stale entry still ends at its TTL. */
export type ForgetContexts = (userIds: Iterable<string>) => Promise<void>;

interface UserInvalidations {
  /** Not started yet: a new call joins it. */
  queued: Promise<void> | undefined;
  running: Promise<void> | undefined;
}

export function createContextForgetter(deps: { cache: Cache; logger: Logger }): ForgetContexts {
  const users = new Map<string, UserInvalidations>();

  const invalidate = async (userId: string): Promise<void> => {
    try {
      await deps.cache.invalidate(contextCacheKey(userId));
    } catch (error) {
      deps.logger.warn('context_cache_evict_failed', { user_id: userId, error: errorName(error) });
    }
  };

  const forget = (userId: string): Promise<void> => {
    const state = users.get(userId) ?? { queued: undefined, running: undefined };
    users.set(userId, state);
    if (state.queued) return state.queued;
    const queued = (state.running ?? Promise.resolve()).then(() => {
      // Started: calls from now on need an invalidation that starts after them.
      state.queued = undefined;
      const running = invalidate(userId);
      state.running = running;
      return running.finally(() => {
        if (state.running !== running) return;
        state.running = undefined;
        if (!state.queued) users.delete(userId);
      });
    });
    state.queued = queued;
    return queued;
  };

  return async (userIds) => {
    await Promise.all([...new Set(userIds)].map(forget));
  };
}
