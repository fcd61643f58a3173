import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { userProfiles } from '../../drizzle/schema.ts';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import { coachingContextSchema, errorBodySchema } from '../../shared/schemas.ts';
import { createApp } from '../../workers/app.ts';
import { contextCacheKey } from '../../workers/context/context-service.ts';
import { serviceHeaders, userHeaders } from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import { seedUser, UNKNOWN_USER_ID } from './seed-users.ts';

// Monday 23:30 UTC: already Tuesday in Berlin (the demo user) and Tokyo, still Monday in Los Angeles.
const MONDAY_LATE_UTC = Date.parse('2025-06-02T23:30:00Z');
let now = MONDAY_LATE_UTC;
const clock = { now: () => new Date(now) };

let test: TestServices;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  test = await createTestServices({ clock });
  app = createApp(test.services);
});
afterAll(() => test?.cleanup());
beforeEach(async () => {
  now = MONDAY_LATE_UTC;
  for (const seed of SEED_USERS) await test.services.cache.delete(contextCacheKey(seed.user.id));
});

const demo = seedUser('the demo user', (seed) => seed.user.id === DEMO_USER_ID);
const westOfUtc = seedUser(
  'in Los Angeles',
  (seed) => seed.profile.timeZone === 'America/Los_Angeles',
);

async function getContext(userId: string, headers: Record<string, string>) {
  return app.request(`/v1/users/${userId}/context`, { headers });
}

async function readContext(userId: string, headers?: Record<string, string>) {
  const response = await getContext(userId, headers ?? (await userHeaders(userId)));
  expect(response.status).toBe(200);
  return coachingContextSchema.parse(await response.json());
}

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(errorBodySchema.parse(await response.json()).error.code).toBe(code);
}

describe('GET /v1/users/{user_id}/context', () => {
  it("answers the user's profile, plans and today's plan for their own local date", async () => {
    const context = await readContext(DEMO_USER_ID);
    const seed = demo;
    expect(context.profile).toMatchObject({
      user_id: DEMO_USER_ID,
      name: seed.profile.name,
      time_zone: 'Europe/Berlin',
    });
    expect(context.preferences.units).toBe(seed.profile.units ?? 'metric');
    expect(context.date).toBe('2025-06-03');
    expect(context.weekday).toBe('tuesday');
    expect(context.workout_plan?.id).toBe(seed.workoutPlan.id);
    expect(context.meal_plan?.id).toBe(seed.mealPlan.id);
    expect(context.todays_workout).toEqual(seed.workoutPlan.days.find((d) => d.day === 'tuesday'));
    expect(context.todays_meals).toEqual(seed.mealPlan.days.find((d) => d.day === 'tuesday'));
  });

  it('lets a service read any user, dated in that user’s zone', async () => {
    const context = await readContext(westOfUtc.user.id, serviceHeaders());
    expect(context.profile.user_id).toBe(westOfUtc.user.id);
    expect(context.date).toBe('2025-06-02');
    expect(context.todays_workout?.day).toBe('monday');
  });

  it('serves the cached context until a service evicts it', async () => {
    const first = await readContext(DEMO_USER_ID);
    await test.db
      .update(userProfiles)
      .set({ name: 'Renamed Athlete' })
      .where(eq(userProfiles.userId, DEMO_USER_ID));
    try {
      expect((await readContext(DEMO_USER_ID)).profile.name).toBe(first.profile.name);

      const evicted = await app.request(`/v1/users/${DEMO_USER_ID}/context`, {
        method: 'DELETE',
        headers: serviceHeaders(),
      });
      expect(evicted.status).toBe(204);
      expect((await readContext(DEMO_USER_ID)).profile.name).toBe('Renamed Athlete');
    } finally {
      await test.db
        .update(userProfiles)
        .set({ name: first.profile.name })
        .where(eq(userProfiles.userId, DEMO_USER_ID));
    }
  });

  it('never serves yesterday’s context after the user’s local midnight', async () => {
    now = Date.parse('2025-06-03T21:45:00Z'); // 23:45 Tuesday in Berlin
    expect((await readContext(DEMO_USER_ID)).weekday).toBe('tuesday');
    now = Date.parse('2025-06-03T22:15:00Z'); // 00:15 Wednesday in Berlin
    // The entry's lifetime was capped at the user's midnight, well inside the configured TTL.
    expect(await test.services.cache.get(contextCacheKey(DEMO_USER_ID))).toBeNull();
    const context = await readContext(DEMO_USER_ID);
    expect(context.date).toBe('2025-06-04');
    expect(context.todays_workout?.day).toBe('wednesday');
  });

  it('ignores a cached entry built for another day, even one the cache still holds', async () => {
    const today = await readContext(DEMO_USER_ID);
    const yesterday = { ...today, date: '2025-06-02', weekday: 'monday' };
    await test.services.cache.set(contextCacheKey(DEMO_USER_ID), JSON.stringify(yesterday), 3600);
    expect((await readContext(DEMO_USER_ID)).date).toBe('2025-06-03');
  });

  it.each([
    ['not JSON', '{"profile": '],
    ['JSON of the wrong shape', JSON.stringify({ profile: 'nobody' })],
  ])('replaces a cached entry that is %s', async (_name, corrupt) => {
    const key = contextCacheKey(DEMO_USER_ID);
    await test.services.cache.set(key, corrupt, 3600);
    const context = await readContext(DEMO_USER_ID);
    expect(context.profile.user_id).toBe(DEMO_USER_ID);
    const stored = await test.services.cache.get(key);
    expect(coachingContextSchema.parse(JSON.parse(stored ?? 'null'))).toEqual(context);
  });

  it("refuses another user's context (403)", async () => {
    await expectError(
      await getContext(westOfUtc.user.id, await userHeaders(DEMO_USER_ID)),
      403,
      'forbidden',
    );
  });

  it('answers 400 for a user id that is not a UUID', async () => {
    await expectError(await getContext('42', serviceHeaders()), 400, 'bad_request');
  });

  it('answers 404 for a user without a profile', async () => {
    await expectError(
      await getContext(UNKNOWN_USER_ID, await userHeaders(UNKNOWN_USER_ID)),
      404,
      'not_found',
    );
    await expectError(await getContext(UNKNOWN_USER_ID, serviceHeaders()), 404, 'not_found');
  });

  it('answers 401 without credentials', async () => {
    await expectError(await getContext(DEMO_USER_ID, {}), 401, 'unauthorized');
  });
});

describe('DELETE /v1/users/{user_id}/context', () => {
  const evict = (userId: string, headers: Record<string, string>) =>
    app.request(`/v1/users/${userId}/context`, { method: 'DELETE', headers });

  it('drops the cached entry (204)', async () => {
    await readContext(DEMO_USER_ID);
    expect(await test.services.cache.get(contextCacheKey(DEMO_USER_ID))).not.toBeNull();
    const response = await evict(DEMO_USER_ID, serviceHeaders());
    expect(response.status).toBe(204);
    expect(await test.services.cache.get(contextCacheKey(DEMO_USER_ID))).toBeNull();
  });

  it('is for services only (403 for a user, even their own)', async () => {
    await expectError(await evict(DEMO_USER_ID, await userHeaders(DEMO_USER_ID)), 403, 'forbidden');
  });

  it('answers 400 for a user id that is not a UUID and 401 without credentials', async () => {
    await expectError(await evict('not-a-uuid', serviceHeaders()), 400, 'bad_request');
    await expectError(await evict(DEMO_USER_ID, {}), 401, 'unauthorized');
  });
});
