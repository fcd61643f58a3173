/**
 * A session minted by the edge API, joined on a real livekit-server: the room LiveKit creates
 * from the token carries the session metadata, and LiveKit itself records the explicit dispatch
 * of the coach agent with the same metadata. No agent runs here (see agent-session.test.ts).
 */
import { Room } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  type LivekitClients,
  livekitClients,
  withLivekitServer,
} from './livekit.ts';

const availability = livekitServerAvailability();
if (!availability.available)
  console.warn(`skipping LiveKit end-to-end tests: ${availability.reason}`);

describe.skipIf(!availability.available)('session token on a real livekit-server', () => {
  let server: LivekitServer;
  let test: TestServices;
  let app: ReturnType<typeof createApp>;
  let livekit: LivekitClients;
  const rooms: Room[] = [];

  beforeAll(async () => {
    if (!availability.available) return;
    [server, test] = await Promise.all([
      startLivekitServer(availability.binary),
      createTestServices(),
    ]);
    app = createApp(withLivekitServer(test.services, server));
    livekit = livekitClients(server);
  });
  afterAll(async () => {
    await Promise.all(rooms.map((room) => room.disconnect()));
    await Promise.all([server?.stop(), test?.cleanup()]);
  });

  async function join(url: string, token: string): Promise<Room> {
    const room = new Room();
    rooms.push(room);
    await room.connect(url, token, { autoSubscribe: true, dynacast: false });
    return room;
  }

  it('joins the room named in the token, which carries the session metadata', async () => {
    const session = await createSession(app, DEMO_USER_ID, 'workout');
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
    const session = await createSession(app, DEMO_USER_ID, 'diet');
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
    const first = await createSession(app, DEMO_USER_ID, 'supplement');
    const second = await createSession(app, DEMO_USER_ID, 'supplement');
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
    const session = await createSession(app, DEMO_USER_ID, 'general');
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
});
