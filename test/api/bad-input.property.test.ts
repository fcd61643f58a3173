/**
 * Bad input against every route of the edge API except the log ingest pair (see
 * test/logs/bad-input.property.test.ts): random and adversarial bodies, headers, path params and
 * query strings, 1,000 runs per route, through `app.request()` on real PostgreSQL with the
 * orchestrator on the zero-latency OpenAI stand-in. Every answer must be a success of the
 * contract's shape or a 4xx in the one error shape (503 only where the contract names it), never a
 * 500, and a refused request must write nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import fc from 'fast-check';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceSessions } from '../../drizzle/schema.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import {
  AGENT_TYPES,
  coachingContextSchema,
  createSessionResponseSchema,
  healthSchema,
  SPECIALISTS,
  specialistQueryResponseSchema,
  workoutLogListSchema,
} from '../../shared/schemas.ts';
import { mintUserToken } from '../../shared/user-token.ts';
import { createApp } from '../../workers/app.ts';
import { createSessionRateLimiter } from '../../workers/services.ts';
import { createOrchestratorHarness, type OrchestratorHarness } from '../orchestrator/harness.ts';
import {
  type AuthChoice,
  anyJson,
  authChoice,
  bodyFor,
  boundaryNumber,
  contentType,
  expectContractAnswer,
  isHeaderSafe,
  mutateObject,
  nastyString,
  pathSegment,
  queryString,
  type RawBody,
  RUNS_PER_ROUTE,
  userIdValue,
  wrongOr,
} from './adversarial.ts';

let h: OrchestratorHarness;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  h = await createOrchestratorHarness();
  const { config } = h.services;
  app = createApp({
    ...h.services,
    // The burst limit has its own tests; here every session request must reach the validation.
    sessionRateLimiter: createSessionRateLimiter({ ...config, sessionRateLimitPerMinute: 1e9 }),
  });
});
afterAll(() => h?.cleanup());

const RUNS = { numRuns: RUNS_PER_ROUTE };
const tally = new Map<string, Map<number, number>>();

async function authorization(choice: AuthChoice): Promise<string | undefined> {
  switch (choice.kind) {
    case 'user':
      return `Bearer ${await mintUserToken({ userId: choice.userId, secret: DEV_DEFAULTS.AUTH_JWT_SECRET })}`;
    case 'service':
      return `Bearer ${DEV_DEFAULTS.SERVICE_API_TOKEN}`;
    case 'raw':
      return choice.header;
    case 'none':
      return undefined;
  }
}

interface Sent {
  method: string;
  path: string;
  auth: AuthChoice;
  body?: RawBody;
  contentType?: string | undefined;
  headers?: Record<string, string>;
}

async function send(route: string, request: Sent): Promise<Response> {
  const headers: Record<string, string> = { ...request.headers };
  const auth = await authorization(request.auth);
  if (auth !== undefined) headers.authorization = auth;
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  const response = await app.request(request.path, {
    method: request.method,
    headers,
    body: request.body,
  });
  const statuses = tally.get(route) ?? new Map<number, number>();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  tally.set(route, statuses);
  return response;
}

/** The user a principal may act for: a user only themselves (lower-cased), a service anyone. */
function mayRead(auth: AuthChoice, userId: string): boolean {
  if (auth.kind === 'service') return true;
  return auth.kind === 'user' && auth.userId.toLowerCase() === userId;
}

const extraHeaders = fc.dictionary(
  fc.constantFrom('x-forwarded-for', 'cf-ray', 'accept', 'x-user-id', 'cookie', 'x-api-key'),
  nastyString.filter(isHeaderSafe),
  { maxKeys: 3 },
);

afterAll(() => {
  // The figures the report quotes: how each route answered the runs.
  for (const [route, statuses] of tally) {
    console.info(`bad-input ${route}: ${JSON.stringify(Object.fromEntries(statuses))}`);
  }
});

describe('bad input never gets a 500 or a partial write', () => {
  it('GET /health and GET /openapi.json, and unknown paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/health', '/openapi.json', '/v1/nothing', '/v1/users', '/v1//context'),
        queryString({ verbose: nastyString }),
        extraHeaders,
        authChoice,
        async (path, query, headers, auth) => {
          const response = await send(path, { method: 'GET', path: path + query, auth, headers });
          const body = await expectContractAnswer(response, { success: [200] });
          if (path === '/health') expect(healthSchema.strict().parse(body).status).toBe('ok');
          if (path.startsWith('/v1/')) expect(response.status).toBe(404);
        },
      ),
      RUNS,
    );
  });

  it('POST /v1/sessions', async () => {
    const countSessions = async () =>
      (await h.testServices.db.select({ n: count() }).from(voiceSessions))[0]?.n ?? 0;
    const shaped = mutateObject(
      fc.record({ agent_type: wrongOr(fc.constantFrom(...AGENT_TYPES)) }),
    );
    await fc.assert(
      fc.asyncProperty(authChoice, bodyFor(shaped), contentType, async (auth, body, type) => {
        const before = await countSessions();
        const response = await send('POST /v1/sessions', {
          method: 'POST',
          path: '/v1/sessions',
          auth,
          body,
          contentType: type,
        });
        const answer = await expectContractAnswer(response, { success: [201] });
        const after = await countSessions();
        if (response.status !== 201) {
          expect(after).toBe(before);
          return;
        }
        expect(auth.kind).toBe('user');
        const session = createSessionResponseSchema.parse(answer);
        const [row] = await h.testServices.db
          .select()
          .from(voiceSessions)
          .where(eq(voiceSessions.roomName, session.room_name));
        expect(after).toBe(before + 1);
        expect(row?.userId).toBe(auth.kind === 'user' ? auth.userId.toLowerCase() : '');
        expect(row?.agentType).toBe(session.agent_type);
      }),
      RUNS,
    );
  });

  it('GET /v1/users/{user_id}/context', async () => {
    await fc.assert(
      fc.asyncProperty(
        authChoice,
        pathSegment,
        queryString({ fresh: nastyString }),
        extraHeaders,
        async (auth, segment, query, headers) => {
          const response = await send('GET /v1/users/{user_id}/context', {
            method: 'GET',
            path: `/v1/users/${segment}/context${query}`,
            auth,
            headers,
          });
          const answer = await expectContractAnswer(response, { success: [200] });
          if (response.status === 200) {
            const context = coachingContextSchema.parse(answer);
            expect(mayRead(auth, context.profile.user_id)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it('DELETE /v1/users/{user_id}/context', async () => {
    await fc.assert(
      fc.asyncProperty(authChoice, pathSegment, extraHeaders, async (auth, segment, headers) => {
        const response = await send('DELETE /v1/users/{user_id}/context', {
          method: 'DELETE',
          path: `/v1/users/${segment}/context`,
          auth,
          headers,
        });
        await expectContractAnswer(response, { success: [204] });
        if (response.status === 204) expect(auth.kind).toBe('service');
      }),
      RUNS,
    );
  });

  it('GET /v1/users/{user_id}/workout-logs', async () => {
    const since = fc.oneof(
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom(
        '2025-01-01T00:00:00Z',
        '2025-01-01T00:00:00+14:00',
        '0000-01-01T00:00:00Z',
        '9999-12-31T23:59:59Z',
        '+275760-09-13T00:00:00Z',
        '2025-02-30T00:00:00Z',
        '1969-12-31T23:59:59Z',
      ),
      nastyString,
    );
    const limit = fc.oneof(boundaryNumber.map(String), nastyString, fc.constantFrom('1e2', '0x10'));
    await fc.assert(
      fc.asyncProperty(
        authChoice,
        pathSegment,
        queryString({ since, limit }),
        async (auth, segment, query) => {
          const response = await send('GET /v1/users/{user_id}/workout-logs', {
            method: 'GET',
            path: `/v1/users/${segment}/workout-logs${query}`,
            auth,
          });
          const answer = await expectContractAnswer(response, { success: [200] });
          if (response.status === 200) {
            const { logs } = workoutLogListSchema.parse(answer);
            expect(logs.length).toBeLessThanOrEqual(500);
            for (const log of logs) expect(mayRead(auth, log.user_id)).toBe(true);
          }
        },
      ),
      RUNS,
    );
  });

  it('POST /v1/specialists/query', async () => {
    const shaped = mutateObject(
      fc.record({
        user_id: wrongOr(userIdValue),
        query: wrongOr(nastyString),
        specialist: wrongOr(fc.constantFrom(...SPECIALISTS)),
      }),
    );
    await fc.assert(
      fc.asyncProperty(authChoice, bodyFor(shaped), contentType, async (auth, body, type) => {
        const response = await send('POST /v1/specialists/query', {
          method: 'POST',
          path: '/v1/specialists/query',
          auth,
          body,
          contentType: type,
        });
        const answer = await expectContractAnswer(response, { success: [200] });
        if (response.status === 200) specialistQueryResponseSchema.parse(answer);
      }),
      RUNS,
    );
  });

  it('POST /v1/livekit/webhook', async () => {
    const { apiKey, apiSecret } = h.services.config.livekit;
    const sign = (body: RawBody) => {
      const token = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
      token.sha256 = createHash('sha256').update(body).digest('base64');
      return token.toJwt();
    };
    // The room is made per run; the generated body names it through this placeholder.
    const ROOM = '__recorded_room__';
    const event = mutateObject(
      fc.record(
        {
          event: wrongOr(fc.constantFrom('room_finished', 'room_started', 'participant_left')),
          id: wrongOr(fc.uuid()),
          createdAt: wrongOr(fc.oneof(boundaryNumber, boundaryNumber.map(String))),
          room: fc.oneof(fc.constant({ name: ROOM }), fc.record({ name: nastyString }), anyJson),
        },
        { requiredKeys: ['event'] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.constantFrom('signed', 'signed', 'unsigned', 'garbage', 'other-secret'),
        bodyFor(event),
        async (recordRoom, signing, generated) => {
          const roomName = `room-${randomUUID()}`;
          if (recordRoom) {
            await h.services.repository.recordVoiceSession({
              roomName,
              userId: DEMO_USER_ID,
              agentType: 'workout',
              startedAt: new Date('2026-11-04T09:00:00Z'),
            });
          }
          const body =
            typeof generated === 'string' ? generated.replaceAll(ROOM, roomName) : generated;
          const headers: Record<string, string> = {};
          if (signing === 'signed') headers.authorization = await sign(body);
          if (signing === 'garbage') headers.authorization = 'Bearer x.y.z';
          if (signing === 'other-secret') {
            const token = new AccessToken(apiKey, 'another-secret-long-enough-0123456789abc');
            headers.authorization = await token.toJwt();
          }
          const response = await send('POST /v1/livekit/webhook', {
            method: 'POST',
            path: '/v1/livekit/webhook',
            auth: { kind: 'none' },
            headers,
            body,
            contentType: 'application/webhook+json',
          });
          await expectContractAnswer(response, { success: [200] });
          if (signing !== 'signed') expect([401, 413]).toContain(response.status);
          if (response.status !== 200 && recordRoom) {
            const [row] = await h.testServices.db
              .select({ endedAt: voiceSessions.endedAt })
              .from(voiceSessions)
              .where(eq(voiceSessions.roomName, roomName));
            expect(row?.endedAt).toBeNull();
          }
        },
      ),
      RUNS,
    );
  });
});
