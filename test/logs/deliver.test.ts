import { Client } from '@upstash/qstash';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serviceHeaders } from '../support/auth.ts';
import { signQStashRequest } from '../support/qstash-standin.ts';
import { jsonPost, logEntry } from './fixtures.ts';
import { type LogsHarness, startLogsHarness } from './harness.ts';

let h: LogsHarness;

beforeAll(async () => {
  // Retries far enough apart that the database is back before they run out.
  h = await startLogsHarness({ queue: 'qstash', qstash: { retryDelayMs: () => 300 } });
});

afterEach(async () => {
  await h.settle();
  if (h.qstash) {
    h.qstash.duplicateDeliveries = false;
    h.qstash.deliveries.length = 0;
  }
});

afterAll(async () => {
  await h?.close();
});

const qstash = () => {
  if (!h.qstash) throw new Error('this suite runs on the QStash stand-in');
  return h.qstash;
};

const callbackUrl = () => {
  const { queue } = h.services.config;
  if (queue.kind !== 'qstash') throw new Error('this suite runs on the QStash stand-in');
  return queue.callbackUrl;
};

async function deliver(body: string, signature: string | null) {
  return h.app.request(
    '/v1/logs/deliver',
    jsonPost(body, signature === null ? {} : { 'upstash-signature': signature }),
  );
}

const sign = (body: string, options: { key?: string; url?: string } = {}) =>
  signQStashRequest({
    signingKey: options.key ?? qstash().currentSigningKey,
    url: options.url ?? callbackUrl(),
    body,
  });

describe('POST /v1/logs through QStash into PostgreSQL', () => {
  it('publishes, has QStash call back, and stores each set', async () => {
    const entries = [logEntry(), logEntry({ exercise: 'Overhead press', reps: 6, weight_kg: 40 })];
    const response = await h.app.request('/v1/logs', jsonPost({ entries }, serviceHeaders()));
    expect(response.status).toBe(202);
    await h.settle();
    const rows = await h.storedLogs(entries.map((e) => e.log_id));
    expect(rows.map((r) => [r.id, r.exercise, r.reps, r.weightKg]).sort()).toEqual(
      entries.map((e) => [e.log_id, e.exercise, e.reps, e.weight_kg]).sort(),
    );
    expect(qstash().deliveries.map((d) => d.status)).toEqual([200, 200]);
  });

  it('stores a set delivered twice once', async () => {
    qstash().duplicateDeliveries = true;
    const entry = logEntry();
    await h.app.request('/v1/logs', jsonPost({ entries: [entry] }, serviceHeaders()));
    await h.settle();
    expect(qstash().deliveries.map((d) => d.status)).toEqual([200, 200]);
    expect(await h.storedLogs([entry.log_id])).toHaveLength(1);
  });

  it('answers 503 while the database is down, and the retry stores the set once it is back', async () => {
    const entry = logEntry();
    await h.databaseProxy.stop();
    try {
      // The route itself needs the database to check the user, so the set goes straight to the queue.
      await h.services.queue.publish([entry]);
      await expect.poll(() => qstash().deliveries.length, { timeout: 5_000 }).toBeGreaterThan(0);
    } finally {
      await h.databaseProxy.start();
    }
    await h.settle();
    const statuses = qstash().deliveries.map((d) => d.status);
    expect(statuses[0]).toBe(503);
    expect(statuses.at(-1)).toBe(200);
    expect(await h.storedLogs([entry.log_id])).toHaveLength(1);
  });
});

describe('POST /v1/logs/deliver signature checks', () => {
  it('stores a correctly signed callback, once however often it arrives', async () => {
    const entry = logEntry();
    const body = JSON.stringify({ entries: [entry] });
    const first = await deliver(body, await sign(body));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ stored: 1 });
    const again = await deliver(body, await sign(body));
    expect(await again.json()).toEqual({ stored: 0 });
    const [row] = await h.storedLogs([entry.log_id]);
    expect(row).toMatchObject({ id: entry.log_id, userId: entry.user_id, reps: entry.reps });
    expect(row?.loggedAt.toISOString()).toBe(entry.logged_at);
  });

  it('accepts the next signing key, as during a key rotation', async () => {
    const entry = logEntry();
    const body = JSON.stringify({ entries: [entry] });
    const response = await deliver(body, await sign(body, { key: qstash().nextSigningKey }));
    expect(response.status).toBe(200);
    expect(await h.storedLogs([entry.log_id])).toHaveLength(1);
  });

  type Forgery = (body: string) => Promise<[body: string, signature: string | null]>;
  const forgeries: [string, Forgery][] = [
    ['a tampered body', async (body) => [body.replace('"reps":5', '"reps":500'), await sign(body)]],
    [
      'a signature for another URL',
      async (body) => [body, await sign(body, { url: 'http://127.0.0.1:1/v1/logs/deliver' })],
    ],
    ['another signing key', async (body) => [body, await sign(body, { key: 'sig_not_ours' })]],
    ['a garbage signature', async (body) => [body, 'not-a-jwt']],
    ['no signature', async (body) => [body, null]],
  ];

  it.each(forgeries)('answers 401 to %s and writes nothing', async (_name, make) => {
    const entry = logEntry();
    const [body, signature] = await make(JSON.stringify({ entries: [entry] }));
    const response = await deliver(body, signature);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'unauthorized',
    );
    expect(await h.storedLogs([entry.log_id])).toEqual([]);
  });

  it('checks the signature before the body: an unsigned invalid body is 401, not 400', async () => {
    const response = await deliver('{"entries": "nonsense"}', null);
    expect(response.status).toBe(401);
  });

  it('answers 489 non-retryable to a correctly signed body that is not a valid batch', async () => {
    const body = JSON.stringify({ entries: [{ ...logEntry(), reps: 0 }] });
    const response = await deliver(body, await sign(body));
    expect(response.status).toBe(489);
    expect(response.headers.get('upstash-nonretryable-error')).toBe('true');
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(
      /entries\.0\.reps/,
    );
  });

  it('has QStash dead-letter an unreadable signed message at once instead of retrying it', async () => {
    const client = new Client({
      baseUrl: qstash().url,
      token: qstash().token,
      devMode: false,
      enableTelemetry: false,
    });
    const deadBefore = qstash().deadLetters.length;
    await client.publishJSON({
      url: callbackUrl(),
      body: { entries: [{ ...logEntry(), reps: 0 }] },
      retries: 3,
    });
    await h.settle();
    expect(qstash().deliveries.map((d) => d.status)).toEqual([489]);
    expect(qstash().deadLetters).toHaveLength(deadBefore + 1);
  });

  it('answers 503 to a valid callback while the database is down, writing nothing', async () => {
    const entry = logEntry();
    const body = JSON.stringify({ entries: [entry] });
    await h.databaseProxy.stop();
    let status: number;
    try {
      status = (await deliver(body, await sign(body))).status;
    } finally {
      await h.databaseProxy.start();
    }
    expect(status).toBe(503);
    expect(await h.storedLogs([entry.log_id])).toEqual([]);
  });
});

describe('/openapi.json', () => {
  it('documents both log routes', async () => {
    const doc = (await (await h.app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(doc.paths['/v1/logs']?.post).toBeDefined();
    const deliverOp = doc.paths['/v1/logs/deliver']?.post;
    expect(deliverOp?.parameters?.map((p) => p.name)).toContain('upstash-signature');
  });
});
