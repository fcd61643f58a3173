import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { errorBodySchema, type LogEntry, workoutLogListSchema } from '../../shared/schemas.ts';
import { createApp } from '../../workers/app.ts';
import { serviceHeaders, userHeaders } from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import { seedUser, UNKNOWN_USER_ID } from './seed-users.ts';

let test: TestServices;
let app: ReturnType<typeof createApp>;

const other = seedUser('not the demo user', (seed) => seed.user.id !== DEMO_USER_ID).user.id;
const quiet = seedUser('a third user', (seed) => ![DEMO_USER_ID, other].includes(seed.user.id));

const entry = (userId: string, minute: number): LogEntry => ({
  log_id: crypto.randomUUID(),
  user_id: userId,
  exercise: `Squat ${minute}`,
  reps: 5,
  weight_kg: 100 + minute,
  logged_at: new Date(Date.UTC(2025, 5, 2, 10, minute)).toISOString(),
});

// Inserted out of order, so only the query can put them newest first.
const demoEntries = [3, 1, 4, 0, 2].map((minute) => entry(DEMO_USER_ID, minute));
const otherEntries = [entry(other, 5)];

beforeAll(async () => {
  test = await createTestServices();
  app = createApp(test.services);
  await test.services.repository.insertWorkoutLogs([...demoEntries, ...otherEntries]);
});
afterAll(() => test?.cleanup());

async function list(userId: string, query = '', headers?: Record<string, string>) {
  return app.request(`/v1/users/${userId}/workout-logs${query}`, {
    headers: headers ?? (await userHeaders(userId)),
  });
}

async function logsOf(userId: string, query = '', headers?: Record<string, string>) {
  const response = await list(userId, query, headers);
  expect(response.status).toBe(200);
  return workoutLogListSchema.parse(await response.json()).logs;
}

/** The fields a client sent, with the instant compared rather than its spelling. */
const comparable = (log: LogEntry) => ({
  log_id: log.log_id,
  user_id: log.user_id,
  exercise: log.exercise,
  reps: log.reps,
  weight_kg: log.weight_kg,
  logged_at: Date.parse(log.logged_at),
});

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(errorBodySchema.parse(await response.json()).error.code).toBe(code);
}

describe('GET /v1/users/{user_id}/workout-logs', () => {
  it("answers only the user's own sets, newest first, with every field", async () => {
    const logs = await logsOf(DEMO_USER_ID);
    const newestFirst = [...demoEntries].sort(
      (a, b) => Date.parse(b.logged_at) - Date.parse(a.logged_at),
    );
    expect(logs.map(comparable)).toEqual(newestFirst.map(comparable));
    expect(logs.map((log) => log.exercise)).toEqual([
      'Squat 4',
      'Squat 3',
      'Squat 2',
      'Squat 1',
      'Squat 0',
    ]);
  });

  it('answers the newest `limit` sets', async () => {
    const logs = await logsOf(DEMO_USER_ID, '?limit=2');
    expect(logs.map((log) => log.exercise)).toEqual(['Squat 4', 'Squat 3']);
  });

  it('answers the sets logged at or after `since`', async () => {
    const since = encodeURIComponent('2025-06-02T10:02:00Z');
    const logs = await logsOf(DEMO_USER_ID, `?since=${since}`);
    expect(logs.map((log) => log.exercise)).toEqual(['Squat 4', 'Squat 3', 'Squat 2']);
  });

  it('combines `since` and `limit`', async () => {
    const since = encodeURIComponent('2025-06-02T12:01:00+02:00');
    const logs = await logsOf(DEMO_USER_ID, `?since=${since}&limit=1`);
    expect(logs.map((log) => log.exercise)).toEqual(['Squat 4']);
  });

  it('accepts the largest limit', async () => {
    expect(await logsOf(DEMO_USER_ID, '?limit=500')).toHaveLength(5);
  });

  it.each([
    ['limit=0'],
    ['limit=501'],
    ['limit=ten'],
    ['limit=2.5'],
    ['since=yesterday'],
    ['since=2025-06-02'],
    ['order=asc'],
  ])('rejects ?%s with 400', async (query) => {
    await expectError(await list(DEMO_USER_ID, `?${query}`), 400, 'bad_request');
  });

  it('lets a service read any user', async () => {
    const logs = await logsOf(other, '', serviceHeaders());
    expect(logs.map((log) => log.log_id)).toEqual(otherEntries.map((e) => e.log_id));
  });

  it('answers an empty list for a user who logged nothing yet', async () => {
    expect(await logsOf(quiet.user.id, '', serviceHeaders())).toEqual([]);
  });

  it("refuses another user's sets (403)", async () => {
    await expectError(await list(other, '', await userHeaders(DEMO_USER_ID)), 403, 'forbidden');
  });

  it('answers 404 for an unknown user', async () => {
    await expectError(await list(UNKNOWN_USER_ID, '', serviceHeaders()), 404, 'not_found');
  });

  it('answers 400 for a user id that is not a UUID and 401 without credentials', async () => {
    await expectError(await list('me', '', serviceHeaders()), 400, 'bad_request');
    await expectError(await list(DEMO_USER_ID, '', {}), 401, 'unauthorized');
  });
});
