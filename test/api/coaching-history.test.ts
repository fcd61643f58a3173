/**
 * The context's training history and the session summary route, on a fresh seeded PostgreSQL:
 * what the context carries, that it is computed on a cache miss only and dropped when new sets or
 * a summary arrive, and that the summary route validates, authorizes and is idempotent.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import {
  coachingContextSchema,
  errorBodySchema,
  type LogEntry,
  type SessionSummary,
} from '../../shared/schemas.ts';
import { createApp } from '../../workers/app.ts';
import { contextCacheKey } from '../../workers/context/context-service.ts';
import type { CoachingRepository } from '../../workers/ports.ts';
import { serviceHeaders, userHeaders } from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';

// Tuesday 10:00 in Berlin (the demo user): lower body day (Back squat 4x6 at 100 kg, ...).
const NOW = Date.parse('2025-06-03T08:00:00Z');
const clock = { now: () => new Date(NOW) };

let test: TestServices;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  test = await createTestServices({ clock });
  app = createApp(test.services);
});
afterAll(() => test?.cleanup());
beforeEach(async () => {
  for (const seed of SEED_USERS) await test.services.cache.delete(contextCacheKey(seed.user.id));
});

const set = (exercise: string, reps: number, weight_kg: number, at: string): LogEntry => ({
  log_id: randomUUID(),
  user_id: DEMO_USER_ID,
  exercise,
  reps,
  weight_kg,
  logged_at: at,
});

async function readContext() {
  const response = await app.request(`/v1/users/${DEMO_USER_ID}/context`, {
    headers: serviceHeaders(),
  });
  expect(response.status).toBe(200);
  return coachingContextSchema.parse(await response.json());
}

const summary: SessionSummary = {
  sets: 2,
  total_volume_kg: 1200,
  exercises: [
    { exercise: 'Back squat', sets: 2, volume_kg: 1200, best_reps: 6, best_weight_kg: 100 },
  ],
  new_bests: [],
  note: 'left knee felt sore on the last set',
};

function putSummary(room: string, body: unknown, headers: Record<string, string>) {
  return app.request(`/v1/voice-sessions/${encodeURIComponent(room)}/summary`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(errorBodySchema.parse(await response.json()).error.code).toBe(code);
}

async function recordSession(userId = DEMO_USER_ID, startedAt = new Date(NOW - 3600_000)) {
  const roomName = `workout-${randomUUID()}`;
  const recorded = await test.services.repository.recordVoiceSession({
    roomName,
    userId,
    agentType: 'workout',
    startedAt,
  });
  expect(recorded).toBe(true);
  return roomName;
}

describe("the context's recent training", () => {
  it("carries, per exercise of today's plan, the last session's sets and the best recent set, and today's sets", async () => {
    await test.services.repository.insertWorkoutLogs([
      // Two weeks ago: the heaviest squat of the window.
      set('Back squat', 4, 105, '2025-05-20T08:00:00Z'),
      // Last Tuesday: the last session.
      set('back squat', 6, 100, '2025-05-27T08:00:00Z'),
      set('Back squat', 6, 100, '2025-05-27T08:04:00Z'),
      set('Back squat', 5, 100, '2025-05-27T08:08:00Z'),
      set('Romanian deadlift', 8, 85, '2025-05-27T08:20:00Z'),
      // Older than the lookback window: ignored.
      set('Back squat', 1, 140, '2025-04-01T08:00:00Z'),
      // Today (already 09:30 in Berlin).
      set('Back squat', 6, 100, '2025-06-03T07:30:00Z'),
      // Another exercise, not in today's plan.
      set('Bench press', 6, 80, '2025-06-02T08:00:00Z'),
    ]);
    const context = await readContext();
    expect(context.recent_training.map((h) => h.exercise)).toEqual(
      context.todays_workout?.exercises.map((e) => e.name),
    );
    const squat = context.recent_training.find((h) => h.exercise === 'Back squat');
    expect(squat).toEqual({
      exercise: 'Back squat',
      last_session: {
        date: '2025-05-27',
        sets: [
          { reps: 6, weight_kg: 100 },
          { reps: 6, weight_kg: 100 },
          { reps: 5, weight_kg: 100 },
        ],
      },
      best_recent_set: { date: '2025-05-20', reps: 4, weight_kg: 105 },
    });
    const lunge = context.recent_training.find((h) => h.exercise === 'Walking lunge');
    expect(lunge).toEqual({ exercise: 'Walking lunge', last_session: null, best_recent_set: null });
    expect(context.todays_sets).toEqual([
      expect.objectContaining({ exercise: 'Back squat', reps: 6, weight_kg: 100 }),
    ]);
    expect(context.last_session).toBeNull();
  });

  it('is computed on a cache miss only: warm reads never touch the logs or the sessions', async () => {
    await readContext();
    const repository = test.services.repository as CoachingRepository;
    const original = {
      listWorkoutLogs: repository.listWorkoutLogs,
      findLastSession: repository.findLastSession,
    };
    let reads = 0;
    repository.listWorkoutLogs = async (...args) => {
      reads += 1;
      return original.listWorkoutLogs(...args);
    };
    repository.findLastSession = async (...args) => {
      reads += 1;
      return original.findLastSession(...args);
    };
    try {
      for (let i = 0; i < 5; i++) await readContext();
      expect(reads).toBe(0);
      await test.services.cache.delete(contextCacheKey(DEMO_USER_ID));
      await readContext();
      expect(reads).toBe(2);
    } finally {
      Object.assign(repository, original);
    }
  });

  it('drops the cached context when new sets are stored, so a reconnect sees them', async () => {
    const before = await readContext();
    const entry = set('Back squat', 6, 100, new Date(NOW - 60_000).toISOString());
    const response = await app.request('/v1/logs', {
      method: 'POST',
      headers: { ...serviceHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ entries: [entry] }),
    });
    expect(response.status).toBe(202);
    await test.queue.drain();
    const after = await readContext();
    expect(after.todays_sets.map((s) => s.log_id)).toEqual([
      ...before.todays_sets.map((s) => s.log_id),
      entry.log_id,
    ]);
  });
});

describe('PUT /v1/voice-sessions/{room_name}/summary', () => {
  it('stores the summary, idempotently, and the next context carries it', async () => {
    await readContext(); // warm the cache: storing must drop it
    const room = await recordSession();
    const body = { user_id: DEMO_USER_ID, summary };
    const first = await putSummary(room, body, serviceHeaders());
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ room_name: room });
    const again = await putSummary(room, body, serviceHeaders());
    expect(again.status).toBe(200);
    const context = await readContext();
    expect(context.last_session).toMatchObject({ room_name: room, agent_type: 'workout', summary });
    expect(await test.services.repository.findLastSession(DEMO_USER_ID)).toEqual(
      context.last_session,
    );
  });

  it('the newest session with a summary is the last session; one without a summary does not count', async () => {
    const older = await recordSession(DEMO_USER_ID, new Date(NOW - 7200_000));
    const newer = await recordSession(DEMO_USER_ID, new Date(NOW - 1800_000));
    await recordSession(DEMO_USER_ID, new Date(NOW - 60_000));
    const body = (sets: number) => ({
      user_id: DEMO_USER_ID,
      summary: { ...summary, sets, note: undefined },
    });
    expect((await putSummary(newer, body(7), serviceHeaders())).status).toBe(200);
    expect((await putSummary(older, body(3), serviceHeaders())).status).toBe(200);
    const last = (await readContext()).last_session;
    expect(last?.room_name).toBe(newer);
    expect(last?.summary.sets).toBe(7);
  });

  it('answers 404 for an unknown room or a room of another user, writing nothing', async () => {
    const room = await recordSession();
    const other = SEED_USERS.find((s) => s.user.id !== DEMO_USER_ID)?.user.id as string;
    await expectError(
      await putSummary('workout-unknown', { user_id: DEMO_USER_ID, summary }, serviceHeaders()),
      404,
      'not_found',
    );
    await expectError(
      await putSummary(room, { user_id: other, summary }, serviceHeaders()),
      404,
      'not_found',
    );
    expect(await test.services.repository.findLastSession(other)).toBeNull();
  });

  it('refuses bad bodies with a 400 naming the problem', async () => {
    const room = await recordSession();
    const bad: unknown[] = [
      {},
      { user_id: 'nope', summary },
      { user_id: DEMO_USER_ID, summary, extra: true },
      { user_id: DEMO_USER_ID, summary: { ...summary, sets: -1 } },
      { user_id: DEMO_USER_ID, summary: { ...summary, unknown: 1 } },
      { user_id: DEMO_USER_ID, summary: { ...summary, note: 'x'.repeat(501) } },
      { user_id: DEMO_USER_ID, summary: { ...summary, note: 'sore\u0000' } },
      {
        user_id: DEMO_USER_ID,
        summary: { ...summary, new_bests: [{ exercise: '', reps: 5, weight_kg: 100 }] },
      },
    ];
    for (const body of bad) {
      await expectError(await putSummary(room, body, serviceHeaders()), 400, 'bad_request');
    }
    const roomTooLong = 'r'.repeat(129);
    await expectError(
      await putSummary(roomTooLong, { user_id: DEMO_USER_ID, summary }, serviceHeaders()),
      400,
      'bad_request',
    );
  });

  it('is for services only', async () => {
    const room = await recordSession();
    const body = { user_id: DEMO_USER_ID, summary };
    await expectError(await putSummary(room, body, {}), 401, 'unauthorized');
    await expectError(
      await putSummary(room, body, await userHeaders(DEMO_USER_ID)),
      403,
      'forbidden',
    );
  });

  it('is in the OpenAPI document, with the context history shape', async () => {
    const doc = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.paths['/v1/voice-sessions/{room_name}/summary']?.put).toBeDefined();
    const contextDoc = JSON.stringify(doc.paths['/v1/users/{user_id}/context']);
    for (const field of ['recent_training', 'todays_sets', 'last_session', 'best_recent_set']) {
      expect(contextDoc).toContain(field);
    }
  });
});
