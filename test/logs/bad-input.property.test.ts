/**
 * Bad input against the log ingest pair, 1,000 runs per route, into real PostgreSQL: `POST /v1/logs`
 * on the in-process queue (the same delivery function QStash's callback runs), and
 * `POST /v1/logs/deliver` as QStash calls it. A 202 must end with every set of the batch stored exactly as sent (the text byte for
 * byte, after the contract's trim); any refusal must leave none of them stored. The callback is
 * also fed directly: signed and forged, valid and not.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { exerciseNameSchema, LOG_LIMITS } from '../../shared/schemas.ts';
import { mintUserToken } from '../../shared/user-token.ts';
import { isUtf8 } from '../../workers/middleware/utf8-body.ts';
import {
  type AuthChoice,
  anyJson,
  authChoice,
  bodyFor,
  boundaryNumber,
  contentType,
  expectContractAnswer,
  mutateObject,
  nastyString,
  type RawBody,
  RUNS_PER_ROUTE,
  SQL_LOOKING,
  userIdValue,
  wrongOr,
} from '../api/adversarial.ts';
import { signQStashRequest } from '../support/qstash-standin.ts';
import { type LogsHarness, startLogsHarness } from './harness.ts';

/** The ingest route on the in-process queue (one delivery per batch, cheap to settle each run). */
let ingest: LogsHarness;
/** The callback route as QStash reaches it, with QStash's signing keys and callback URL. */
let callback: LogsHarness;

beforeAll(async () => {
  [ingest, callback] = await Promise.all([
    startLogsHarness({ queue: 'in-process' }),
    startLogsHarness({ queue: 'qstash' }),
  ]);
});
afterAll(() => Promise.all([ingest?.close(), callback?.close()]));

const RUNS = { numRuns: RUNS_PER_ROUTE, timeout: 15_000 };
const tally = new Map<string, Map<number, number>>();
afterAll(() => {
  for (const [route, statuses] of tally) {
    console.info(`bad-input ${route}: ${JSON.stringify(Object.fromEntries(statuses))}`);
  }
});

/** Placeholders the generated text carries; each occurrence becomes a fresh id when sent. */
const FRESH = '__fresh_log_id__';
const FRESH_UPPER = '__FRESH_LOG_ID__';
/** Stands for bytes that are not UTF-8 inside an otherwise valid exercise name. */
const BROKEN_BYTES = '__broken_utf8__';

const loggedAt = fc
  .oneof(
    { weight: 4, arbitrary: fc.date({ min: new Date(0), max: new Date(), noInvalidDate: true }) },
    {
      weight: 1,
      arbitrary: fc.date({ noInvalidDate: true }),
    },
  )
  .map((date) => date.toISOString());

/** A set the contract accepts, at every edge of it: any text that is allowed, every bound. */
const validEntry = fc.record({
  log_id: fc.constantFrom(FRESH, FRESH_UPPER),
  user_id: fc.constantFrom(...SEED_USERS.flatMap((s) => [s.user.id, s.user.id.toUpperCase()])),
  exercise: fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.string({ minLength: 250, maxLength: 260 }),
      fc.constantFrom(...SQL_LOOKING, `Squat ${BROKEN_BYTES}`, ' Squat\u00a0', 'Kniebeuge 🏋️'),
    )
    .filter((text) => exerciseNameSchema.safeParse(text).success),
  reps: fc.oneof(
    fc.constantFrom(LOG_LIMITS.repsMin, LOG_LIMITS.repsMax),
    fc.integer({ min: 1, max: 1000 }),
  ),
  weight_kg: fc.oneof(
    fc.constantFrom(LOG_LIMITS.weightKgMin, LOG_LIMITS.weightKgMax, 0.01, 999.99, 1e-300),
    fc.double({ min: 0, max: 1000, noNaN: true }),
  ),
  logged_at: loggedAt.filter((at) => Date.parse(at) >= 0),
});

const entry = fc.oneof(
  validEntry,
  mutateObject(
    fc.record({
      log_id: wrongOr(fc.constantFrom(FRESH, FRESH, FRESH_UPPER)),
      user_id: wrongOr(userIdValue),
      exercise: wrongOr(fc.oneof(fc.constantFrom('Back squat', '  Bench press  '), nastyString)),
      reps: wrongOr(fc.oneof(fc.integer({ min: 1, max: 20 }), boundaryNumber)),
      weight_kg: wrongOr(fc.oneof(fc.constantFrom(0, 60, 102.5), boundaryNumber)),
      logged_at: wrongOr(
        fc.oneof(
          loggedAt,
          fc.constantFrom(
            '2025-03-01T10:00:00+05:30',
            '0000-01-01T00:00:00Z',
            '1969-12-31T23:59:59Z',
            '9999-12-31T23:59:59Z',
            '2025-02-30T10:00:00Z',
            '2025-03-01',
          ),
        ),
      ),
    }),
  ),
);

const batch = mutateObject(
  fc.record({
    entries: wrongOr(
      fc.oneof(
        { weight: 4, arbitrary: fc.array(validEntry, { minLength: 1, maxLength: 4 }) },
        { weight: 4, arbitrary: fc.array(entry, { minLength: 1, maxLength: 4 }) },
        { weight: 1, arbitrary: fc.constant([]) },
        {
          // At and just past the batch bound: one set repeated, each copy with its own log_id.
          weight: 1,
          arbitrary: fc
            .tuple(validEntry, fc.constantFrom(LOG_LIMITS.batchMax, LOG_LIMITS.batchMax + 1))
            .map(([one, n]) => Array.from({ length: n }, () => one)),
        },
        { weight: 1, arbitrary: fc.array(anyJson, { maxLength: 3 }) },
      ),
    ),
  }),
);

/** Replaces each placeholder with a new id, returning the body sent and the ids it carries. */
function withFreshIds(body: RawBody): { body: RawBody; logIds: string[] } {
  if (typeof body !== 'string') return { body, logIds: [] };
  const logIds: string[] = [];
  const sent = body
    .replaceAll(FRESH, () => {
      const id = randomUUID();
      logIds.push(id);
      return id;
    })
    .replaceAll(FRESH_UPPER, () => {
      const id = randomUUID();
      logIds.push(id);
      return id.toUpperCase();
    });
  if (!sent.includes(BROKEN_BYTES)) return { body: sent, logIds };
  const [head = '', ...rest] = sent.split(BROKEN_BYTES);
  const bytes = [...new TextEncoder().encode(head)];
  for (const part of rest) bytes.push(0xc0, 0xaf, 0xff, ...new TextEncoder().encode(part));
  return { body: Uint8Array.from(bytes), logIds };
}

const isUtf8Text = (body: RawBody) =>
  typeof body === 'string' ||
  isUtf8(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));

interface SentEntry {
  log_id: string;
  user_id: string;
  exercise: string;
  reps: number;
  weight_kg: number;
  logged_at: string;
}

const SEEDED_USER_IDS = new Set(SEED_USERS.map((seed) => seed.user.id));

/**
 * After a success: every set of the batch is stored once, exactly as sent. A delivery keeps no
 * set of a user that does not exist (the user may have been deleted since the set was accepted;
 * workers/db/repository.ts filters them in the insert), so those are expected absent.
 */
async function expectStoredAsSent(h: LogsHarness, body: RawBody, logIds: string[]): Promise<void> {
  const delivered = (JSON.parse(String(body)) as { entries: SentEntry[] }).entries;
  const entries = delivered.filter((e) => SEEDED_USER_IDS.has(e.user_id.toLowerCase()));
  const rows = await h.storedLogs(logIds);
  expect(rows).toHaveLength(new Set(entries.map((e) => e.log_id.toLowerCase())).size);
  for (const sent of entries) {
    const row = rows.find((r) => r.id === sent.log_id.toLowerCase());
    expect(row?.userId).toBe(sent.user_id.toLowerCase());
    expect(row?.exercise).toBe(sent.exercise.trim());
    expect(row?.reps).toBe(sent.reps);
    expect(row?.weightKg).toBe(sent.weight_kg);
    expect(row?.loggedAt.getTime()).toBe(Date.parse(sent.logged_at));
  }
}

async function authorization(choice: AuthChoice): Promise<Record<string, string>> {
  switch (choice.kind) {
    case 'user':
      return {
        authorization: `Bearer ${await mintUserToken({ userId: choice.userId, secret: DEV_DEFAULTS.AUTH_JWT_SECRET })}`,
      };
    case 'service':
      return { authorization: `Bearer ${DEV_DEFAULTS.SERVICE_API_TOKEN}` };
    case 'raw':
      return { authorization: choice.header };
    case 'none':
      return {};
  }
}

async function post(
  h: LogsHarness,
  route: string,
  path: string,
  body: RawBody,
  headers: Record<string, string>,
): Promise<Response> {
  const response = await h.app.request(path, { method: 'POST', headers, body });
  const statuses = tally.get(route) ?? new Map<number, number>();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  tally.set(route, statuses);
  return response;
}

const callbackUrl = () => {
  const { queue } = callback.services.config;
  if (queue.kind !== 'qstash') throw new Error('this suite runs on the QStash stand-in');
  return queue.callbackUrl;
};

/** Only services may post logs, so they call most often, to reach the validation behind auth. */
const mostlyService = fc.oneof(
  { weight: 2, arbitrary: fc.constant<AuthChoice>({ kind: 'service' }) },
  { weight: 1, arbitrary: authChoice },
);

/** A delivery that keeps failing would retry forever: that is a failure to report, not a hang. */
async function settleWithin(h: LogsHarness, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the queue did not settle in ${ms} ms: an accepted set is not storable`));
    }, ms);
  });
  try {
    await Promise.race([h.settle(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('bad log input never gets a 500 or a partial write', () => {
  it('POST /v1/logs', async () => {
    await fc.assert(
      fc.asyncProperty(
        mostlyService,
        bodyFor(batch),
        contentType,
        async (auth, generated, type) => {
          const { body, logIds } = withFreshIds(generated);
          const headers = { ...(await authorization(auth)) };
          if (type !== undefined) headers['content-type'] = type;
          const response = await post(ingest, 'POST /v1/logs', '/v1/logs', body, headers);
          const answer = await expectContractAnswer(response, { success: [202] });
          if (!isUtf8Text(body)) expect(response.status).not.toBe(202);
          await settleWithin(ingest, 20_000);
          if (response.status === 202) {
            expect(auth.kind).toBe('service');
            expect(answer).toEqual({ accepted: JSON.parse(String(body)).entries.length });
            await expectStoredAsSent(ingest, body, logIds);
          } else {
            expect(await ingest.storedLogs(logIds)).toEqual([]);
          }
        },
      ),
      RUNS,
    );
  }, 600_000);

  it('POST /v1/logs/deliver', async () => {
    const qstash = callback.qstash;
    if (!qstash) throw new Error('this suite runs on the QStash stand-in');
    const signing = fc.constantFrom(
      'current',
      'current',
      'next',
      'none',
      'other-key',
      'other-url',
      'expired',
    );
    await fc.assert(
      fc.asyncProperty(signing, bodyFor(batch), async (how, generated) => {
        const { body, logIds } = withFreshIds(generated);
        const key = how === 'next' ? qstash.nextSigningKey : qstash.currentSigningKey;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (how !== 'none') {
          headers['upstash-signature'] = await signQStashRequest({
            signingKey: how === 'other-key' ? 'sig_not_the_right_key' : key,
            url: how === 'other-url' ? 'http://127.0.0.1:1/v1/logs/deliver' : callbackUrl(),
            body: typeof body === 'string' ? body : Buffer.from(body).toString('utf8'),
            expiresInSeconds: how === 'expired' ? -60 : 300,
          });
        }
        const response = await post(
          callback,
          'POST /v1/logs/deliver',
          '/v1/logs/deliver',
          body,
          headers,
        );
        const answer = await expectContractAnswer(response, { success: [200] });
        if (!['current', 'next'].includes(how)) expect([401, 413]).toContain(response.status);
        if (response.status === 200) {
          expect(answer).toEqual({ stored: expect.any(Number) });
          await expectStoredAsSent(callback, body, logIds);
        } else {
          expect(await callback.storedLogs(logIds)).toEqual([]);
        }
      }),
      RUNS,
    );
  }, 600_000);
});
