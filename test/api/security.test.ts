/**
 * Attacks on the edge API's authentication, each against the real app on real PostgreSQL:
 * forged and malformed user JWTs (all 401), one user reaching for another's data (403), the
 * service token offered where it must not be accepted, and a burst of session requests against
 * the per-user rate limit.
 */
import { createHash, createHmac, generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { exportJWK, importPKCS8, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceSessions } from '../../drizzle/schema.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { createSessionResponseSchema, errorBodySchema } from '../../shared/schemas.ts';
import { mintUserToken } from '../../shared/user-token.ts';
import { createMemoryRateLimiter } from '../../workers/adapters/rate-limit/memory.ts';
import { createApp } from '../../workers/app.ts';
import type { ApiConfig } from '../../workers/config.ts';
import { timingSafeEqualStrings } from '../../workers/middleware/auth.ts';
import { systemClock } from '../../workers/ports.ts';
import { bearer, serviceHeaders, userHeaders } from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import { verifySessionToken } from './livekit-claims.ts';
import { seedUser } from './seed-users.ts';

let test: TestServices;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  test = await createTestServices();
  app = createApp(test.services);
});
afterAll(() => test?.cleanup());

const OTHER_USER_ID = seedUser('not the demo user', (s) => s.user.id !== DEMO_USER_ID).user.id;
const secret = new TextEncoder().encode(DEV_DEFAULTS.AUTH_JWT_SECRET);
const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT signed by hand, so the header can say anything (alg none, HS256 over a public key). */
function handSigned(header: object, claims: object, key: string | Buffer | null): string {
  const signingInput = `${b64url(header)}.${b64url(claims)}`;
  const signature =
    key === null ? '' : createHmac('sha256', key).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

async function expectRefused(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(errorBodySchema.parse(await response.json()).error.code).toBe(code);
}

const contextOf = (userId: string, headers: Record<string, string>, on = app) =>
  on.request(`/v1/users/${userId}/context`, { headers });

describe('user JWTs that must be refused with 401', () => {
  const valid = { sub: DEMO_USER_ID, iat: now(), exp: now() + 3600 };
  const signHs = (claims: Record<string, unknown>) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
    return jwt.sign(secret);
  };

  const cases: [string, () => Promise<string> | string][] = [
    ['alg none, unsigned', () => handSigned({ alg: 'none', typ: 'JWT' }, valid, null)],
    ['alg None in other case', () => handSigned({ alg: 'None' }, valid, null)],
    [
      'alg none with the real signature kept',
      async () => {
        const [, payload, signature] = (await signHs(valid)).split('.');
        return `${b64url({ alg: 'none' })}.${payload}.${signature}`;
      },
    ],
    [
      'HS512 with the right secret (only HS256 is allowed)',
      () => new SignJWT(valid).setProtectedHeader({ alg: 'HS512' }).sign(secret),
    ],
    [
      'RS256 signed with some private key',
      async () => {
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const key = await importPKCS8(
          privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
          'RS256',
        );
        return new SignJWT(valid).setProtectedHeader({ alg: 'RS256' }).sign(key);
      },
    ],
    [
      'a wrong signature',
      async () => {
        const [header, payload] = (await signHs(valid)).split('.');
        return `${header}.${payload}.${createHmac('sha256', 'wrong').update('x').digest('base64url')}`;
      },
    ],
    [
      'a payload changed after signing',
      async () => {
        const [header, , signature] = (await signHs(valid)).split('.');
        return `${header}.${b64url({ ...valid, sub: OTHER_USER_ID })}.${signature}`;
      },
    ],
    ['an expired token', () => signHs({ ...valid, iat: now() - 7200, exp: now() - 3600 })],
    ['a token not yet valid (nbf in an hour)', () => signHs({ ...valid, nbf: now() + 3600 })],
    ['no sub', () => signHs({ iat: now(), exp: now() + 3600 })],
    ['a sub that is not a UUID', () => signHs({ ...valid, sub: 'admin' })],
    ['a sub that is a number', () => signHs({ ...valid, sub: 1 })],
    ['a sub that is SQL', () => signHs({ ...valid, sub: "' OR '1'='1" })],
    ['no exp', () => signHs({ sub: DEMO_USER_ID, iat: now() })],
    ['a truncated token', async () => (await signHs(valid)).slice(0, -5)],
    ['two tokens glued', async () => `${await signHs(valid)}.${await signHs(valid)}`],
  ];

  it.each(cases)('refuses %s', async (_name, make) => {
    await expectRefused(await contextOf(DEMO_USER_ID, bearer(await make())), 401, 'unauthorized');
  });

  describe('with issuer and audience configured', () => {
    const appWith = () => {
      const { config } = test.services;
      const auth: ApiConfig['auth'] = {
        ...config.auth,
        issuer: 'https://id.test',
        audience: 'coach',
      };
      return createApp({ ...test.services, config: { ...config, auth } });
    };
    it.each([
      ['the wrong issuer', { issuer: 'https://evil.test', audience: 'coach' }],
      ['the wrong audience', { issuer: 'https://id.test', audience: 'another-api' }],
      ['no issuer or audience', {}],
    ])('refuses %s', async (_name, claims) => {
      const token = await mintUserToken({
        userId: DEMO_USER_ID,
        secret: DEV_DEFAULTS.AUTH_JWT_SECRET,
        ...claims,
      });
      await expectRefused(
        await contextOf(DEMO_USER_ID, bearer(token), appWith()),
        401,
        'unauthorized',
      );
    });
    it('accepts the right issuer and audience', async () => {
      const token = await mintUserToken({
        userId: DEMO_USER_ID,
        secret: DEV_DEFAULTS.AUTH_JWT_SECRET,
        issuer: 'https://id.test',
        audience: 'coach',
      });
      expect((await contextOf(DEMO_USER_ID, bearer(token), appWith())).status).toBe(200);
    });
  });
});

describe('HS/RS confusion with a JWKS configured', () => {
  let server: Server;
  let jwksUrl: string;
  let publicPem: string;
  let publicJwkText: string;
  let privatePem: string;

  beforeAll(async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    publicJwkText = JSON.stringify(jwk);
    server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server?.close(() => resolve())));

  const jwksApp = () => {
    const { config } = test.services;
    return createApp({
      ...test.services,
      config: { ...config, auth: { ...config.auth, jwksUrl, jwtSecret: undefined } },
    });
  };
  const claims = () => ({ sub: DEMO_USER_ID, iat: now(), exp: now() + 3600 });

  it('accepts an RS256 token from the key set', async () => {
    const key = await importPKCS8(privatePem, 'RS256');
    const token = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .sign(key);
    expect((await contextOf(DEMO_USER_ID, bearer(token), jwksApp())).status).toBe(200);
  });

  it.each([
    ['the PEM public key', () => publicPem],
    ['the JWK text', () => publicJwkText],
  ])('refuses an HS256 token whose HMAC secret is %s', async (_name, keyText) => {
    const token = handSigned({ alg: 'HS256', kid: 'k1' }, claims(), keyText());
    await expectRefused(
      await contextOf(DEMO_USER_ID, bearer(token), jwksApp()),
      401,
      'unauthorized',
    );
  });

  it('refuses alg none against the key set', async () => {
    const token = handSigned({ alg: 'none', kid: 'k1' }, claims(), null);
    await expectRefused(
      await contextOf(DEMO_USER_ID, bearer(token), jwksApp()),
      401,
      'unauthorized',
    );
  });
});

describe("one user's token never reaches another user", () => {
  it.each([
    ['reads their context', (h: Record<string, string>) => contextOf(OTHER_USER_ID, h)],
    [
      'reads their logged sets',
      (h: Record<string, string>) =>
        app.request(`/v1/users/${OTHER_USER_ID}/workout-logs`, { headers: h }),
    ],
    [
      'asks a specialist as them',
      (h: Record<string, string>) =>
        app.request('/v1/specialists/query', {
          method: 'POST',
          headers: { ...h, 'content-type': 'application/json' },
          body: JSON.stringify({ user_id: OTHER_USER_ID, query: 'What do I train today?' }),
        }),
    ],
    [
      'logs sets for them',
      (h: Record<string, string>) =>
        app.request('/v1/logs', {
          method: 'POST',
          headers: { ...h, 'content-type': 'application/json' },
          body: JSON.stringify({
            entries: [
              {
                log_id: crypto.randomUUID(),
                user_id: OTHER_USER_ID,
                exercise: 'Squat',
                reps: 5,
                weight_kg: 100,
                logged_at: new Date().toISOString(),
              },
            ],
          }),
        }),
    ],
    [
      'drops their cached context',
      (h: Record<string, string>) =>
        app.request(`/v1/users/${OTHER_USER_ID}/context`, { method: 'DELETE', headers: h }),
    ],
  ])('403 when a user %s', async (_name, attempt) => {
    await expectRefused(await attempt(await userHeaders(DEMO_USER_ID)), 403, 'forbidden');
  });

  it('mints a session only for the caller, whatever the body claims', async () => {
    const headers = { ...(await userHeaders(DEMO_USER_ID)), 'content-type': 'application/json' };
    const forged = await app.request('/v1/sessions', {
      method: 'POST',
      headers,
      body: JSON.stringify({ agent_type: 'workout', user_id: OTHER_USER_ID }),
    });
    await expectRefused(forged, 400, 'bad_request');

    const response = await app.request('/v1/sessions', {
      method: 'POST',
      headers,
      body: JSON.stringify({ agent_type: 'workout' }),
    });
    const session = createSessionResponseSchema.parse(await response.json());
    const { claims } = await verifySessionToken(
      session.participant_token,
      test.services.config.livekit,
    );
    expect(claims.sub).toBe(DEMO_USER_ID);
    const [row] = await test.db
      .select()
      .from(voiceSessions)
      .where(eq(voiceSessions.roomName, session.room_name));
    expect(row?.userId).toBe(DEMO_USER_ID);
  });

  it('lets a service act for any user', async () => {
    expect((await contextOf(OTHER_USER_ID, serviceHeaders())).status).toBe(200);
  });
});

describe('the service token', () => {
  const token = DEV_DEFAULTS.SERVICE_API_TOKEN;

  it.each([
    `token=${token}`,
    `access_token=${token}`,
    `api_key=${token}`,
    `authorization=${encodeURIComponent(`Bearer ${token}`)}`,
  ])('is never accepted from the query string (?%s)', async (query) => {
    const response = await app.request(`/v1/users/${DEMO_USER_ID}/context?${query}`);
    await expectRefused(response, 401, 'unauthorized');
  });

  it.each([
    ['a cookie', { cookie: `token=${token}` }],
    ['x-api-key', { 'x-api-key': token }],
    ['Basic auth', { authorization: `Basic ${token}` }],
    ['no scheme', { authorization: token }],
  ])('is never accepted from %s', async (_name, headers) => {
    await expectRefused(await contextOf(DEMO_USER_ID, headers), 401, 'unauthorized');
  });

  it('is compared over its whole length, whatever byte differs', () => {
    // No early exit: equal only when every byte and the length match. (Timing itself is not
    // asserted in tests; the comparison has no data-dependent branch to measure.)
    const flip = (at: number) =>
      token.slice(0, at) + String.fromCharCode(token.charCodeAt(at) ^ 1) + token.slice(at + 1);
    expect(timingSafeEqualStrings(token, token)).toBe(true);
    for (const at of [0, Math.floor(token.length / 2), token.length - 1]) {
      expect(timingSafeEqualStrings(flip(at), token)).toBe(false);
    }
    expect(timingSafeEqualStrings('', token)).toBe(false);
    expect(timingSafeEqualStrings(`${token}\u0000`, token)).toBe(false);
  });

  it('never appears in an answer, not even hashed', async () => {
    const response = await contextOf(DEMO_USER_ID, { authorization: `Bearer ${token}x` });
    const text = await response.text();
    expect(text).not.toContain(token);
    expect(text).not.toContain(createHash('sha256').update(token).digest('hex'));
  });
});

describe('the session-minting rate limit under a burst', () => {
  it('lets exactly the limit through per user, and other users are not affected', async () => {
    const limit = 5;
    const limited = createApp({
      ...test.services,
      sessionRateLimiter: createMemoryRateLimiter({ limit, periodSeconds: 60, clock: systemClock }),
    });
    const start = async (userId: string) =>
      limited.request('/v1/sessions', {
        method: 'POST',
        headers: { ...(await userHeaders(userId)), 'content-type': 'application/json' },
        body: JSON.stringify({ agent_type: 'diet' }),
      });
    const burst = await Promise.all(Array.from({ length: 40 }, () => start(DEMO_USER_ID)));
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40 - limit);
    const sessions = await test.db
      .select()
      .from(voiceSessions)
      .where(eq(voiceSessions.agentType, 'diet'));
    expect(sessions.filter((s) => s.userId === DEMO_USER_ID)).toHaveLength(limit);

    const others = await Promise.all(Array.from({ length: limit }, () => start(OTHER_USER_ID)));
    expect(others.map((r) => r.status)).toEqual(Array(limit).fill(201));
    expect((await start(OTHER_USER_ID)).status).toBe(429);
  });
});
