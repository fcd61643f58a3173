import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { LOG_LIMITS } from '../../shared/schemas.ts';
import { bearer, serviceHeaders, userHeaders } from '../support/auth.ts';
import { jsonPost, logEntry } from './fixtures.ts';
import { type LogsHarness, startLogsHarness } from './harness.ts';

let h: LogsHarness;

beforeAll(async () => {
  h = await startLogsHarness({ queue: 'in-process' });
});

afterAll(async () => {
  await h?.close();
});

const ingest = (body: unknown, headers: Record<string, string> = serviceHeaders()) =>
  h.app.request('/v1/logs', jsonPost(body, headers));

async function expectBadRequest(body: unknown, message: RegExp) {
  const response = await ingest(body);
  expect(response.status).toBe(400);
  const json = (await response.json()) as { error: { code: string; message: string } };
  expect(json.error.code).toBe('bad_request');
  expect(json.error.message).toMatch(message);
}

describe('POST /v1/logs on the embedded default (in-process queue)', () => {
  it('accepts a batch with 202 and stores every set', async () => {
    const entries = [logEntry(), logEntry({ exercise: 'Bench press', reps: 8, weight_kg: 60 })];
    const response = await ingest({ entries });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 2 });
    await expect
      .poll(async () => (await h.storedLogs(entries.map((e) => e.log_id))).length)
      .toBe(2);
  });

  it('accepts the extremes of every range', async () => {
    const entries = [
      logEntry({ reps: 1, weight_kg: 0, exercise: 'x' }),
      logEntry({ reps: 1000, weight_kg: 1000, exercise: 'e'.repeat(255) }),
    ];
    expect((await ingest({ entries })).status).toBe(202);
  });

  it('takes 100 entries but not 101, and not 0', async () => {
    const batch = (n: number) => Array.from({ length: n }, () => logEntry());
    expect((await ingest({ entries: batch(LOG_LIMITS.batchMax) })).status).toBe(202);
    await expectBadRequest({ entries: batch(101) }, /entries: must hold at most 100 entries/);
    await expectBadRequest({ entries: [] }, /entries: must hold at least one entry/);
  });

  it('names the one bad entry of a batch and stores none of it', async () => {
    const entries = [logEntry(), logEntry(), logEntry(), logEntry({ reps: 0 })];
    await expectBadRequest({ entries }, /entries\.3\.reps: must be at least 1/);
    await h.settle();
    expect(await h.storedLogs(entries.map((e) => e.log_id))).toEqual([]);
  });

  it.each([
    ['reps 0', { reps: 0 }, /entries\.0\.reps: must be at least 1/],
    ['reps 1001', { reps: 1001 }, /entries\.0\.reps: must be at most 1000/],
    ['fractional reps', { reps: 2.5 }, /entries\.0\.reps: must be a whole number/],
    ['weight -1', { weight_kg: -1 }, /entries\.0\.weight_kg: must be at least 0/],
    ['weight 1001', { weight_kg: 1001 }, /entries\.0\.weight_kg: must be at most 1000/],
    ['weight "NaN"', { weight_kg: 'NaN' }, /entries\.0\.weight_kg: must be a finite number/],
    ['weight "Infinity"', { weight_kg: 'Infinity' }, /entries\.0\.weight_kg/],
    ['blank exercise', { exercise: '   ' }, /entries\.0\.exercise: must not be blank/],
    [
      '256-char exercise',
      { exercise: 'e'.repeat(256) },
      /entries\.0\.exercise: must be at most 255/,
    ],
    ['a NUL in exercise', { exercise: 'squat\u0000' }, /entries\.0\.exercise: must not contain/],
    ['a lone surrogate in exercise', { exercise: 'squat \ud800' }, /entries\.0\.exercise/],
    ['malformed log_id', { log_id: 'not-a-uuid' }, /entries\.0\.log_id: must be a UUID/],
    ['malformed user_id', { user_id: '1234' }, /entries\.0\.user_id: must be a UUID/],
    ['bad logged_at', { logged_at: 'yesterday' }, /entries\.0\.logged_at: must be an ISO 8601/],
  ])('refuses %s with a 400 naming the field', async (_name, override, message) => {
    await expectBadRequest({ entries: [{ ...logEntry(), ...override }] }, message);
  });

  it('refuses a weight that JSON turns into Infinity', async () => {
    const body = JSON.stringify({ entries: [logEntry()] }).replace('102.5', '1e999');
    await expectBadRequest(body, /entries\.0\.weight_kg/);
  });

  it('refuses unknown and missing fields', async () => {
    await expectBadRequest(
      { entries: [{ ...logEntry(), sets: 3 }] },
      /entries\.0: unknown field\(s\) sets/,
    );
    const { reps: _reps, ...withoutReps } = logEntry();
    await expectBadRequest({ entries: [withoutReps] }, /entries\.0\.reps/);
    await expectBadRequest({ entries: [logEntry()], extra: true }, /unknown field\(s\) extra/);
  });

  it('refuses an entry whose user does not exist, naming it', async () => {
    const entries = [logEntry(), logEntry({ user_id: '7f3c2a9e-1b4d-4c8e-9f00-123456789abc' })];
    await expectBadRequest({ entries }, /entries\.1\.user_id: no user has this id/);
    await h.settle();
    expect(await h.storedLogs(entries.map((e) => e.log_id))).toEqual([]);
  });

  it('answers 400 to malformed JSON', async () => {
    const response = await ingest('{"entries": [');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad_request');
  });

  it('answers 413 to a body over 64 KB', async () => {
    const body = JSON.stringify({ entries: [logEntry({ exercise: 'x'.repeat(70 * 1024) })] });
    const response = await ingest(body);
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'payload_too_large',
    );
  });

  it('is for services only: 401 without a token, 403 with a user token', async () => {
    const body = { entries: [logEntry()] };
    const noToken = await h.app.request('/v1/logs', jsonPost(body));
    expect(noToken.status).toBe(401);
    const asUser = await ingest(body, await userHeaders(DEMO_USER_ID));
    expect(asUser.status).toBe(403);
    const wrong = await ingest(body, bearer('not-the-service-token'));
    expect(wrong.status).toBe(401);
  });

  it('answers 503 when the database cannot be reached, and works again after', async () => {
    await h.databaseProxy.stop();
    try {
      const response = await ingest({ entries: [logEntry()] });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'unavailable',
      );
    } finally {
      await h.databaseProxy.start();
    }
    expect((await ingest({ entries: [logEntry()] })).status).toBe(202);
  });

  it('refuses every callback on /v1/logs/deliver, since nothing is delivered over HTTP', async () => {
    const entry = logEntry();
    const response = await h.app.request(
      '/v1/logs/deliver',
      jsonPost({ entries: [entry] }, { 'upstash-signature': 'anything' }),
    );
    expect(response.status).toBe(401);
    expect(await h.storedLogs([entry.log_id])).toEqual([]);
  });
});
