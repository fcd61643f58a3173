/**
 * A session minted by the edge API, joined on a real livekit-server: the room LiveKit creates
 * from the token carries the session metadata, and LiveKit itself records the explicit dispatch
 * of the coach agent with the same metadata. When the room closes, LiveKit's signed webhook
 * reaches the edge API over HTTP and ends the recorded session. No agent runs here (see
 * agent-session.test.ts).
 */
import { Room } from '@livekit/rtc-node';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { voiceSessions } from '../../drizzle/schema.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { parseSessionMetadata } from '../../shared/session-metadata.ts';
import { createApp } from '../../workers/app.ts';
import {
  type LivekitServer,
  livekitServerAvailability,
  startLivekitServer,
} from '../support/livekit-server.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import {
  createSession,
  eventually,
  type Listener,
  type LivekitClients,
  listenFor,
  livekitClients,
  withLivekitServer,
} from './livekit.ts';

type App = ReturnType<typeof createApp>;

const availability = livekitServerAvailability();
if (!availability.available)
  console.warn(`skipping LiveKit end-to-end tests: ${availability.reason}`);

describe.skipIf(!availability.available)('session token on a real livekit-server', () => {
  let server: LivekitServer;
  let test: TestServices;
  let app: App | undefined;
  let edge: Listener;
  let livekit: LivekitClients;
  const rooms: Room[] = [];

  beforeAll(async () => {
    if (!availability.available) return;
    edge = await listenFor(() => app);
    [server, test] = await Promise.all([
      startLivekitServer(availability.binary, {
        webhookUrls: [`${edge.url}/v1/livekit/webhook`],
      }),
      createTestServices(),
    ]);
    app = createApp(withLivekitServer(test.services, server));
    livekit = livekitClients(server);
  });
  afterAll(async () => {
    await Promise.all(rooms.map((room) => room.disconnect()));
    await Promise.all([server?.stop(), edge?.close()]);
    await test?.cleanup();
  });

  function served(): App {
    if (!app) throw new Error('the edge API was not created');
    return app;
  }

  async function sessionRow(roomName: string) {
    const [row] = await test.db
      .select()
      .from(voiceSessions)
      .where(eq(voiceSessions.roomName, roomName));
    if (!row) throw new Error(`no voice session was recorded for ${roomName}`);
    return row;
  }

  async function join(url: string, token: string): Promise<Room> {
    const room = new Room();
    rooms.push(room);
    await room.connect(url, token, { autoSubscribe: true, dynacast: false });
    return room;
  }

  it('joins the room named in the token, which carries the session metadata', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'workout');
    expect(session.server_url).toBe(server.url);

    const room = await join(session.server_url, session.participant_token);
    expect(room.name).toBe(session.room_name);
    expect(room.localParticipant?.identity).toBe(DEMO_USER_ID);

    const metadata = parseSessionMetadata(room.metadata ?? '');
    if (!metadata.success) throw new Error(metadata.error);
    expect(metadata.data).toMatchObject({
      user_id: DEMO_USER_ID,
      agent_type: 'workout',
      session_type: 'voice',
    });

    const [serverRoom] = await livekit.rooms.listRooms([session.room_name]);
    expect(serverRoom?.metadata).toBe(room.metadata);
    const participants = await livekit.rooms.listParticipants(session.room_name);
    expect(participants.map((p) => p.identity)).toEqual([DEMO_USER_ID]);
  });

  it('makes LiveKit dispatch the coach agent with the same metadata', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'diet');
    const room = await join(session.server_url, session.participant_token);

    const dispatches = await eventually('the agent dispatch', async () => {
      const found = await livekit.dispatches.listDispatch(session.room_name);
      return found.length > 0 ? found : undefined;
    });
    expect(dispatches).toHaveLength(1);
    const [dispatch] = dispatches;
    expect(dispatch?.agentName).toBe(test.services.config.livekit.agentName);
    expect(dispatch?.agentName).toBe('fitness-coach');
    expect(dispatch?.room).toBe(session.room_name);
    expect(dispatch?.metadata).toBe(room.metadata);

    const metadata = parseSessionMetadata(dispatch?.metadata ?? '');
    if (!metadata.success) throw new Error(metadata.error);
    expect(metadata.data.agent_type).toBe('diet');
    expect(metadata.data.user_id).toBe(DEMO_USER_ID);
  });

  it('gives every session its own room and its own dispatch', async () => {
    const first = await createSession(served(), DEMO_USER_ID, 'supplement');
    const second = await createSession(served(), DEMO_USER_ID, 'supplement');
    expect(first.room_name).not.toBe(second.room_name);
    await Promise.all([
      join(first.server_url, first.participant_token),
      join(second.server_url, second.participant_token),
    ]);

    for (const session of [first, second]) {
      const dispatches = await livekit.dispatches.listDispatch(session.room_name);
      expect(dispatches.map((d) => d.room)).toEqual([session.room_name]);
    }
  });

  it('refuses a token signed with another secret', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'general');
    const forged = createApp(
      withLivekitServer(test.services, { ...server, apiSecret: 'f'.repeat(64) }),
    );
    const forgedSession = await createSession(forged, DEMO_USER_ID, 'general');
    await expect(join(server.url, forgedSession.participant_token)).rejects.toThrow();
    expect(await livekit.rooms.listRooms([forgedSession.room_name])).toEqual([]);
    // The genuine token of the same moment still works.
    const room = await join(session.server_url, session.participant_token);
    expect(room.isConnected).toBe(true);
  });

  it('ends the recorded session when LiveKit reports the room finished', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'general');
    const room = await join(session.server_url, session.participant_token);
    expect(room.isConnected).toBe(true);
    expect((await sessionRow(session.room_name)).endedAt).toBeNull();

    // The last participant leaves; LiveKit closes the room after its departure timeout and
    // POSTs a signed room_finished to the edge API.
    await room.disconnect();
    const endedAt = await eventually(
      'the session end',
      async () => (await sessionRow(session.room_name)).endedAt ?? undefined,
      30_000,
    );
    const { startedAt } = await sessionRow(session.room_name);
    expect(endedAt.getTime()).toBeGreaterThanOrEqual(startedAt.getTime());
    expect(await livekit.rooms.listRooms([session.room_name])).toEqual([]);
  }, 45_000);

  it('ends the session of a room deleted through the server API', async () => {
    const session = await createSession(served(), DEMO_USER_ID, 'workout');
    await join(session.server_url, session.participant_token);
    await livekit.rooms.deleteRoom(session.room_name);
    const endedAt = await eventually(
      'the session end',
      async () => (await sessionRow(session.room_name)).endedAt ?? undefined,
    );
    expect(endedAt.getTime()).toBeGreaterThanOrEqual(
      (await sessionRow(session.room_name)).startedAt.getTime(),
    );
  });
});
