/**
 * The coaching context, read through the cache. An entry is only served while it is still the
 * user's local day it was built for: the TTL is capped at the user's midnight and the date is
 * checked again on read, so "today's workout" is never yesterday's.
 */

import { parseJson } from '../../shared/parse-json.ts';
import { errorName } from '../../shared/runtime.ts';
import {
  type CoachingContext,
  coachingContextSchema,
  HISTORY_LIMITS,
} from '../../shared/schemas.ts';
import type { Services } from '../app-env.ts';
import { unavailable } from '../errors.ts';
import type { CoachingData } from '../ports.ts';
import { buildCoachingContext, localDay, type PastTraining } from './build-context.ts';
import { buildTrainingHistory } from './training-history.ts';

export type ContextDependencies = Pick<
  Services,
  'config' | 'repository' | 'cache' | 'clock' | 'logger'
>;

/** v2: the context carries past training; a v1 entry (without it) is simply never read. */
export const contextCacheKey = (userId: string) => `context:v2:${userId}`;

/** What the cache holds for the user, with the generation a later write must still match. */
interface CachedRead {
  context: CoachingContext | null;
  /** Null when the cache could not be read: then nothing is written back either. */
  generation: string | null;
}

async function readCached(
  deps: ContextDependencies,
  userId: string,
  now: Date,
): Promise<CachedRead> {
  let cached: { value: string | null; generation: string };
  try {
    cached = await deps.cache.getVersioned(contextCacheKey(userId));
  } catch (error) {
    // The cache only saves work; the database can still answer.
    deps.logger.warn('context_cache_read_failed', { user_id: userId, error: errorName(error) });
    return { context: null, generation: null };
  }
  const { value, generation } = cached;
  if (value === null) return { context: null, generation };
  const parsed = parseJson(coachingContextSchema, value);
  if (!parsed.success) {
    deps.logger.warn('context_cache_entry_invalid', { user_id: userId });
    return { context: null, generation };
  }
  const today = localDay(now, parsed.data.profile.time_zone).date;
  return { context: parsed.data.date === today ? parsed.data : null, generation };
}

/**
 * Recent sets and the last session's summary: read only on a cache miss, beside the profile and
 * plans (they need only the user's id), and cached with the rest, so a warm read costs the same.
 */
function readPastTraining(deps: ContextDependencies, userId: string, now: Date) {
  const since = new Date(now.getTime() - HISTORY_LIMITS.lookbackDays * 86_400_000);
  return Promise.all([
    deps.repository.listWorkoutLogs(userId, { since, limit: HISTORY_LIMITS.logsRead }),
    deps.repository.findLastSession(userId),
  ]);
}

function pastTraining(
  data: CoachingData,
  [logs, last_session]: Awaited<ReturnType<typeof readPastTraining>>,
  now: Date,
): PastTraining {
  const { date, weekday } = localDay(now, data.profile.time_zone);
  const plannedDay = data.workoutPlan?.days.find((day) => day.day === weekday) ?? null;
  return { ...buildTrainingHistory(logs, plannedDay, data.profile.time_zone, date), last_session };
}

/** The user's context for their local today; null when the user has no profile. */
export async function getCoachingContext(
  deps: ContextDependencies,
  userId: string,
): Promise<CoachingContext | null> {
  const now = deps.clock.now();
  const cached = await readCached(deps, userId, now);
  if (cached.context) return cached.context;

  const [data, past] = await Promise.all([
    deps.repository.findCoachingData(userId),
    readPastTraining(deps, userId, now),
  ]);
  if (!data) return null;
  const context = buildCoachingContext(data, now, pastTraining(data, past, now));
  if (cached.generation === null) return context;
  const { secondsLeft } = localDay(now, context.profile.time_zone);
  const ttlSeconds = Math.min(deps.config.cache.ttlSeconds, secondsLeft);
  try {
    // Conditional on the generation read before the database: if the context was evicted while
    // this load ran, what it read may predate the change, so it must not be cached.
    await deps.cache.setIfGeneration(
      contextCacheKey(userId),
      JSON.stringify(context),
      ttlSeconds,
      cached.generation,
    );
  } catch (error) {
    deps.logger.warn('context_cache_write_failed', { user_id: userId, error: errorName(error) });
  }
  return context;
}

/**
 * Drops the cached context, e.g. after the user's plans changed, and moves its generation on so a
 * load already under way cannot put the old context back.
 */
export async function evictCoachingContext(
  deps: ContextDependencies,
  userId: string,
): Promise<void> {
  try {
    await deps.cache.invalidate(contextCacheKey(userId));
  } catch (error) {
    deps.logger.error('context_cache_evict_failed', { user_id: userId, error: errorName(error) });
    throw unavailable('the context cache is unavailable; try again');
  }
}
