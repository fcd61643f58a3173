import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users, voiceSessions } from '../../drizzle/schema.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { createSessionResponseSchema, errorBodySchema } from '../../shared/schemas.ts';
import { parseSessionMetadata } from '../../shared/session-metadata.ts';
import { createMemoryRateLimiter } from '../../workers/adapters/rate-limit/memory.ts';
import { createApp } from '../../workers/app.ts';
import {
  expiredUserHeaders,
  serviceHeaders,
  userHeaders,
  wrongSecretUserHeaders,
  wrongSubjectHeaders,
} from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import { verifySessionToken } from './livekit-claims.ts';
import { seedUser, UNKNOWN_USER_ID } from './seed-users.ts';

const NOW = new Date('2025-06-02T10:00:00.000Z');

let test: TestServices;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  test = await createTestServices({ clock: { now: () => NOW } });
  app = createApp(test.services);
});
afterAll(() => test?.cleanup());

const json = (headers: Record<string, string>, body: unknown) => ({
  method: 'POST',
  headers: { ...headers, 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const body = errorBodySchema.parse(await response.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe('POST /v1/sessions', () => {
  it('mints a token for a fresh room that dispatches the coach with the session metadata', async () => {
    const response = await app.request(
      '/v1/sessions',
      json(await userHeaders(DEMO_USER_ID), { agent_type: 'workout' }),
    );
    expect(response.status).toBe(201);
    const body = createSessionResponseSchema.parse(await response.json());
    const { livekit } = test.services.config;
    expect(body.server_url).toBe(livekit.url);
    expect(body.agent_type).toBe('workout');
    expect(body.participant_identity).toBe(DEMO_USER_ID);
    expect(body.room_name).toMatch(/^coach-workout-[0-9a-f]{32}$/);

    const { claims, roomConfig } = await verifySessionToken(body.participant_token, livekit);
    expect(claims.sub).toBe(DEMO_USER_ID);
    expect(claims.iss).toBe(livekit.apiKey);
    // Exactly these rights, for exactly this room: no admin, create, list or recording grants.
    expect(claims.video).toEqual({
      room: body.room_name,
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    expect(claims.exp).toBe(Date.parse(body.expires_at) / 1000);
    expect(Number(claims.exp) - Number(claims.nbf)).toBe(livekit.tokenTtlSeconds);

    expect(roomConfig.agents).toHaveLength(1);
    expect(roomConfig.agents[0]?.agentName).toBe(livekit.agentName);
    const roomMetadata = parseSessionMetadata(roomConfig.metadata);
    const dispatchMetadata = parseSessionMetadata(roomConfig.agents[0]?.metadata ?? '');
    expect(roomMetadata).toEqual(dispatchMetadata);
    if (!roomMetadata.success) throw new Error(roomMetadata.error);
    expect(roomMetadata.data).toEqual({
      user_id: DEMO_USER_ID,
      agent_type: 'workout',
      session_type: 'voice',
      created_at: NOW.toISOString(),
    });
  });

  it('records the voice session', async () => {
    const response = await app.request(
      '/v1/sessions',
      json(await userHeaders(DEMO_USER_ID), { agent_type: 'diet' }),
    );
    const { room_name } = createSessionResponseSchema.parse(await response.json());
    const rows = await test.db
      .select()
      .from(voiceSessions)
      .where(eq(voiceSessions.roomName, room_name));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      userId: DEMO_USER_ID,
      agentType: 'diet',
      startedAt: NOW,
      endedAt: null,
    });
  });

  it('gives every session its own room', async () => {
    const headers = await userHeaders(DEMO_USER_ID);
    const rooms = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const response = await app.request('/v1/sessions', json(headers, { agent_type: 'general' }));
      rooms.add(createSessionResponseSchema.parse(await response.json()).room_name);
    }
    expect(rooms.size).toBe(3);
  });

  it('issues a token LiveKit rejects when checked with another secret', async () => {
    const response = await app.request(
      '/v1/sessions',
      json(await userHeaders(DEMO_USER_ID), { agent_type: 'supplement' }),
    );
    const { participant_token } = createSessionResponseSchema.parse(await response.json());
    await expect(
      verifySessionToken(participant_token, { apiKey: 'devkey', apiSecret: 'not-the-secret' }),
    ).rejects.toThrow();
  });

  describe('refuses callers that are not a signed-in user', () => {
    const body = { agent_type: 'workout' };
    it('without a token (401)', async () => {
      const response = await app.request('/v1/sessions', json({}, body));
      await expectError(response, 401, 'unauthorized');
    });
    it('with an expired token (401)', async () => {
      const response = await app.request(
        '/v1/sessions',
        json(await expiredUserHeaders(DEMO_USER_ID), body),
      );
      await expectError(response, 401, 'unauthorized');
    });
    it('with a token signed by another key (401)', async () => {
      const response = await app.request(
        '/v1/sessions',
        json(await wrongSecretUserHeaders(DEMO_USER_ID), body),
      );
      await expectError(response, 401, 'unauthorized');
    });
    it('with a token whose subject is no user id (401)', async () => {
      const response = await app.request('/v1/sessions', json(await wrongSubjectHeaders(), body));
      await expectError(response, 401, 'unauthorized');
    });
    it('with the service token (403)', async () => {
      const response = await app.request('/v1/sessions', json(serviceHeaders(), body));
      await expectError(response, 403, 'forbidden');
    });
  });

  it.each([
    ['an unknown user', async () => UNKNOWN_USER_ID],
    [
      'a user without a profile',
      async () => {
        const userId = randomUUID();
        await test.db.insert(users).values({ id: userId, email: `${userId}@example.test` });
        return userId;
      },
    ],
  ])('answers 404 and records nothing for %s', async (_name, arrangeUser) => {
    const userId = await arrangeUser();
    const response = await app.request(
      '/v1/sessions',
      json(await userHeaders(userId), { agent_type: 'workout' }),
    );
    await expectError(response, 404, 'not_found');
    const rows = await test.db.select().from(voiceSessions).where(eq(voiceSessions.userId, userId));
    expect(rows).toEqual([]);
  });

  describe('rejects a bad body with 400', () => {
    it.each([
      ['an unknown agent type', { agent_type: 'yoga' }, /agent_type/],
      ['a missing agent type', {}, /agent_type/],
      ['an unknown field', { agent_type: 'workout', room: 'mine' }, /unknown field\(s\) room/],
      ['a wrong type', { agent_type: 7 }, /agent_type/],
      ['malformed JSON', '{"agent_type": ', /JSON/i],
    ])('%s', async (_name, body, message) => {
      const response = await app.request(
        '/v1/sessions',
        json(await userHeaders(DEMO_USER_ID), body),
      );
      expect(await expectError(response, 400, 'bad_request')).toMatch(message);
    });
  });

  it('limits how many sessions a user starts, per user, and says when to retry', async () => {
    let now = Date.now();
    const clock = { now: () => new Date(now) };
    const limited = createApp({
      ...test.services,
      sessionRateLimiter: createMemoryRateLimiter({ limit: 2, periodSeconds: 60, clock }),
    });
    const first = DEMO_USER_ID;
    const second = seedUser('not the demo user', (seed) => seed.user.id !== DEMO_USER_ID).user.id;
    const request = async (userId: string) =>
      limited.request('/v1/sessions', json(await userHeaders(userId), { agent_type: 'workout' }));

    expect((await request(first)).status).toBe(201);
    expect((await request(first)).status).toBe(201);
    const refused = await request(first);
    await expectError(refused, 429, 'rate_limited');
    expect(refused.headers.get('retry-after')).toBe('60');
    expect((await request(second)).status).toBe(201);

    now += 60_000;
    expect((await request(first)).status).toBe(201);
  });
});
