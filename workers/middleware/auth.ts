/**
 * Who is calling. A user presents a JWT whose `sub` is their UUID (HS256 with AUTH_JWT_SECRET, or
 * checked against AUTH_JWKS_URL); a service presents SERVICE_API_TOKEN, compared in constant time.
 */
import { createMiddleware } from 'hono/factory';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { userIdSchema } from '../../shared/schemas.ts';
import type { AppEnv, Principal } from '../app-env.ts';
import type { ApiConfig } from '../config.ts';
import { forbidden, unauthorized, unavailable } from '../errors.ts';

type Kind = Principal['kind'];

const encoder = new TextEncoder();

/** Constant-time comparison that does not leak the length of the secret through early exits. */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let difference = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  }
  return difference === 0;
}

const jwksByUrl = new Map<string, JWTVerifyGetKey>();

function userKey(auth: ApiConfig['auth']): Uint8Array | JWTVerifyGetKey {
  if (auth.jwksUrl) {
    let jwks = jwksByUrl.get(auth.jwksUrl);
    if (!jwks) {
      jwks = createRemoteJWKSet(new URL(auth.jwksUrl));
      jwksByUrl.set(auth.jwksUrl, jwks);
    }
    return jwks;
  }
  return encoder.encode(auth.jwtSecret);
}

export async function verifyUserToken(token: string, auth: ApiConfig['auth']): Promise<string> {
  const key = userKey(auth);
  const options = {
    issuer: auth.issuer,
    audience: auth.audience,
    algorithms: auth.jwksUrl ? undefined : ['HS256'],
    // A token without an expiry would be good forever once leaked.
    requiredClaims: ['exp', 'sub'],
  };
  let subject: string | undefined;
  try {
    const { payload } =
      key instanceof Uint8Array
        ? await jwtVerify(token, key, options)
        : await jwtVerify(token, key, options);
    subject = payload.sub;
  } catch (error) {
    throw isKeySetUnreachable(error)
      ? unavailable('the identity provider cannot be reached to check the token; please retry')
      : unauthorized('the bearer token is invalid or expired');
  }
  const parsed = userIdSchema.safeParse(subject);
  if (!parsed.success) throw unauthorized('the bearer token has no user id (sub) that is a UUID');
  return parsed.data;
}

/**
 * The JWKS could not be fetched (timeout, network, an error status, a broken document): that says
 * nothing about the token, so the caller must not be told to sign in again. jose reports those
 * as a timeout, an invalid key set, a plain JOSEError (its generic code) or no JOSEError at all;
 * every verdict on the token itself is one of its specific errors.
 */
function isKeySetUnreachable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return true;
  return !(error instanceof errors.JOSEError) || error.code === errors.JOSEError.code;
}

/** Accepts the listed kinds of caller and stores the principal for the handler. */
export function requireAuth(...kinds: Kind[]) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized('send Authorization: Bearer <token>');
    const token = match[1];
    const { auth } = c.var.services.config;
    let principal: Principal;
    if (timingSafeEqualStrings(token, auth.serviceToken)) {
      principal = { kind: 'service' };
    } else {
      principal = { kind: 'user', userId: await verifyUserToken(token, auth) };
    }
    if (!kinds.includes(principal.kind)) {
      throw forbidden(
        principal.kind === 'user'
          ? 'this route is for services only'
          : 'this route is for users only',
      );
    }
    c.set('principal', principal);
    await next();
  });
}

/** A user reaches only their own data; a service may act for anyone. */
export function assertCanAccess(principal: Principal, userId: string): void {
  if (principal.kind === 'user' && principal.userId !== userId) throw forbidden();
}
