import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../shared/schemas.ts';
import { createCache } from '../../workers/adapters/cache/index.ts';
import { createQStashLogQueue } from '../../workers/adapters/queue/qstash.ts';
import { createApp } from '../../workers/app.ts';
import { type LogsHarness, startLogsHarness } from './harness.ts';

let h: LogsHarness;

beforeAll(async () => {
  h = await startLogsHarness({ queue: 'qstash' });
});

afterAll(async () => {
  await h?.close();
});

/** A loopback port nothing listens on. */
const deadUrl = 'http://127.0.0.1:9';

async function health(app = h.app) {
  const response = await app.request('/health');
  return { status: response.status, body: (await response.json()) as Health };
}

describe('GET /health', () => {
  it('is ok with 200 when the database, the cache and the queue all answer', async () => {
    expect(await health()).toEqual({
      status: 200,
      body: { status: 'ok', checks: { database: 'ok', cache: 'ok', queue: 'ok' } },
    });
  });

  it('is degraded with 503 while the database is down, and ok again after', async () => {
    await h.databaseProxy.stop();
    try {
      expect(await health()).toEqual({
        status: 503,
        body: { status: 'degraded', checks: { database: 'down', cache: 'ok', queue: 'ok' } },
      });
    } finally {
      await h.databaseProxy.start();
    }
    expect((await health()).status).toBe(200);
  });

  it('reports the cache down when Upstash cannot be reached', async () => {
    const cache = createCache({ kind: 'upstash', url: deadUrl, token: 'x', ttlSeconds: 60 });
    const { status, body } = await health(createApp({ ...h.services, cache }));
    expect(status).toBe(503);
    expect(body.checks).toEqual({ database: 'ok', cache: 'down', queue: 'ok' });
  });

  it('reports the queue down when QStash refuses the token', async () => {
    const qstash = h.qstash;
    if (!qstash) throw new Error('this suite runs on the QStash stand-in');
    const queue = createQStashLogQueue({
      url: qstash.url,
      token: 'revoked-token',
      callbackUrl: 'http://127.0.0.1/v1/logs/deliver',
    });
    const { status, body } = await health(createApp({ ...h.services, queue }));
    expect(status).toBe(503);
    expect(body).toEqual({
      status: 'degraded',
      checks: { database: 'ok', cache: 'ok', queue: 'down' },
    });
  });
});
