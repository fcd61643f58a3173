/**
 * No one waits in silence: a user joins a room minted by the edge API on a real livekit-server
 * and no coach comes (no agent server runs here, as when every one is full). LiveKit's signed
 * participant_joined webhook reaches the API, which schedules the check through QStash (the
 * stand-in, which holds the message for its Upstash-Delay and signs the callback as QStash does);
 * the check asks LiveKit's RoomService who is in the room, tells the user on the data topic
 * `fvc.coach_unavailable` and writes an `agent_missing` data point. A room with an agent in it, and
 * a user who left, are left alone.
 */
import { Room, RoomEvent } from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { createMemorySink, type MemorySink } from '../../workers/analytics/sink.ts';
import { createApp } from '../../workers/app.ts';
import { loadApiConfig } from '../../workers/config.ts';
import {
  AGENT_MISSING,
  COACH_UNAVAILABLE_TOPIC,
  coachUnavailableMessage,
} from '../../workers/livekit/agent-check.ts';
import {
  type LivekitServer,
  livekitServerAvailability,
  startLivekitServer,
} from '../support/livekit-server.ts';
import { type QStashStandin, qstashEnv, startQStashStandin } from '../support/qstash-standin.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import {
  createSession,
  eventually,
  type Listener,
  listenFor,
  withLivekitServer,
} from './livekit.ts';

type App = ReturnType<typeof createApp>;

const JOIN_TIMEOUT_SECONDS = 2;
const CHECK_PATH = '/v1/livekit/agent-check';

const availability = livekitServerAvailability();
if (!availability.available) console.warn(`skipping agent join check: ${availability.reason}`);

describe.skipIf(!availability.available)('a room no coach joins', () => {
  let server: LivekitServer;
  let qstash: QStashStandin;
  let test: TestServices;
  let app: App | undefined;
  let analytics: MemorySink;
  let listener: Listener;
  const rooms: Room[] = [];

  beforeAll(async () => {
    if (!availability.available) return;
    // LiveKit and QStash need the API's URL before the API exists.
    listener = await listenFor(() => app);
    const apiUrl = listener.url;
    [server, qstash] = await Promise.all([
      startLivekitServer(availability.binary, { webhookUrls: [`${apiUrl}/v1/livekit/webhook`] }),
      startQStashStandin(),
    ]);
    analytics = createMemorySink();
    test = await createTestServices({
      config: loadApiConfig(
        withDevDefaults({
          ...qstashEnv(qstash),
          PUBLIC_BASE_URL: apiUrl,
          AGENT_JOIN_TIMEOUT_SECONDS: String(JOIN_TIMEOUT_SECONDS),
        }),
      ),
      analytics,
    });
    app = createApp(withLivekitServer(test.services, server));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(rooms.map((room) => room.disconnect()));
    await qstash?.close();
    await server?.stop();
    await listener?.close();
    await test?.cleanup();
  }, 60_000);

  function served(): App {
    if (!app) throw new Error('the edge API was not created');
    return app;
  }

  async function join(url: string, token: string): Promise<Room> {
    const room = new Room();
    rooms.push(room);
    await room.connect(url, token, { autoSubscribe: true, dynacast: false });
    return room;
  }

  /** Joins `roomName` as an agent would (a token of kind agent), with no job behind it. */
  async function joinAsAgent(roomName: string): Promise<Room> {
    const token = new AccessToken(server.apiKey, server.apiSecret, { identity: 'agent-stand-in' });
    token.kind = 'agent';
    token.addGrant({ room: roomName, roomJoin: true, canPublish: true, canSubscribe: true });
    return join(server.url, await token.toJwt());
  }

  /** The check QStash delivered for this room, once it has been answered. */
  function checkDelivered(roomName: string) {
    return eventually(
      `the agent check of ${roomName}`,
      () =>
        qstash.deliveries.find(
          (d) => new URL(d.url).pathname === CHECK_PATH && d.body.includes(roomName),
        ),
      JOIN_TIMEOUT_SECONDS * 1000 + 15_000,
    );
  }

  const missingPoints = () => analytics.points.filter((p) => p.blobs?.[0] === AGENT_MISSING);

  it('tells the waiting user that no coach is free, and counts it', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'workout');
    // The app is told how long to wait for the coach before it says so itself.
    expect(session.agent_join_timeout_ms).toBe(JOIN_TIMEOUT_SECONDS * 1000);
    const room = await join(session.server_url, session.participant_token);
    const received = new Promise<{ topic: string | undefined; payload: Uint8Array }>((resolve) =>
      room.on(RoomEvent.DataReceived, (payload, _participant, _kind, topic) =>
        resolve({ topic, payload }),
      ),
    );
    const pointsBefore = missingPoints().length;

    const message = await received;
    expect(message.topic).toBe(COACH_UNAVAILABLE_TOPIC);
    expect(JSON.parse(new TextDecoder().decode(message.payload))).toEqual({
      reason: 'no_agent',
      waited_seconds: JOIN_TIMEOUT_SECONDS,
    });
    expect(message.payload).toEqual(coachUnavailableMessage(JOIN_TIMEOUT_SECONDS));
    expect((await checkDelivered(session.room_name)).status).toBe(200);
    expect(missingPoints().slice(pointsBefore)).toEqual([
      {
        indexes: [AGENT_MISSING],
        blobs: [AGENT_MISSING],
        doubles: [JOIN_TIMEOUT_SECONDS * 1000],
      },
    ]);
  }, 60_000);

  it('leaves a room with a coach in it alone', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'diet');
    const room = await join(session.server_url, session.participant_token);
    await joinAsAgent(session.room_name);
    const messages: string[] = [];
    room.on(RoomEvent.DataReceived, (_payload, _participant, _kind, topic) =>
      messages.push(topic ?? ''),
    );
    const pointsBefore = missingPoints().length;
    expect((await checkDelivered(session.room_name)).status).toBe(200);
    // The agent's own participant_joined scheduled nothing: one check for the room.
    await qstash.waitForIdle();
    const checks = qstash.deliveries.filter((d) => d.body.includes(session.room_name));
    expect(checks).toHaveLength(1);
    expect(messages).toEqual([]);
    expect(missingPoints().length).toBe(pointsBefore);
  }, 60_000);

  it('counts nothing when the user left before the check', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'general');
    const room = await join(session.server_url, session.participant_token);
    const pointsBefore = missingPoints().length;
    await room.disconnect();
    expect((await checkDelivered(session.room_name)).status).toBe(200);
    expect(missingPoints().length).toBe(pointsBefore);
  }, 60_000);

  it('refuses a check that QStash did not sign', async () => {
    const response = await served().request(CHECK_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'upstash-signature': 'forged' },
      body: JSON.stringify({ room_name: 'any-room' }),
    });
    expect(response.status).toBe(401);
  });
});
