import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGENT_TYPES, type SessionMetadata } from '../../shared/schemas.ts';
import { parseSessionMetadata } from '../../shared/session-metadata.ts';
import { cryptoRandomBytes, mintSessionToken } from '../../workers/livekit/session-token.ts';
import { verifySessionToken } from './livekit-claims.ts';

const livekit = {
  url: 'ws://127.0.0.1:7880',
  apiKey: 'devkey',
  apiSecret: 'secret-that-is-only-used-in-this-test',
  agentName: 'fitness-coach',
  tokenTtlSeconds: 900,
};

function parsed(json: string | undefined): SessionMetadata {
  const result = parseSessionMetadata(json ?? '');
  if (!result.success) throw new Error(result.error);
  return result.data;
}

describe('session metadata round trip', () => {
  it('Feature: livekit-voice-agent, Property 10: Room metadata extraction', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uuid(),
        fc.constantFrom(...AGENT_TYPES),
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        }),
        async (userId, agentType, now) => {
          const session = await mintSessionToken({
            userId,
            agentType,
            livekit,
            now,
            randomBytes: cryptoRandomBytes,
          });
          const { claims, roomConfig } = await verifySessionToken(session.token, livekit);
          const expected: SessionMetadata = {
            user_id: userId,
            agent_type: agentType,
            session_type: 'voice',
            created_at: now.toISOString(),
          };
          expect(roomConfig.agents).toHaveLength(1);
          expect(parsed(roomConfig.metadata)).toEqual(expected);
          expect(parsed(roomConfig.agents[0]?.metadata)).toEqual(expected);
          expect(claims.sub).toBe(userId);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('parseSessionMetadata', () => {
  const valid: SessionMetadata = {
    user_id: '00000000-0000-4000-8000-000000000001',
    agent_type: 'diet',
    session_type: 'voice',
    created_at: '2025-06-02T10:00:00.000Z',
  };

  it('accepts the metadata the API writes', () => {
    expect(parseSessionMetadata(JSON.stringify(valid))).toEqual({ success: true, data: valid });
  });

  it('drops a field it does not know, so a newer API never breaks an older agent', () => {
    const json = JSON.stringify({ ...valid, extra: 1 });
    expect(parseSessionMetadata(json)).toEqual({ success: true, data: valid });
  });

  it.each([
    ['not JSON', '{user_id:', /not valid JSON/],
    ['an empty string', '', /not valid JSON/],
    ['a JSON array', '[]', /invalid/],
    ['an unknown agent type', JSON.stringify({ ...valid, agent_type: 'yoga' }), /agent_type/],
    ['a user id that is no UUID', JSON.stringify({ ...valid, user_id: 'bob' }), /user_id/],
    ['a missing created_at', JSON.stringify({ ...valid, created_at: undefined }), /created_at/],
  ])('rejects %s with a clear error', (_name, json, message) => {
    const result = parseSessionMetadata(json);
    expect(result.success).toBe(false);
    if (!result.success) expect(result.error).toMatch(message);
  });
});
