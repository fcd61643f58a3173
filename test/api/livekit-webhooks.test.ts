/**
 * `POST /v1/livekit/webhook`, fed bodies serialised by the SDK's own WebhookEvent and signed the
 * way livekit-server signs them: an access token of the API key whose sha256 claim is the base64
 * SHA-256 of the body, valid for five minutes. The SDK's WebhookReceiver judges every request too,
 * so the route accepts exactly what LiveKit's own verifier accepts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import {
  AccessToken,
  ParticipantInfo,
  Room,
  WebhookEvent,
  type WebhookEventNames,
  WebhookReceiver,
} from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceSessions } from '../../drizzle/schema.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { errorBodySchema } from '../../shared/schemas.ts';
import { createApp } from '../../workers/app.ts';
import { AGENT_KIND } from '../../workers/livekit/room-presence.ts';
import { createTestServices, type TestServices } from '../support/services.ts';

const NOW = new Date('2025-06-02T10:00:00.000Z');
const STARTED_AT = new Date('2025-06-02T09:30:00.000Z');

let test: TestServices;
let app: ReturnType<typeof createApp>;
let credentials: { apiKey: string; apiSecret: string };

beforeAll(async () => {
  test = await createTestServices({ clock: { now: () => NOW } });
  app = createApp(test.services);
  credentials = test.services.config.livekit;
});
afterAll(() => test?.cleanup());

async function recordedRoom(): Promise<string> {
  const roomName = `room-${randomUUID()}`;
  const recorded = await test.services.repository.recordVoiceSession({
    roomName,
    userId: DEMO_USER_ID,
    agentType: 'workout',
    startedAt: STARTED_AT,
  });
  expect(recorded).toBe(true);
  return roomName;
}

async function endedAt(roomName: string): Promise<Date | null | undefined> {
  const [row] = await test.db
    .select({ endedAt: voiceSessions.endedAt })
    .from(voiceSessions)
    .where(eq(voiceSessions.roomName, roomName));
  return row?.endedAt;
}

/** A body as livekit-server writes it: proto3 JSON, int64 as a string, zero values left out. */
function eventBody(event: WebhookEventNames, roomName: string, createdAt?: Date): string {
  const message = new WebhookEvent({
    id: `EV_${randomUUID()}`,
    room: new Room({ sid: `RM_${randomUUID()}`, name: roomName, numParticipants: 0 }),
    participant:
      event === 'participant_left'
        ? new ParticipantInfo({ sid: `PA_${randomUUID()}`, identity: DEMO_USER_ID })
        : undefined,
    createdAt: createdAt ? BigInt(Math.floor(createdAt.getTime() / 1000)) : undefined,
  });
  // The SDK's subclass resets `event` after its constructor ran, so it is set afterwards.
  message.event = event;
  return message.toJsonString();
}

async function sign(
  body: string,
  options: { apiKey?: string; apiSecret?: string; ttl?: string } = {},
): Promise<string> {
  const token = new AccessToken(
    options.apiKey ?? credentials.apiKey,
    options.apiSecret ?? credentials.apiSecret,
    { ttl: options.ttl ?? '5m' },
  );
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}

async function deliver(body: string, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/webhook+json' };
  if (authorization !== undefined) headers.authorization = authorization;
  return app.request('/v1/livekit/webhook', { method: 'POST', headers, body });
}

function sdkAccepts(body: string, authorization: string | undefined): Promise<boolean> {
  return new WebhookReceiver(credentials.apiKey, credentials.apiSecret)
    .receive(body, authorization)
    .then(
      () => true,
      () => false,
    );
}

async function expectError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  const body = errorBodySchema.parse(await response.json());
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe('room_finished', () => {
  it('records the end at the event time once, however often LiveKit delivers it', async () => {
    const roomName = await recordedRoom();
    const finishedAt = new Date('2025-06-02T09:52:17.000Z');
    const body = eventBody('room_finished', roomName, finishedAt);
    const authorization = await sign(body);
    expect(await sdkAccepts(body, authorization)).toBe(true);

    const first = await deliver(body, authorization);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ event: 'room_finished', session_ended: true });
    expect(await endedAt(roomName)).toEqual(finishedAt);

    const redelivered = await deliver(body, authorization);
    expect(await redelivered.json()).toEqual({ event: 'room_finished', session_ended: false });
    const later = eventBody('room_finished', roomName, new Date('2025-06-02T09:59:00.000Z'));
    const again = await deliver(later, await sign(later));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ event: 'room_finished', session_ended: false });
    expect(await endedAt(roomName)).toEqual(finishedAt);
  });

  it('uses the clock when the event carries no time', async () => {
    const roomName = await recordedRoom();
    const body = eventBody('room_finished', roomName);
    expect(JSON.parse(body)).not.toHaveProperty('createdAt');
    const response = await deliver(body, await sign(body));
    expect(await response.json()).toEqual({ event: 'room_finished', session_ended: true });
    expect(await endedAt(roomName)).toEqual(NOW);
  });

  it('never records an end before the start, whatever LiveKit’s clock says', async () => {
    const roomName = await recordedRoom();
    const body = eventBody('room_finished', roomName, new Date(STARTED_AT.getTime() - 60_000));
    const response = await deliver(body, await sign(body));
    expect(response.status).toBe(200);
    expect(await endedAt(roomName)).toEqual(STARTED_AT);
  });

  it('acknowledges a room this API did not start, writing nothing', async () => {
    const roomName = `elsewhere-${randomUUID()}`;
    const body = eventBody('room_finished', roomName, NOW);
    const response = await deliver(body, await sign(body));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ event: 'room_finished', session_ended: false });
    expect(await endedAt(roomName)).toBeUndefined();
  });
});

describe('other events', () => {
  it.each<WebhookEventNames>(['room_started', 'participant_left', 'track_published'])(
    'acknowledges %s without ending the session',
    async (event) => {
      const roomName = await recordedRoom();
      const body = eventBody(event, roomName, NOW);
      const response = await deliver(body, await sign(body));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ event, session_ended: false });
      expect(await endedAt(roomName)).toBeNull();
    },
  );

  it('schedules the coach check when a user joins, and not when the agent does', async () => {
    const scheduled: { roomName: string; delaySeconds: number }[] = [];
    const checking = createApp({
      ...test.services,
      agentChecks: { schedule: async (check) => void scheduled.push(check) },
    });
    const roomName = await recordedRoom();
    const joined = async (kind?: number) => {
      const message = new WebhookEvent({
        id: `EV_${randomUUID()}`,
        room: new Room({ sid: `RM_${randomUUID()}`, name: roomName }),
        participant: new ParticipantInfo({ sid: `PA_${randomUUID()}`, identity: 'someone', kind }),
      });
      message.event = 'participant_joined';
      const body = message.toJsonString();
      const response = await checking.request('/v1/livekit/webhook', {
        method: 'POST',
        headers: { 'content-type': 'application/webhook+json', authorization: await sign(body) },
        body,
      });
      expect(response.status).toBe(200);
      return response.json();
    };
    expect(await joined()).toEqual({
      event: 'participant_joined',
      session_ended: false,
      agent_check_scheduled: true,
    });
    expect(await joined(AGENT_KIND)).toEqual({
      event: 'participant_joined',
      session_ended: false,
    });
    expect(scheduled).toEqual([
      { roomName, delaySeconds: test.services.config.livekit.agentJoinTimeoutSeconds },
    ]);
    expect(await endedAt(roomName)).toBeNull();
  });

  it('acknowledges an event kind this API has never heard of', async () => {
    const body = JSON.stringify({ event: 'something_new', id: 'EV_1', createdAt: '1748858400' });
    const response = await deliver(body, await sign(body));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ event: 'something_new', session_ended: false });
  });
});

describe('signature', () => {
  const forgeries: Array<[string, (body: string, roomName: string) => Promise<[string, string?]>]> =
    [
      ['no Authorization header', async (body) => [body, undefined]],
      ['an empty Authorization header', async (body) => [body, '']],
      ['a header that is not a JWT', async (body) => [body, 'not-a-jwt']],
      ['a Bearer-prefixed token', async (body) => [body, `Bearer ${await sign(body)}`]],
      [
        'a token signed with another secret',
        async (body) => [body, await sign(body, { apiSecret: 'f'.repeat(64) })],
      ],
      [
        'a token of another API key',
        async (body) => [body, await sign(body, { apiKey: 'APIsomeoneelse' })],
      ],
      ['an expired token', async (body) => [body, await sign(body, { ttl: '-1m' })]],
      [
        'a tampered body',
        async (body, roomName) => [body.replace(roomName, `${roomName}x`), await sign(body)],
      ],
      [
        'a token over another body',
        async (body, roomName) => [body, await sign(eventBody('room_finished', roomName))],
      ],
      ['a malformed body with a bad signature', async () => ['{not json', 'not-a-jwt']],
    ];

  it.each(forgeries)('refuses %s with 401 and ends nothing', async (_, forge) => {
    const roomName = await recordedRoom();
    const [body, authorization] = await forge(eventBody('room_finished', roomName, NOW), roomName);
    expect(await sdkAccepts(body, authorization)).toBe(false);
    const response = await deliver(body, authorization);
    await expectError(response, 401, 'unauthorized');
    expect(await endedAt(roomName)).toBeNull();
  });
});

describe('malformed but genuinely signed bodies', () => {
  it.each([
    ['malformed JSON', '{"event": "room_finished", '],
    ['a JSON array', '[]'],
    ['no event', '{"room": {"name": "x"}}'],
    ['a room_finished without its room', '{"event": "room_finished", "createdAt": "1748858400"}'],
    ['a room without a name', '{"event": "room_finished", "room": {"sid": "RM_1"}}'],
    ['a createdAt that is no number', '{"event": "room_started", "createdAt": "yesterday"}'],
  ])('answers 400 for %s', async (_, body) => {
    const response = await deliver(body, await sign(body));
    const message = await expectError(response, 400, 'bad_request');
    expect(message).toMatch(/^invalid body: /);
  });

  it('writes nothing for a room_finished whose time is out of range', async () => {
    const roomName = await recordedRoom();
    const body = JSON.stringify({
      event: 'room_finished',
      room: { name: roomName },
      createdAt: '999999999999999',
    });
    await expectError(await deliver(body, await sign(body)), 400, 'bad_request');
    expect(await endedAt(roomName)).toBeNull();
  });
});

describe('/openapi.json', () => {
  it('documents the webhook with its raw-body signature and responses', async () => {
    const spec = await (await app.request('/openapi.json')).json();
    const operation = spec.paths['/v1/livekit/webhook']?.post;
    expect(operation?.parameters).toEqual([
      expect.objectContaining({ in: 'header', name: 'authorization', required: true }),
    ]);
    expect(Object.keys(operation?.requestBody?.content ?? {})).toEqual([
      'application/webhook+json',
    ]);
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '401',
      '413',
      '503',
    ]);
  });
});
