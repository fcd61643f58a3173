/**
 * The Node entry `npm run dev` runs: on the embedded defaults (PGlite, migrated and seeded on
 * start; memory cache; in-process queue) it serves the API over real HTTP, a logged set reaches
 * the database through the in-process queue, and a bad environment is one message naming every
 * problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { ConfigError } from '../../shared/config.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { silentLogger } from '../../workers/logger.ts';
import { type ApiServer, startApiServer } from '../../workers/server.ts';
import { serviceHeaders, userHeaders } from '../support/auth.ts';

describe('the Node server on its embedded defaults', () => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer(withDevDefaults({ PORT: '0', PGLITE_DATA_DIR: 'memory://' }), {
      logger: silentLogger,
    });
  });
  afterAll(() => server?.close());

  it('is healthy and serves the seeded demo user over HTTP', async () => {
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({
      status: 'ok',
      checks: { database: 'ok', cache: 'ok', queue: 'ok' },
    });
    const context = await fetch(`${server.url}/v1/users/${DEMO_USER_ID}/context`, {
      headers: await userHeaders(DEMO_USER_ID),
    });
    expect(context.status).toBe(200);
    expect(((await context.json()) as { profile: { name: string } }).profile.name).toBe(
      'Demo Athlete',
    );
  });

  it('stores a logged set through the in-process queue', async () => {
    const entry = {
      log_id: crypto.randomUUID(),
      user_id: DEMO_USER_ID,
      exercise: 'Back squat',
      reps: 10,
      weight_kg: 60,
      logged_at: new Date().toISOString(),
    };
    const accepted = await fetch(`${server.url}/v1/logs`, {
      method: 'POST',
      headers: { ...serviceHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ entries: [entry] }),
    });
    expect(accepted.status).toBe(202);
    await server.services.queue.drain();
    const logs = await fetch(`${server.url}/v1/users/${DEMO_USER_ID}/workout-logs`, {
      headers: serviceHeaders(),
    });
    const { logs: stored } = (await logs.json()) as { logs: { log_id: string }[] };
    expect(stored.map((log) => log.log_id)).toContain(entry.log_id);
  });
});

describe('the Node server with a bad environment', () => {
  it("names every problem, the server's and the API's, in one error", async () => {
    const attempt = startApiServer(
      withDevDefaults({
        PORT: 'eighty',
        AUTH_JWT_SECRET: 'too-short',
        DATABASE_DRIVER: 'postgres',
      }),
      { logger: silentLogger },
    );
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    const error = (await attempt.catch((e: unknown) => e)) as ConfigError;
    expect(error.problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'AUTH_JWT_SECRET',
      'DATABASE_URL',
      'PORT',
    ]);
    expect(error.message).not.toContain('too-short');
  });
});
