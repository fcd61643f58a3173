import { randomUUID } from 'node:crypto';
import { Redis } from '@upstash/redis/cloudflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCache } from '../../workers/adapters/cache/index.ts';
import type { Cache } from '../../workers/ports.ts';
import {
  redisCommand,
  startUpstashRedisStandin,
  type UpstashRedisStandin,
} from '../support/upstash-redis-standin.ts';

const prefix = `fvc-test:${randomUUID()}:`;
let standin: UpstashRedisStandin;
let cache: Cache;
let redis: Redis;

beforeAll(async () => {
  standin = await startUpstashRedisStandin({ token: 'standin-token' });
  cache = createCache({ kind: 'upstash', url: standin.url, token: standin.token, ttlSeconds: 60 });
  redis = new Redis({ url: standin.url, token: standin.token, enableTelemetry: false });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await standin.close();
});

describe('Upstash cache through @upstash/redis and the REST stand-in on real Redis', () => {
  it('stores a value with the TTL on the real Redis key', async () => {
    const key = `${prefix}ttl`;
    await cache.set(key, 'value', 120);
    expect(await cache.get(key)).toBe('value');
    const ttl = await redisCommand(['TTL', key]);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
    expect(await redisCommand(['GET', key])).toBe('value');
  });

  it('hands back JSON and non-ASCII text exactly as stored, as a string', async () => {
    const key = `${prefix}json`;
    const value = JSON.stringify({ name: 'Zoë', squat_kg: 102.5, days: ['monday'] });
    await cache.set(key, value, 60);
    expect(await cache.get(key)).toBe(value);
  });

  it('answers null for a missing key and after delete', async () => {
    const key = `${prefix}deleted`;
    expect(await cache.get(key)).toBeNull();
    await cache.set(key, 'value', 60);
    await cache.delete(key);
    expect(await cache.get(key)).toBeNull();
    expect(await redisCommand(['EXISTS', key])).toBe(0);
  });

  it('expires a key once its TTL passes on real Redis', async () => {
    const key = `${prefix}short`;
    await cache.set(key, 'value', 1);
    await expect.poll(() => cache.get(key), { timeout: 5_000, interval: 200 }).toBeNull();
  });

  it('pings', async () => {
    await expect(cache.ping()).resolves.toBeUndefined();
  });

  it('is refused with a wrong token', async () => {
    const wrong = createCache({
      kind: 'upstash',
      url: standin.url,
      token: 'wrong',
      ttlSeconds: 60,
    });
    await expect(wrong.ping()).rejects.toThrow(/Unauthorized/);
  });

  it('answers pipelines and transactions as Upstash does', async () => {
    const key = `${prefix}counter`;
    const [set, incremented, value] = await redis
      .pipeline()
      .set(key, 5)
      .incrby(key, 2)
      .get<number>(key)
      .exec();
    expect([set, incremented, value]).toEqual(['OK', 7, 7]);
    const [incr, list] = await redis.multi().incr(key).lrange(`${prefix}empty`, 0, -1).exec();
    expect([incr, list]).toEqual([8, []]);
  });

  it('reports a command error the way the SDK expects', async () => {
    const key = `${prefix}not-a-number`;
    await cache.set(key, 'text', 60);
    await expect(redis.incr(key)).rejects.toThrow(/not an integer/);
  });

  it('writes conditionally on the generation, atomically in Redis', async () => {
    const key = `${prefix}generation`;
    const read = await cache.getVersioned(key);
    expect(read).toEqual({ value: null, generation: '0' });
    expect(await cache.setIfGeneration(key, 'first', 60, read.generation)).toBe(true);
    expect(await cache.getVersioned(key)).toEqual({ value: 'first', generation: '0' });
    await cache.invalidate(key);
    expect(await redisCommand(['EXISTS', key])).toBe(0);
    expect(await cache.setIfGeneration(key, 'stale', 60, read.generation)).toBe(false);
    expect(await redisCommand(['EXISTS', key])).toBe(0);
    const after = await cache.getVersioned(key);
    expect(after.generation).toBe('1');
    expect(await cache.setIfGeneration(key, 'fresh', 60, after.generation)).toBe(true);
    expect(await cache.get(key)).toBe('fresh');
    // The generation counter expires on its own, so it never piles up in Redis.
    expect(await redisCommand(['TTL', `${key}:generation`])).toBeGreaterThan(0);
  });
});
