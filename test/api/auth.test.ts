/**
 * User and service authentication against the contract: HS256 with issuer and audience checks
 * when they are configured, tokens checked against a JWKS when AUTH_JWKS_URL is set (a real
 * HTTP JWKS endpoint and real ES256 keys), and the service token matched exactly.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { mintUserToken } from '../../shared/user-token.ts';
import { createApp } from '../../workers/app.ts';
import type { ApiConfig } from '../../workers/config.ts';
import { bearer } from '../support/auth.ts';
import { createTestServices, type TestServices } from '../support/services.ts';

let test: TestServices;

beforeAll(async () => {
  test = await createTestServices();
});
afterAll(() => test?.cleanup());

function appWithAuth(auth: Partial<ApiConfig['auth']>) {
  const { config } = test.services;
  return createApp({ ...test.services, config: { ...config, auth: { ...config.auth, ...auth } } });
}

async function contextStatus(app: ReturnType<typeof createApp>, token: string): Promise<number> {
  const response = await app.request(`/v1/users/${DEMO_USER_ID}/context`, {
    headers: bearer(token),
  });
  return response.status;
}

describe('HS256 user tokens with issuer and audience configured', () => {
  const secret = DEV_DEFAULTS.AUTH_JWT_SECRET;
  const app = () => appWithAuth({ issuer: 'https://id.example.test', audience: 'coach-api' });
  const mint = (claims: { issuer?: string; audience?: string }) =>
    mintUserToken({ userId: DEMO_USER_ID, secret, ...claims });

  it('accepts a token with the configured issuer and audience', async () => {
    const token = await mint({ issuer: 'https://id.example.test', audience: 'coach-api' });
    expect(await contextStatus(app(), token)).toBe(200);
  });

  it.each([
    ['no issuer or audience', {}],
    ['another issuer', { issuer: 'https://evil.example.test', audience: 'coach-api' }],
    ['another audience', { issuer: 'https://id.example.test', audience: 'other-api' }],
  ])('refuses a token with %s', async (_name, claims) => {
    expect(await contextStatus(app(), await mint(claims))).toBe(401);
  });
});

describe('user tokens checked against a JWKS (AUTH_JWKS_URL)', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  let strangerKey: CryptoKey;
  const kid = 'coach-test-key';

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server?.close(() => resolve())));

  const app = () => appWithAuth({ jwksUrl, jwtSecret: undefined });
  const sign = (key: CryptoKey, subject = DEMO_USER_ID) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);

  it('accepts a token signed by a key of the JWKS', async () => {
    expect(await contextStatus(app(), await sign(privateKey))).toBe(200);
  });

  it('refuses a token signed by a key that is not in the JWKS', async () => {
    expect(await contextStatus(app(), await sign(strangerKey))).toBe(401);
  });

  it('refuses an HS256 token once a JWKS is configured', async () => {
    const hs256 = await mintUserToken({
      userId: DEMO_USER_ID,
      secret: DEV_DEFAULTS.AUTH_JWT_SECRET,
    });
    expect(await contextStatus(app(), hs256)).toBe(401);
  });

  it("keeps a JWKS user to their own data (403 for another user's id)", async () => {
    const token = await sign(privateKey, '00000000-0000-4000-8000-000000000002');
    expect(await contextStatus(app(), token)).toBe(403);
  });
});

describe('user tokens checked against a JWKS that cannot be fetched', () => {
  it.each([
    ['answers 500', (res: ServerResponse) => res.writeHead(500).end('oops')],
    ['answers garbage', (res: ServerResponse) => res.writeHead(200).end('not a key set')],
  ])('answers 503, not 401, when the JWKS endpoint %s', async (_name, answer) => {
    const server = createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks-${_name.length}`;
      const { privateKey } = await generateKeyPair('ES256');
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k' })
        .setSubject(DEMO_USER_ID)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      expect(await contextStatus(appWithAuth({ jwksUrl, jwtSecret: undefined }), token)).toBe(503);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('user token claims', () => {
  const secret = new TextEncoder().encode(DEV_DEFAULTS.AUTH_JWT_SECRET);

  it('refuses a token without an expiry', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(DEMO_USER_ID)
      .setIssuedAt()
      .sign(secret);
    expect(await contextStatus(appWithAuth({}), token)).toBe(401);
  });

  it('treats an upper-case user id in sub as the same user', async () => {
    const token = await mintUserToken({
      userId: DEMO_USER_ID.toUpperCase(),
      secret: DEV_DEFAULTS.AUTH_JWT_SECRET,
    });
    expect(await contextStatus(appWithAuth({}), token)).toBe(200);
  });
});

describe('the service token', () => {
  it.each([
    ['the exact token', DEV_DEFAULTS.SERVICE_API_TOKEN, 200],
    ['a prefix of it', DEV_DEFAULTS.SERVICE_API_TOKEN.slice(0, -1), 401],
    ['it with one more character', `${DEV_DEFAULTS.SERVICE_API_TOKEN}x`, 401],
  ])('answers %s with %i', async (_name, token, status) => {
    expect(await contextStatus(appWithAuth({}), token)).toBe(status);
  });
});
