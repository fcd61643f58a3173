/** The production cache: Upstash Redis over its REST API, which works from Workers and Node alike. */
import { Redis } from '@upstash/redis/cloudflare';
import type { Cache } from '../../ports.ts';

export interface UpstashCacheOptions {
  url: string;
  token: string;
}

export function createUpstashCache({ url, token }: UpstashCacheOptions): Cache {
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
    async ping() {
      await redis.ping();
    },
  };
}
