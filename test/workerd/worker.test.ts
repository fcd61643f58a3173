/**
 * The deployed Worker (workers/index.ts, configured by wrangler.toml) running inside workerd,
 * against real PostgreSQL (through the Neon driver), real Redis (through the Upstash stand-in)
 * and the QStash stand-in, which calls the Worker back over HTTP on its own loopback port.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { Redis } from '@upstash/redis/cloudflare';
import { describe, expect, inject, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import {
  coachingContextSchema,
  createSessionResponseSchema,
  errorBodySchema,
  workoutLogListSchema,
} from '../../shared/schemas.ts';
import { parseSessionMetadata } from '../../shared/session-metadata.ts';
import { contextCacheKey } from '../../workers/context/context-service.ts';
import worker from '../../workers/index.ts';
import { verifySessionToken } from '../api/livekit-claims.ts';
import { serviceHeaders, userHeaders } from '../support/auth.ts';

const userId = inject('workerdUserId');
const bindings = inject('workerdBindings');
const worker$ = exports.default;

const json = (body: unknown, headers: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readContext(): Promise<{ name: string; date: string }> {
  const response = await worker$.fetch(`https://api.test/v1/users/${userId}/context`, {
    headers: await userHeaders(userId),
  });
  expect(response.status).toBe(200);
  const context = coachingContextSchema.parse(await response.json());
  return { name: context.profile.name, date: context.date };
}

describe('the Worker in workerd', () => {
  it('reads its configuration from wrangler.toml and the bindings', () => {
    expect(env.DATABASE_DRIVER).toBe('neon-http');
    expect(env.SESSION_RATE_LIMITER).toBeTypeOf('object');
  });

  it('mints a session token for a fresh room that dispatches the coach', async () => {
    const response = await worker$.fetch(
      'https://api.test/v1/sessions',
      json({ agent_type: 'workout' }, await userHeaders(userId)),
    );
    expect(response.status).toBe(201);
    const session = createSessionResponseSchema.parse(await response.json());
    expect(session.participant_identity).toBe(userId);

    const { claims, roomConfig } = await verifySessionToken(session.participant_token, {
      apiKey: bindings.LIVEKIT_API_KEY ?? '',
      apiSecret: bindings.LIVEKIT_API_SECRET ?? '',
    });
    expect(claims.sub).toBe(userId);
    expect(claims.video?.room).toBe(session.room_name);
    expect(claims.video?.roomJoin).toBe(true);
    const [dispatch] = roomConfig.agents;
    expect(dispatch?.agentName).toBe('fitness-coach');
    for (const metadata of [roomConfig.metadata, dispatch?.metadata ?? '']) {
      const parsed = parseSessionMetadata(metadata);
      expect(parsed.success && parsed.data).toMatchObject({
        user_id: userId,
        agent_type: 'workout',
        session_type: 'voice',
      });
    }
  });

  it("limits each user's sessions with the Workers Rate Limiting binding", async () => {
    // wrangler.toml allows 10 a minute per key (the memory fallback would allow 1000); the demo user
    // has had no session in this run.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const response = await worker$.fetch(
        'https://api.test/v1/sessions',
        json({ agent_type: 'diet' }, await userHeaders(DEMO_USER_ID)),
      );
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses.slice(0, 10).every((status) => status === 201)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('serves the context from the database, then from Upstash Redis until evicted', async () => {
    const redis = new Redis({
      url: bindings.UPSTASH_REDIS_REST_URL ?? '',
      token: bindings.UPSTASH_REDIS_REST_TOKEN ?? '',
      automaticDeserialization: false,
    });
    const key = contextCacheKey(userId);
    await redis.del(key);

    const fromDatabase = await readContext();
    const cached = await redis.get<string>(key);
    expect(cached).not.toBeNull();
    expect(await redis.ttl(key)).toBeGreaterThan(0);

    // Mark the cached copy: only a read served from the cache can answer with the mark.
    const marked = coachingContextSchema.parse(JSON.parse(cached ?? ''));
    marked.profile.name = 'served from cache';
    await redis.set(key, JSON.stringify(marked), { keepTtl: true });
    expect(await readContext()).toEqual({ name: 'served from cache', date: fromDatabase.date });

    const evicted = await worker$.fetch(`https://api.test/v1/users/${userId}/context`, {
      method: 'DELETE',
      headers: serviceHeaders(),
    });
    expect(evicted.status).toBe(204);
    expect(await readContext()).toEqual(fromDatabase);
  });

  it('ingests a set through QStash into PostgreSQL, once despite a duplicate delivery', async () => {
    const entry = {
      log_id: crypto.randomUUID(),
      user_id: userId,
      exercise: 'Back squat',
      reps: 5,
      weight_kg: 102.5,
      logged_at: new Date().toISOString(),
    };
    const response = await worker$.fetch(
      'https://api.test/v1/logs',
      json({ entries: [entry] }, serviceHeaders()),
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1 });

    // The stand-in delivers it twice to /v1/logs/deliver on the Worker's own port; wait for the row.
    const deadline = Date.now() + 20_000;
    let logs: ReturnType<typeof workoutLogListSchema.parse>['logs'] = [];
    while (Date.now() < deadline) {
      const listed = await worker$.fetch(`https://api.test/v1/users/${userId}/workout-logs`, {
        headers: serviceHeaders(),
      });
      expect(listed.status).toBe(200);
      logs = workoutLogListSchema.parse(await listed.json()).logs;
      if (logs.some((log) => log.log_id === entry.log_id)) break;
      await sleep(100);
    }
    const stored = logs.filter((log) => log.log_id === entry.log_id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ exercise: 'Back squat', reps: 5, weight_kg: 102.5 });
  });

  it('refuses a callback without a valid QStash signature', async () => {
    const response = await worker$.fetch(
      'https://api.test/v1/logs/deliver',
      json({ entries: [] }, { 'upstash-signature': 'not-a-jwt' }),
    );
    expect(response.status).toBe(401);
  });

  it('runs on the Neon WebSocket driver too, with a pool per request', async () => {
    const websocketEnv = { ...env, DATABASE_DRIVER: 'neon-websocket' };
    for (let request = 0; request < 2; request++) {
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request(`https://api.test/v1/users/${userId}/workout-logs`, {
          headers: serviceHeaders(),
        }),
        websocketEnv,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      expect(response.status).toBe(200);
      workoutLogListSchema.parse(await response.json());
    }
  });

  it('answers 503 naming the bad variables, never their values, when misconfigured', async () => {
    const secret = 'too-short-secret';
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request('https://api.test/health'),
      { ...env, SERVICE_API_TOKEN: secret, DATABASE_URL: '', QSTASH_TOKEN: '' },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(503);
    const { error } = errorBodySchema.parse(await response.json());
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain('SERVICE_API_TOKEN');
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).toContain('QSTASH_TOKEN');
    expect(error.message).not.toContain(secret);
  });
});
