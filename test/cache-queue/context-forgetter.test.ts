/**
 * The context forgetter coalesces a burst of deliveries into few cache invalidations, and still
 * never lets a caller go on before an invalidation that started after its call.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../workers/adapters/cache/memory.ts';
import { createContextForgetter } from '../../workers/context/context-forgetter.ts';
import { contextCacheKey } from '../../workers/context/context-service.ts';
import { silentLogger } from '../../workers/logger.ts';
import type { Cache, Logger } from '../../workers/ports.ts';

const USER = '00000000-0000-4000-8000-000000000001';
const OTHER = '00000000-0000-4000-8000-000000000002';

/** A memory cache whose invalidations are recorded and finish only when the test says so. */
function gatedCache() {
  const cache = createMemoryCache();
  const started: { userKey: string; finish: () => void }[] = [];
  const gated: Cache = {
    ...cache,
    invalidate: (key) =>
      new Promise<void>((resolve, reject) => {
        started.push({
          userKey: key,
          finish: () => cache.invalidate(key).then(resolve, reject),
        });
      }),
  };
  return { cache: gated, started };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createContextForgetter', () => {
  it('drops the cached context', async () => {
    const cache = createMemoryCache();
    await cache.set(contextCacheKey(USER), '{}', 60);
    await createContextForgetter({ cache, logger: silentLogger })([USER]);
    expect(await cache.get(contextCacheKey(USER))).toBeNull();
  });

  it('coalesces a burst: one call in flight, every later call shares the single next one', async () => {
    const { cache, started } = gatedCache();
    const forget = createContextForgetter({ cache, logger: silentLogger });
    let settled = 0;
    const first = forget([USER]).then(() => settled++);
    await flush();
    expect(started).toHaveLength(1);
    // 100 deliveries of the same user while the first invalidation runs.
    const burst = Array.from({ length: 100 }, () => forget([USER]).then(() => settled++));
    await flush();
    expect(started).toHaveLength(1);
    started[0]?.finish();
    await first;
    await flush();
    // The burst's calls came after the first invalidation started: they need one more.
    expect(started).toHaveLength(2);
    expect(settled).toBe(1);
    started[1]?.finish();
    await Promise.all(burst);
    expect(settled).toBe(101);
    expect(started).toHaveLength(2);
  });

  it('keeps users apart and invalidates each once for a batch naming them many times', async () => {
    const { cache, started } = gatedCache();
    const forget = createContextForgetter({ cache, logger: silentLogger });
    const done = forget([USER, OTHER, USER, OTHER]);
    await flush();
    expect(started.map((call) => call.userKey).sort()).toEqual(
      [contextCacheKey(USER), contextCacheKey(OTHER)].sort(),
    );
    for (const call of started) call.finish();
    await done;
  });

  it('logs a failed invalidation and still settles, and the next call tries again', async () => {
    let attempts = 0;
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (event) => warnings.push(event) };
    const cache: Cache = {
      ...createMemoryCache(),
      invalidate: async () => {
        attempts++;
        throw new Error('cache down');
      },
    };
    const forget = createContextForgetter({ cache, logger });
    await forget([USER]);
    await forget([USER]);
    expect(attempts).toBe(2);
    expect(warnings).toEqual(['context_cache_evict_failed', 'context_cache_evict_failed']);
  });
});
