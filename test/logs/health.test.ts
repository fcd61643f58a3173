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

// A fresh app per call by default: each app caches its readiness answer for a few seconds.
async function health(app = createApp({ ...h.services })) {
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

describe('GET /health under a flood, and GET /health/live', () => {
  /** The services with every dependency check counted. */
  function countingServices(clock: { now(): Date }) {
    const pings = { database: 0, cache: 0, queue: 0 };
    const { repository, cache, queue } = h.services;
    const counted = (name: keyof typeof pings, ping: () => Promise<void>) => () => {
      pings[name]++;
      return ping();
    };
    const services = {
      ...h.services,
      clock,
      repository: { ...repository, ping: counted('database', () => repository.ping()) },
      cache: { ...cache, ping: counted('cache', () => cache.ping()) },
      queue: { ...queue, ping: counted('queue', () => queue.ping()) },
    };
    return { app: createApp(services), pings };
  }

  it('asks each dependency once for a flood of 500 concurrent requests', async () => {
    const { app, pings } = countingServices({ now: () => new Date() });
    const answers = await Promise.all(Array.from({ length: 500 }, () => app.request('/health')));
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(pings).toEqual({ database: 1, cache: 1, queue: 1 });
  });

  it('asks again once the cached answer is 5 s old, and sees an outage then', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const { app, pings } = countingServices({ now: () => new Date(now) });
    expect((await app.request('/health')).status).toBe(200);
    await h.databaseProxy.stop();
    try {
      now += 4_999;
      expect((await app.request('/health')).status).toBe(200);
      expect(pings.database).toBe(1);
      now += 1;
      const degraded = await app.request('/health');
      expect(degraded.status).toBe(503);
      expect(((await degraded.json()) as Health).checks.database).toBe('down');
      expect(pings.database).toBe(2);
    } finally {
      await h.databaseProxy.start();
    }
  });

  it('answers liveness without touching a dependency, even while the database is down', async () => {
    const { app, pings } = countingServices({ now: () => new Date() });
    await h.databaseProxy.stop();
    try {
      const responses = await Promise.all(
        Array.from({ length: 200 }, () => app.request('/health/live')),
      );
      for (const response of responses) {
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({ status: 'ok' });
      }
    } finally {
      await h.databaseProxy.start();
    }
    expect(pings).toEqual({ database: 0, cache: 0, queue: 0 });
  });

  it('reveals no version, host or error text, in the body or the headers', async () => {
    await h.databaseProxy.stop();
    let response: Response;
    try {
      response = await createApp({ ...h.services }).request('/health');
    } finally {
      await h.databaseProxy.start();
    }
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({
      status: 'degraded',
      checks: { database: 'down', cache: 'ok', queue: 'ok' },
    });
    expect(text).not.toMatch(/\d+\.\d+\.\d+|127\.0\.0\.1|localhost|error|refused|ECONN/i);
    for (const header of ['server', 'x-powered-by', 'via']) {
      expect(response.headers.get(header)).toBeNull();
    }
  });
});
