/**
 * A context load that overlaps `DELETE /v1/users/{id}/context` must never write the old context
 * back: the load read the plans before they changed, the eviction ran while it was still on its
 * way, and the load's cache write lands after it. On both cache adapters (memory, and Upstash
 * through the REST stand-in on real Redis), the next read must see the new data.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userProfiles } from '../../drizzle/schema.ts';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import type { CoachingContext } from '../../shared/schemas.ts';
import { createCache } from '../../workers/adapters/cache/index.ts';
import { createMemoryCache } from '../../workers/adapters/cache/memory.ts';
import { createApp } from '../../workers/app.ts';
import { contextCacheKey } from '../../workers/context/context-service.ts';
import type { Cache, CoachingData, CoachingRepository } from '../../workers/ports.ts';
import { serviceHeaders } from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import {
  redisCommand,
  startUpstashRedisStandin,
  type UpstashRedisStandin,
} from '../support/upstash-redis-standin.ts';

let redis: UpstashRedisStandin;
beforeAll(async () => {
  redis = await startUpstashRedisStandin();
});
afterAll(async () => {
  await redis?.close();
});

/** A repository whose next coaching-data read returns its (old) rows only once released. */
function pausingRepository(repository: CoachingRepository) {
  let hold: { read: () => void; release: Promise<void> } | undefined;
  return {
    repository: {
      ...repository,
      async findCoachingData(userId: string): Promise<CoachingData | null> {
        const data = await repository.findCoachingData(userId);
        const paused = hold;
        hold = undefined;
        if (paused) {
          paused.read();
          await paused.release;
        }
        return data;
      },
    } satisfies CoachingRepository,
    /** Pauses the next read after it has read; resolves once it has, with the function to release it. */
    pauseNextRead(): Promise<() => void> {
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      return new Promise((resolveRead) => {
        hold = { read: () => resolveRead(release), release: released };
      });
    },
  };
}

const adapters: Record<string, () => Cache> = {
  memory: () => createMemoryCache(),
  upstash: () =>
    createCache({ kind: 'upstash', url: redis.url, token: redis.token, ttlSeconds: 600 }),
};

describe.each(Object.keys(adapters))(
  'a context load racing an eviction on the %s cache',
  (name) => {
    let test: TestServices;
    afterAll(async () => {
      // Redis is shared with other test files that read the same seeded users.
      const key = contextCacheKey((SEED_USERS[1] as (typeof SEED_USERS)[number]).user.id);
      if (name === 'upstash') await redisCommand(['DEL', key, `${key}:generation`]);
      await test?.cleanup();
    });

    it('never writes the context it loaded before the eviction back to the cache', async () => {
      const cache = (adapters[name] as () => Cache)();
      test = await createTestServices({ cache });
      const paused = pausingRepository(test.services.repository);
      const app = createApp({ ...test.services, repository: paused.repository });
      const user = SEED_USERS[1] as (typeof SEED_USERS)[number];
      const userId = user.user.id;
      const contextPath = `/v1/users/${userId}/context`;
      const readName = async () => {
        const response = await app.request(contextPath, { headers: serviceHeaders() });
        expect(response.status).toBe(200);
        return ((await response.json()) as CoachingContext).profile.name;
      };
      // Nothing cached yet: the load below goes to the database.
      expect(
        (await app.request(contextPath, { method: 'DELETE', headers: serviceHeaders() })).status,
      ).toBe(204);

      const readDone = paused.pauseNextRead();
      const slowLoad = readName();
      const release = await readDone;
      // The plans change and the caller evicts, while the slow load still holds the old rows.
      await test.db
        .update(userProfiles)
        .set({ name: 'Renamed Athlete' })
        .where(eq(userProfiles.userId, userId));
      const evicted = await app.request(contextPath, {
        method: 'DELETE',
        headers: serviceHeaders(),
      });
      expect(evicted.status).toBe(204);
      release();
      // The slow request answers with what it read; only its cache write must not survive.
      expect(await slowLoad).toBe(user.profile.name);

      expect(await readName()).toBe('Renamed Athlete');
      // And once more, now from the cache the fresh load filled.
      expect(await readName()).toBe('Renamed Athlete');
    });
  },
);
