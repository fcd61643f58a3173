/**
 * `POST /dev/demo-token` exists only while user tokens are checked with the dev-default secret:
 * on the local defaults it signs in the seeded demo user; under any production configuration
 * (another secret, or a JWKS) the path is unknown, a 404 like any other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEMO_TOKEN_PATH, demoTokenResponseSchema } from '../../shared/demo-token.ts';
import { createApp } from '../../workers/app.ts';
import type { ApiConfig } from '../../workers/config.ts';
import { verifyUserToken } from '../../workers/middleware/auth.ts';
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

describe(`POST ${DEMO_TOKEN_PATH}`, () => {
  it("answers the demo user's token on the dev-default secret", async () => {
    const response = await createApp(test.services).request(DEMO_TOKEN_PATH, { method: 'POST' });
    expect(response.status).toBe(200);
    const body = demoTokenResponseSchema.parse(await response.json());
    expect(body.user_id).toBe(DEMO_USER_ID);
    expect(await verifyUserToken(body.user_token, test.services.config.auth)).toBe(DEMO_USER_ID);
    expect(Date.parse(body.expires_at)).toBeGreaterThan(Date.now());
  });

  it.each([
    ['another HS256 secret', { jwtSecret: 'a-production-secret-that-is-long-enough-0123' }],
    ['a JWKS', { jwksUrl: 'https://id.example.test/.well-known/jwks.json' }],
  ])('does not exist with %s (404)', async (_name, auth) => {
    const response = await appWithAuth(auth).request(DEMO_TOKEN_PATH, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('is not part of the OpenAPI document', async () => {
    const document = await (await createApp(test.services).request('/openapi.json')).text();
    expect(document).not.toContain(DEMO_TOKEN_PATH);
  });
});
