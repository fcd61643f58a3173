/** Reads a session token back the way LiveKit does: verified with the API secret, then decoded. */
import { type ClaimGrants, RoomConfiguration, TokenVerifier } from 'livekit-server-sdk';
import type { ApiConfig } from '../../workers/config.ts';

export interface VerifiedSessionToken {
  claims: ClaimGrants;
  roomConfig: RoomConfiguration;
}

export async function verifySessionToken(
  token: string,
  livekit: Pick<ApiConfig['livekit'], 'apiKey' | 'apiSecret'>,
): Promise<VerifiedSessionToken> {
  const claims = await new TokenVerifier(livekit.apiKey, livekit.apiSecret).verify(token);
  // The verifier hands back the JWT's JSON typed as the protobuf class; fromJson makes it one.
  const roomConfig = RoomConfiguration.fromJson(JSON.parse(JSON.stringify(claims.roomConfig)));
  return { claims, roomConfig };
}
