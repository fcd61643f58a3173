/** The production cache: Upstash Redis over its REST API, which works from Workers and Node alike. */
import { Redis } from '@upstash/redis/cloudflare';
import type { Cache } from '../../ports.ts';

/** Where a key's generation lives: a counter beside it, moved on by every invalidation. */
const generationKey = (key: string) => `${key}:generation`;

/**
 * A generation only has to outlive the loads that read it (a request's few seconds); after a day
 * it expires and reads as "0" again, which no load still running can hold.
 */
const GENERATION_TTL_SECONDS = 86_400;

// Each script runs atomically in Redis, so no invalidation can fall between its check and its write.
const SET_IF_GENERATION = `
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1`;
const INVALIDATE = `
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1`;

export interface UpstashCacheOptions {
  url: string;
  token: string;
  /**
   * Longest wait for one command, retries included.
   * @defaultValue 1000
   */
  commandTimeoutMs?: number;
}

export const defaultUpstashCacheOptions = {
  commandTimeoutMs: 1000,
} as const satisfies Partial<UpstashCacheOptions>;

export function createUpstashCache(options: UpstashCacheOptions): Cache {
  const { url, token, commandTimeoutMs } = { ...defaultUpstashCacheOptions, ...options };
  const redis = new Redis({
    url,
    token,
    // Values are opaque strings to the cache; letting the SDK JSON-parse them would hand callers
    // objects where the port promises strings.
    automaticDeserialization: false,
    enableTelemetry: false,
    // The SDK's default (5 retries, up to ~4 s of backoff) would outlast a request's budget; a
    // cache that cannot answer quickly is better treated as a miss by the caller.
    retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
    // A fresh deadline per command: an Upstash that accepts the request and never answers (Redis
    // gone behind it) must cost a request this long at most, after which the caller falls back.
    signal: () => AbortSignal.timeout(commandTimeoutMs),
  });
  return {
    async get(key) {
      return redis.get<string>(key);
    },
    async set(key, value, ttlSeconds) {
      await redis.set(key, value, { ex: ttlSeconds });
    },
    async delete(key) {
      await redis.del(key);
    },
    async getVersioned(key) {
      const [value, generation] = await redis.mget<[string | null, string | null]>(
        key,
        generationKey(key),
      );
      return { value, generation: generation ?? '0' };
    },
    async setIfGeneration(key, value, ttlSeconds, generation) {
      const written = await redis.eval<[string, string, number], number>(
        SET_IF_GENERATION,
        [key, generationKey(key)],
        [generation, value, ttlSeconds],
      );
      return written === 1;
    },
    async invalidate(key) {
      await redis.eval<[number], number>(
        INVALIDATE,
        [key, generationKey(key)],
        [GENERATION_TTL_SECONDS],
      );
    },
    async ping() {
      await redis.ping();
    },
  };
}
