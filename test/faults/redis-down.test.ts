/**
 * Redis unavailable: the cache is Upstash (the REST stand-in) in front of a private redis-server
 * that the test kills. Context reads fall back to the database, /health reports the cache down and
 * the API degraded, and no route answers 500; once Redis is back the cache is used again.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import type { CoachingContext, Health } from '../../shared/schemas.ts';
import { createCache } from '../../workers/adapters/cache/index.ts';
import { type App, createApp } from '../../workers/app.ts';
import { contextCacheKey } from '../../workers/context/context-service.ts';
import { serviceHeaders, userHeaders } from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import {
  redisCommand,
  startUpstashRedisStandin,
  type UpstashRedisStandin,
} from '../support/upstash-redis-standin.ts';
import { reportFigures } from './figures.ts';
import { type PrivateServer, startPrivateRedis } from './private-servers.ts';

let redis: PrivateServer;
let upstash: UpstashRedisStandin;
let test: TestServices;
let app: App;

beforeAll(async () => {
  redis = await startPrivateRedis();
  upstash = await startUpstashRedisStandin({ redisUrl: redis.url });
  const cache = createCache({
    kind: 'upstash',
    url: upstash.url,
    token: upstash.token,
    ttlSeconds: 600,
  });
  test = await createTestServices({ cache });
  app = createApp(test.services);
});

afterAll(async () => {
  await upstash?.close();
  await redis?.destroy();
  await test?.cleanup();
});

const json = { 'content-type': 'application/json' };

async function health(): Promise<{ status: number; body: Health }> {
  const response = await app.request('/health');
  return { status: response.status, body: (await response.json()) as Health };
}

/** Every route a client or service calls, as each would call it. */
async function everyRoute(): Promise<{ route: string; status: number; body: unknown }[]> {
  const user = await userHeaders(DEMO_USER_ID);
  const calls: [string, string, RequestInit][] = [
    ['GET /health', '/health', {}],
    ['GET context (user)', `/v1/users/${DEMO_USER_ID}/context`, { headers: user }],
    ['GET context (service)', `/v1/users/${DEMO_USER_ID}/context`, { headers: serviceHeaders() }],
    [
      'DELETE context',
      `/v1/users/${DEMO_USER_ID}/context`,
      { method: 'DELETE', headers: serviceHeaders() },
    ],
    [
      'POST /v1/sessions',
      '/v1/sessions',
      { method: 'POST', headers: { ...user, ...json }, body: '{"agent_type":"workout"}' },
    ],
    [
      'POST /v1/logs',
      '/v1/logs',
      {
        method: 'POST',
        headers: { ...serviceHeaders(), ...json },
        body: JSON.stringify({
          entries: [
            {
              log_id: randomUUID(),
              user_id: DEMO_USER_ID,
              exercise: 'Back squat',
              reps: 5,
              weight_kg: 100,
              logged_at: new Date().toISOString(),
            },
          ],
        }),
      },
    ],
    ['GET workout-logs', `/v1/users/${DEMO_USER_ID}/workout-logs`, { headers: user }],
    [
      'POST /v1/specialists/query',
      '/v1/specialists/query',
      {
        method: 'POST',
        headers: { ...user, ...json },
        body: JSON.stringify({ user_id: DEMO_USER_ID, query: 'How is my squat going?' }),
      },
    ],
    ['GET /openapi.json', '/openapi.json', {}],
  ];
  return Promise.all(
    calls.map(async ([route, path, init]) => {
      const response = await app.request(path, init);
      return { route, status: response.status, body: await response.json() };
    }),
  );
}

describe('Redis unavailable behind Upstash', () => {
  it('serves context from the database, reports degraded and never answers 500', async () => {
    const demo = SEED_USERS.find((u) => u.user.id === DEMO_USER_ID);
    // Warm: the context is cached in the private Redis.
    const warm = await app.request(`/v1/users/${DEMO_USER_ID}/context`, {
      headers: serviceHeaders(),
    });
    expect(warm.status).toBe(200);
    expect(await redisCommand(['EXISTS', contextCacheKey(DEMO_USER_ID)], redis.url)).toBe(1);

    await redis.stop('SIGKILL');
    await expect
      .poll(async () => (await health()).body, { timeout: 15_000, interval: 250 })
      .toEqual({ status: 'degraded', checks: { database: 'ok', cache: 'down', queue: 'ok' } });

    const answers = await everyRoute();
    const byRoute = Object.fromEntries(answers.map((a) => [a.route, a]));
    const contextName = (route: string) =>
      (byRoute[route]?.body as CoachingContext | undefined)?.profile.name;
    // The context comes from the database, whole and for today.
    for (const route of ['GET context (user)', 'GET context (service)']) {
      expect(byRoute[route]?.status).toBe(200);
      expect(contextName(route)).toBe(demo?.profile.name);
    }
    expect(byRoute['GET /health']?.status).toBe(503);
    // Eviction cannot be done without the cache: a 503 asking to retry, never a 500.
    expect(byRoute['DELETE context']?.status).toBe(503);
    expect(byRoute['POST /v1/sessions']?.status).toBe(201);
    expect(byRoute['POST /v1/logs']?.status).toBe(202);
    expect(byRoute['GET workout-logs']?.status).toBe(200);
    const fiveHundreds = answers.filter((a) => a.status === 500);
    expect(fiveHundreds).toEqual([]);
    // Every refusal in the contract's error shape (health answers its own body).
    for (const answer of answers.filter((a) => a.status >= 400 && a.route !== 'GET /health')) {
      expect(answer.body).toMatchObject({ error: { code: expect.any(String) } });
    }
    reportFigures('redis unavailable', {
      requests_tried: answers.length,
      responses_5xx: answers.filter((a) => a.status >= 500).length,
      responses_500: fiveHundreds.length,
    });

    // Redis back: healthy again, and the context is cached again.
    await redis.start();
    await expect
      .poll(async () => (await health()).status, { timeout: 15_000, interval: 250 })
      .toBe(200);
    const again = await app.request(`/v1/users/${DEMO_USER_ID}/context`, {
      headers: serviceHeaders(),
    });
    expect(again.status).toBe(200);
    expect(await redisCommand(['EXISTS', contextCacheKey(DEMO_USER_ID)], redis.url)).toBe(1);
  }, 60_000);
});
