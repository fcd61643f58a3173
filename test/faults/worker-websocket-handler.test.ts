/**
 * The Workers entry on the neon-websocket driver builds its services (orchestrator, adapters) once
 * per isolate, not once per request, while each request still gets a pool of its own that is
 * closed after the response. Run in Node against the real Neon driver through the local WebSocket
 * proxy, with the Upstash and QStash stand-ins the Worker requires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { createHandler, type Handler } from '../../workers/index.ts';
import { silentLogger } from '../../workers/logger.ts';
import { createServices } from '../../workers/services.ts';
import { serviceHeaders } from '../support/auth.ts';
import { type NeonWsProxy, startNeonWsProxy } from '../support/neon-ws-proxy.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type QStashStandin, qstashEnv, startQStashStandin } from '../support/qstash-standin.ts';
import {
  startUpstashRedisStandin,
  type UpstashRedisStandin,
  upstashRedisEnv,
} from '../support/upstash-redis-standin.ts';

let database: TestDatabase;
let proxy: NeonWsProxy;
let redis: UpstashRedisStandin;
let qstash: QStashStandin;

beforeAll(async () => {
  [database, proxy, redis, qstash] = await Promise.all([
    createTestDatabase({ seed: true }),
    startNeonWsProxy(),
    startUpstashRedisStandin(),
    startQStashStandin(),
  ]);
});

afterAll(async () => {
  await qstash?.close();
  await redis?.close();
  await proxy?.close();
  await database?.drop();
});

/** A Workers ExecutionContext that keeps what it was asked to wait for. */
function executionContext() {
  const waited: Promise<unknown>[] = [];
  return {
    waited,
    ctx: {
      waitUntil: (promise: Promise<unknown>) => waited.push(promise),
      passThroughOnException: () => {},
      props: {},
    },
  };
}

describe('the Workers entry on neon-websocket', () => {
  it('builds the services once for every request of the isolate, each request on its own pool', async () => {
    let servicesBuilt = 0;
    const env = withDevDefaults({
      DATABASE_DRIVER: 'neon-websocket',
      DATABASE_URL: database.url,
      NEON_WS_PROXY: proxy.wsProxy,
      ...upstashRedisEnv(redis),
      ...qstashEnv(qstash),
      PUBLIC_BASE_URL: 'http://127.0.0.1:9',
      ORCHESTRATOR_LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'standin-key',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    });
    const handler: Handler = createHandler(env, silentLogger, (options) => {
      servicesBuilt++;
      return createServices(options);
    });

    const get = async (path: string) => {
      const { ctx, waited } = executionContext();
      const response = await handler(
        new Request(`https://api.test${path}`, { headers: serviceHeaders() }),
        ctx,
      );
      const body = await response.json();
      // The request's pool is closed after the response, through waitUntil.
      expect(waited).toHaveLength(1);
      await Promise.all(waited);
      return { status: response.status, body };
    };

    for (let i = 0; i < 3; i++) {
      expect((await get(`/v1/users/${DEMO_USER_ID}/workout-logs`)).status).toBe(200);
    }
    // Concurrent requests of one isolate, each reading through its own pool.
    const concurrent = await Promise.all(
      SEED_USERS.flatMap(({ user }) => [
        get(`/v1/users/${user.id}/context`),
        get(`/v1/users/${user.id}/workout-logs`),
      ]),
    );
    expect(concurrent.map((r) => r.status)).toEqual(Array(SEED_USERS.length * 2).fill(200));
    const names = concurrent
      .filter((_, i) => i % 2 === 0)
      .map((r) => (r.body as { profile: { name: string } }).profile.name);
    expect(names).toEqual(SEED_USERS.map((u) => u.profile.name));

    expect(servicesBuilt).toBe(1);
  });
});
