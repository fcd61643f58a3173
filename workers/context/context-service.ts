/**
 * The coaching context, read through the cache. An entry is only served while it is still the
 * user's local day it was built for: the TTL is capped at the user's midnight and the date is
 * checked again on read, so "today's workout" is never yesterday's.
 */

import { parseJson } from '../../shared/parse-json.ts';
import { errorName } from '../../shared/runtime.ts';
import { type CoachingContext, coachingContextSchema } from '../../shared/schemas.ts';
import type { Services } from '../app-env.ts';
import { unavailable } from '../errors.ts';
import { buildCoachingContext, localDay } from './build-context.ts';

export type ContextDependencies = Pick<
  Services,
  'config' | 'repository' | 'cache' | 'clock' | 'logger'
>;

export const contextCacheKey = (userId: string) => `context:v1:${userId}`;

async function readCached(
  deps: ContextDependencies,
  userId: string,
  now: Date,
): Promise<CoachingContext | null> {
  let raw: string | null;
  try {
    raw = await deps.cache.get(contextCacheKey(userId));
  } catch (error) {
    // The cache only saves work; the database can still answer.
    deps.logger.warn('context_cache_read_failed', { user_id: userId, error: errorName(error) });
    return null;
  }
  if (raw === null) return null;
  const parsed = parseJson(coachingContextSchema, raw);
  if (!parsed.success) {
    deps.logger.warn('context_cache_entry_invalid', { user_id: userId });
    return null;
  }
  const today = localDay(now, parsed.data.profile.time_zone).date;
  return parsed.data.date === today ? parsed.data : null;
}

/** The user's context for their local today; null when the user has no profile. */
export async function getCoachingContext(
  deps: ContextDependencies,
  userId: string,
): Promise<CoachingContext | null> {
  const now = deps.clock.now();
  const cached = await readCached(deps, userId, now);
  if (cached) return cached;

  const data = await deps.repository.findCoachingData(userId);
  if (!data) return null;
  const context = buildCoachingContext(data, now);
  const { secondsLeft } = localDay(now, context.profile.time_zone);
  const ttlSeconds = Math.min(deps.config.cache.ttlSeconds, secondsLeft);
  try {
    await deps.cache.set(contextCacheKey(userId), JSON.stringify(context), ttlSeconds);
  } catch (error) {
    deps.logger.warn('context_cache_write_failed', { user_id: userId, error: errorName(error) });
  }
  return context;
}

/** Drops the cached context, e.g. after the user's plans changed. */
export async function evictCoachingContext(
  deps: ContextDependencies,
  userId: string,
): Promise<void> {
  try {
    await deps.cache.delete(contextCacheKey(userId));
  } catch (error) {
    deps.logger.error('context_cache_evict_failed', { user_id: userId, error: errorName(error) });
    throw unavailable('the context cache is unavailable; try again');
  }
}
