/**
 * Mints the HS256 user JWT the edge API accepts (`sub` = the user's UUID). Used by
 * `npm run token` for local calls and by the tests; production users get theirs from the
 * identity provider instead.
 */
import { SignJWT } from 'jose';

export interface UserTokenOptions {
  userId: string;
  secret: string;
  /** @defaultValue 3600 */
  ttlSeconds?: number;
  /** When the token is issued; a past instant makes an expired token. */
  issuedAt?: Date;
  issuer?: string;
  audience?: string;
}

export async function mintUserToken(options: UserTokenOptions): Promise<string> {
  const issuedAt = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.ttlSeconds ?? 3600));
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
