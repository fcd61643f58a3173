/**
 * Credentials for tests, signed the way real callers sign them: user JWTs from the same minting
 * function `npm run token` uses, and the service token, both matching the dev defaults that
 * createTestServices configures.
 */
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { mintUserToken } from '../../shared/user-token.ts';

export type AuthHeaders = { authorization: string };

export const bearer = (token: string): AuthHeaders => ({ authorization: `Bearer ${token}` });

export const serviceHeaders = (): AuthHeaders => bearer(DEV_DEFAULTS.SERVICE_API_TOKEN);

export async function userHeaders(userId: string): Promise<AuthHeaders> {
  return bearer(await mintUserToken({ userId, secret: DEV_DEFAULTS.AUTH_JWT_SECRET }));
}

/** Issued two hours ago with a one-hour lifetime. */
export async function expiredUserHeaders(userId: string): Promise<AuthHeaders> {
  return bearer(
    await mintUserToken({
      userId,
      secret: DEV_DEFAULTS.AUTH_JWT_SECRET,
      issuedAt: new Date(Date.now() - 2 * 3600_000),
      ttlSeconds: 3600,
    }),
  );
}

export async function wrongSecretUserHeaders(userId: string): Promise<AuthHeaders> {
  return bearer(
    await mintUserToken({ userId, secret: 'some-other-secret-that-is-long-enough-0123456789' }),
  );
}

/** Correctly signed, but its subject is not a user id. */
export async function wrongSubjectHeaders(subject = 'not-a-uuid'): Promise<AuthHeaders> {
  return bearer(await mintUserToken({ userId: subject, secret: DEV_DEFAULTS.AUTH_JWT_SECRET }));
}
