/**
 * Mints the participant token a client uses to join its coaching room. The token carries a room
 * configuration, so the room is created on first join with the session metadata and with an
 * explicit dispatch of our agent: no extra call to the LiveKit API is needed at session start.
 */
import { decodeJwt } from 'jose';
import { AccessToken, RoomAgentDispatch, RoomConfiguration } from 'livekit-server-sdk';
import type { AgentType, SessionMetadata } from '../../shared/schemas.ts';
import type { ApiConfig } from '../config.ts';

/** 128 bits: room names must not be guessable, since knowing one is half of joining it. */
const ROOM_NAME_RANDOM_BYTES = 16;

export interface SessionTokenRequest {
  userId: string;
  agentType: AgentType;
  livekit: Omit<ApiConfig['livekit'], 'agentJoinTimeoutSeconds'>;
  now: Date;
  randomBytes: (length: number) => Uint8Array;
}

export interface SessionToken {
  roomName: string;
  identity: string;
  token: string;
  metadata: SessionMetadata;
  expiresAt: Date;
}

export const cryptoRandomBytes = (length: number): Uint8Array =>
  crypto.getRandomValues(new Uint8Array(length));

export function roomNameFor(agentType: AgentType, random: Uint8Array): string {
  const suffix = Array.from(random, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `coach-${agentType}-${suffix}`;
}

export async function mintSessionToken(request: SessionTokenRequest): Promise<SessionToken> {
  const { userId, agentType, livekit, now } = request;
  const roomName = roomNameFor(agentType, request.randomBytes(ROOM_NAME_RANDOM_BYTES));
  const metadata: SessionMetadata = {
    user_id: userId,
    agent_type: agentType,
    session_type: 'voice',
    created_at: now.toISOString(),
  };
  const metadataJson = JSON.stringify(metadata);

  const accessToken = new AccessToken(livekit.apiKey, livekit.apiSecret, {
    identity: userId,
    ttl: livekit.tokenTtlSeconds,
  });
  accessToken.addGrant({
    room: roomName,
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
  });
  accessToken.roomConfig = new RoomConfiguration({
    metadata: metadataJson,
    agents: [new RoomAgentDispatch({ agentName: livekit.agentName, metadata: metadataJson })],
  });
  const token = await accessToken.toJwt();

  // The SDK stamps `exp` from the system clock, so the expiry is read back from the token
  // itself: the client is told exactly when its token stops working.
  const { exp } = decodeJwt(token);
  if (exp === undefined) throw new Error('LiveKit access token was minted without an expiry');
  return { roomName, identity: userId, token, metadata, expiresAt: new Date(exp * 1000) };
}
