/**
 * `POST /dev/demo-token`: a user token for the seeded demo user, so the playground page can be
 * tried on the local defaults with one click. It exists only while user tokens are verified with
 * the dev-default secret (shared/dev-defaults.ts), which is public in this repository: anyone can
 * mint such tokens already, so the route gives nothing away. With any real secret or a JWKS the
 * route is never mounted and answers 404 like any unknown path.
 */
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEMO_TOKEN_PATH, type DemoTokenResponse } from '../../shared/demo-token.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { mintUserToken } from '../../shared/user-token.ts';
import type { ApiConfig } from '../config.ts';
import { createRouter } from '../router.ts';

const DEMO_TOKEN_TTL_SECONDS = 3600;

/** True only when user tokens are checked with the dev-default secret and nothing else. */
export function usesDevAuth(auth: ApiConfig['auth']): boolean {
  return !auth.jwksUrl && auth.jwtSecret === DEV_DEFAULTS.AUTH_JWT_SECRET;
}

export const demoTokenRoutes = createRouter().post(DEMO_TOKEN_PATH, async (c) => {
  const { config, clock } = c.var.services;
  const secret = config.auth.jwtSecret;
  // Mounted only under dev auth (workers/app.ts); checked again so a wiring mistake cannot mint.
  if (!secret || !usesDevAuth(config.auth)) return c.notFound();
  const issuedAt = clock.now();
  const token = await mintUserToken({
    userId: DEMO_USER_ID,
    secret,
    issuedAt,
    ttlSeconds: DEMO_TOKEN_TTL_SECONDS,
    issuer: config.auth.issuer,
    audience: config.auth.audience,
  });
  const body: DemoTokenResponse = {
    user_token: token,
    user_id: DEMO_USER_ID,
    expires_at: new Date(issuedAt.getTime() + DEMO_TOKEN_TTL_SECONDS * 1000).toISOString(),
  };
  return c.json(body);
});
