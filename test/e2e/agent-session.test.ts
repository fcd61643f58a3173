/**
 * The whole voice path on real software: the edge API mints a session, a real livekit-server
 * creates the room and dispatches the job, and the real agent server (`node agent/main.ts start`,
 * a separate process as in the container) takes it, loads the user's context over HTTP, joins,
 * and greets the user through Cartesia, whose audio the user receives over WebRTC. Only the
 * hosted providers are stand-ins (OpenAI, Deepgram, Cartesia), each speaking its real protocol.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AudioStream,
  ParticipantKind,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
} from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { createApp } from '../../workers/app.ts';
import { scrape } from '../agent/prometheus.ts';
import { type CartesiaStandin, startCartesiaStandin } from '../support/cartesia-standin.ts';
import { type DeepgramStandin, startDeepgramStandin } from '../support/deepgram-standin.ts';
import {
  type LivekitServer,
  livekitServerAvailability,
  startLivekitServer,
} from '../support/livekit-server.ts';
import { freeTcpPort } from '../support/net.ts';
import { type OpenAIStandin, startOpenAIStandin } from '../support/openai-standin.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import { type AgentProcess, type LogLine, startAgentProcess } from './agent-process.ts';
import {
  createSession,
  eventually,
  type LivekitClients,
  livekitClients,
  type ServedApp,
  serveApp,
  withLivekitServer,
} from './livekit.ts';

const availability = livekitServerAvailability();
if (!availability.available)
  console.warn(`skipping agent end-to-end tests: ${availability.reason}`);

const AGENT_NAME = 'fitness-coach';
/** The only text a job's own log lines may carry: ids, names of events, the framework's fields. */
const ID_AND_FRAMEWORK_TEXT_FIELDS = [
  'msg',
  'event',
  'component',
  'hostname',
  'job_id',
  'user_id',
  'agent_type',
  'jobID',
  'room_id',
];
/** The seeded demo user's first name, which the greeting must use. */
const DEMO_FIRST_NAME = 'Demo';

let server: LivekitServer;
let test: TestServices;
let app: ReturnType<typeof createApp>;
let api: ServedApp;
let livekit: LivekitClients;
let openai: OpenAIStandin;
let deepgram: DeepgramStandin;
let cartesia: CartesiaStandin;
let spoolDir: string;

beforeAll(async () => {
  if (!availability.available) return;
  [server, test, openai, deepgram, cartesia, spoolDir] = await Promise.all([
    startLivekitServer(availability.binary),
    createTestServices(),
    startOpenAIStandin(),
    startDeepgramStandin(),
    startCartesiaStandin(),
    mkdtemp(join(tmpdir(), 'fvc-agent-spool-')),
  ]);
  app = createApp(withLivekitServer(test.services, server));
  api = await serveApp(app, DEV_DEFAULTS.SERVICE_API_TOKEN);
  livekit = livekitClients(server);
}, 120_000);

afterAll(async () => {
  await Promise.all([
    api?.close(),
    openai?.close(),
    deepgram?.close(),
    cartesia?.close(),
    test?.cleanup(),
  ]);
  await server?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
}, 60_000);

/**
 * The production agent server (`start`, with its health server) for `agentName`, wired to this
 * file's livekit-server, edge API and provider stand-ins. Resolves once LiveKit registered it:
 * LiveKit drops a dispatch when no worker is registered yet.
 */
async function startRegisteredAgent(
  agentName: string,
  maxConcurrentJobs: number,
  env: Record<string, string> = {},
): Promise<AgentProcess> {
  const agent = startAgentProcess({
    ...env,
    LIVEKIT_URL: server.url,
    LIVEKIT_API_KEY: server.apiKey,
    LIVEKIT_API_SECRET: server.apiSecret,
    LIVEKIT_AGENT_NAME: agentName,
    API_BASE_URL: api.url,
    SERVICE_API_TOKEN: DEV_DEFAULTS.SERVICE_API_TOKEN,
    DEEPGRAM_API_KEY: deepgram.apiKey,
    DEEPGRAM_BASE_URL: deepgram.baseUrl,
    CARTESIA_API_KEY: cartesia.apiKey,
    CARTESIA_BASE_URL: cartesia.baseUrl,
    VOICE_LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-standin',
    OPENAI_BASE_URL: openai.baseUrl,
    LOG_SPOOL_DIR: spoolDir,
    AGENT_HEALTH_PORT: String(await freeTcpPort()),
    AGENT_MAX_CONCURRENT_JOBS: String(maxConcurrentJobs),
  });
  await agent.waitForLog('registered worker', (line) => line.msg === 'registered worker', 60_000);
  return agent;
}

function sessionMetadata(userId: string, agentType: string): string {
  return JSON.stringify({
    user_id: userId,
    agent_type: agentType,
    session_type: 'voice',
    created_at: new Date().toISOString(),
  });
}

const jobLog = (event: string, reason?: string) => (line: LogLine) =>
  line.event === event && (reason === undefined || line.reason === reason);

describe.skipIf(!availability.available)('the agent server on a real livekit-server', () => {
  let agent: AgentProcess;
  const rooms: Room[] = [];

  // The server reports its load as the share of its job slots in use, not the machine's CPU use,
  // so a busy test machine cannot make it report itself full and have LiveKit drop a dispatch:
  // this file runs at most four jobs at once (two sessions plus two rejected jobs), well below
  // eight slots.
  beforeAll(async () => {
    if (!availability.available) return;
    // Two warm processes are enough for this file's few jobs; eight would only load the machine.
    agent = await startRegisteredAgent(AGENT_NAME, 8, { AGENT_IDLE_PROCESSES: '2' });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(rooms.map((room) => room.disconnect()));
    await agent?.stop();
  }, 60_000);

  async function joinAsUser(url: string, token: string): Promise<Room> {
    const room = new Room();
    rooms.push(room);
    await room.connect(url, token, { autoSubscribe: true, dynacast: false });
    return room;
  }

  const agentIn = (room: Room): RemoteParticipant | undefined =>
    [...room.remoteParticipants.values()].find((p) => p.kind === ParticipantKind.AGENT);

  /** Waits for the agent; on failure says what LiveKit did with the dispatch. */
  async function agentJoins(room: Room, what: string): Promise<RemoteParticipant> {
    try {
      return await eventually(what, () => agentIn(room), 60_000);
    } catch (error) {
      const dispatchLines = server
        .output()
        .split('\n')
        .filter((line) => /job|worker|dispatch/i.test(line) && !line.includes('"RoomJoin"'));
      throw new Error(`${String(error)}; livekit-server said:\n${dispatchLines.join('\n')}`);
    }
  }

  /** The first audio track the agent publishes, once this side has subscribed to it. */
  function agentAudioTrack(room: Room): Promise<RemoteTrack> {
    return new Promise((resolve) => {
      const onTrack = (track: RemoteTrack, _pub: unknown, participant: RemoteParticipant) => {
        if (participant.kind === ParticipantKind.AGENT && track.kind === TrackKind.KIND_AUDIO) {
          room.off(RoomEvent.TrackSubscribed, onTrack);
          resolve(track);
        }
      };
      room.on(RoomEvent.TrackSubscribed, onTrack);
    });
  }

  /** Reads the track until a frame is clearly not silence (the stand-in's tone). */
  async function hearsSpeech(track: RemoteTrack): Promise<boolean> {
    const reader = new AudioStream(track, { sampleRate: 24000, numChannels: 1 }).getReader();
    try {
      for (;;) {
        const { value: frame, done } = await reader.read();
        if (done) return false;
        if (frame.data.some((sample) => Math.abs(sample) > 1000)) return true;
      }
    } finally {
      reader.releaseLock();
    }
  }

  it('takes the dispatched job, loads the context over HTTP, joins and greets the user by name', async () => {
    const session = await createSession(app, DEMO_USER_ID, 'workout');
    const room = await joinAsUser(session.server_url, session.participant_token);
    const audio = agentAudioTrack(room);
    // When each byte stream on the framework's remote-session topic arrived.
    const remoteSessionStreams: number[] = [];
    room.registerByteStreamHandler('lk.agent.session', () => {
      remoteSessionStreams.push(performance.now());
    });

    const participant = await eventually('the agent to join', () => agentIn(room), 60_000);
    expect(participant.identity).not.toBe(DEMO_USER_ID);
    expect(participant.attributes['lk.agent.name']).toBe(AGENT_NAME);

    const started = await agent.waitForLog('session_started', jobLog('session_started'));
    expect(started).toMatchObject({
      user_id: DEMO_USER_ID,
      agent_type: 'workout',
      room: session.room_name,
    });
    // One context load, with the service token, before the agent joined.
    expect(api.requests).toContainEqual({
      method: 'GET',
      path: `/v1/users/${DEMO_USER_ID}/context`,
      auth: 'service',
    });
    // The job processes were warmed in prewarm (agent/job-warm-up.ts), through the same client,
    // and their first model request was answered by the loopback server (agent/model-warm-up.ts).
    expect(agent.logs).toContainEqual(
      expect.objectContaining({ msg: 'job_process_warmed', api_live: true, model_answered: true }),
    );
    // Every job process turned the native client's log capture off before anything started it
    // (agent/native-log-capture.ts).
    const warmed = agent.logs.filter((line) => line.msg === 'job_process_warmed');
    expect(warmed.length).toBeGreaterThan(0);
    expect(warmed.map((line) => line.native_log_capture)).toEqual(warmed.map(() => 'off'));
    expect(api.requests).toContainEqual({ method: 'GET', path: '/health/live', auth: 'service' });

    expect(await hearsSpeech(await audio)).toBe(true);
    const greetingHeardAt = performance.now();
    const greeting = await eventually('the greeting to be synthesised', () =>
      cartesia.generations.find((g) => g.transcript.includes(DEMO_FIRST_NAME)),
    );
    expect(greeting.sampleRate).toBe(24000);
    // The greeting is spoken text, never markup.
    expect(greeting.transcript).not.toMatch(/[*#`]/);
    // STT is listening to the user: the plugin opened its stream with the default model, Flux,
    // asking for eager ends of turn.
    const stream = await eventually('the Deepgram stream', () => deepgram.streams.at(-1));
    expect(stream.api).toBe('v2');
    expect(stream.params.get('model')).toBe('flux-general-en');
    expect(stream.params.get('eager_eot_threshold')).toBe('0.4');

    // The framework's remote session host was closed as the session started
    // (agent/remote-session-host.ts): once the greeting was heard nothing more came on its topic,
    // though with it open the greeting's end (state changes, its conversation item) would have.
    expect(started.remote_session_host).toBe('closed');
    await eventually('the coach listening after the greeting', () =>
      participant.attributes['lk.agent.state'] === 'listening' ? true : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(remoteSessionStreams.filter((at) => at > greetingHeardAt)).toEqual([]);
  }, 120_000);

  it('ends jobs with bad metadata or no profile cleanly and keeps serving the next one', async () => {
    const badRoom = `bad-metadata-${crypto.randomUUID()}`;
    await livekit.rooms.createRoom({ name: badRoom });
    await livekit.dispatches.createDispatch(badRoom, AGENT_NAME, {
      metadata: JSON.stringify({ user_id: 'not-a-uuid', agent_type: 'yoga' }),
    });
    const rejected = await agent.waitForLog(
      'invalid metadata rejection',
      jobLog('session_rejected', 'invalid_metadata'),
    );
    expect(rejected.detail).toEqual(expect.stringContaining('session metadata is invalid'));

    const unknownUser = crypto.randomUUID();
    const noProfileRoom = `no-profile-${crypto.randomUUID()}`;
    await livekit.rooms.createRoom({ name: noProfileRoom });
    await livekit.dispatches.createDispatch(noProfileRoom, AGENT_NAME, {
      metadata: sessionMetadata(unknownUser, 'diet'),
    });
    await agent.waitForLog(
      'no profile rejection',
      (line) => jobLog('session_rejected', 'no_profile')(line) && line.user_id === unknownUser,
    );

    // Neither job joined its room, and the server is still up.
    expect(await livekit.rooms.listParticipants(badRoom)).toEqual([]);
    expect(await livekit.rooms.listParticipants(noProfileRoom)).toEqual([]);
    expect(agent.running()).toBe(true);

    const session = await createSession(app, DEMO_USER_ID, 'diet');
    const room = await joinAsUser(session.server_url, session.participant_token);
    await agentJoins(room, 'the agent to join the next session');
    const started = await agent.waitForLog(
      'the next session to start',
      (line) => jobLog('session_started')(line) && line.room === session.room_name,
    );
    expect(started.agent_type).toBe('diet');
  }, 120_000);
});

describe.skipIf(!availability.available)('the agent server capacity', () => {
  const CAPACITY_AGENT = 'fitness-coach-capacity';
  let agent: AgentProcess;

  beforeAll(async () => {
    if (!availability.available) return;
    agent = await startRegisteredAgent(CAPACITY_AGENT, 1);
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
  }, 60_000);

  it('reports itself full to LiveKit while every job slot is taken, and available again after', async () => {
    const room = `capacity-${crypto.randomUUID()}`;
    await livekit.rooms.createRoom({ name: room });
    await livekit.dispatches.createDispatch(room, CAPACITY_AGENT, {
      metadata: sessionMetadata(DEMO_USER_ID, 'workout'),
    });
    // Its one slot is taken: load 1 of threshold 1, whatever the machine's CPU does.
    const full = await agent.waitForLog(
      'the worker to report itself full',
      (line) => line.msg === 'worker is at full capacity, marking as unavailable',
    );
    expect(full).toMatchObject({ load: 1, loadThreshold: 1 });

    // The room goes away, the job ends and the slot is free again.
    await livekit.rooms.deleteRoom(room);
    const available = await agent.waitForLog(
      'the worker to report itself available',
      (line) => line.msg === 'worker is below capacity, marking as available',
    );
    expect(available).toMatchObject({ load: 0, loadThreshold: 1 });

    // The job's one summary line: durations and counts, and ids as the only text.
    const summary = await agent.waitForLog('the session summary', jobLog('session_summary'));
    expect(summary).toMatchObject({ user_id: DEMO_USER_ID, turns: 0, tool_calls: 0 });
    const textFields = Object.entries(summary).filter(([, value]) => typeof value === 'string');
    expect(textFields.map(([key]) => key).sort()).toEqual(
      expect.arrayContaining(['agent_type', 'event', 'job_id', 'user_id']),
    );
    for (const [key] of textFields) expect(ID_AND_FRAMEWORK_TEXT_FIELDS).toContain(key);
  }, 120_000);
});

describe.skipIf(!availability.available)('two agent servers of one job slot each', () => {
  const BURST_AGENT = 'fitness-coach-burst';
  const servers: { agent: AgentProcess; metricsUrl: string }[] = [];

  beforeAll(async () => {
    if (!availability.available) return;
    for (let i = 0; i < 2; i++) {
      const metricsPort = await freeTcpPort();
      const agent = await startRegisteredAgent(BURST_AGENT, 1, {
        AGENT_METRICS_PORT: String(metricsPort),
      });
      servers.push({ agent, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` });
    }
  }, 180_000);

  afterAll(async () => {
    await Promise.all(servers.map(({ agent }) => agent.stop()));
  }, 60_000);

  const sessionsOf = (agent: AgentProcess) =>
    agent.logs.filter((line) => line.event === 'session_started').length;

  it('never gives one server more than its slot in a burst: the offer beyond it is refused, counted, and taken by the other', async () => {
    // Three dispatches at once, inside one 2.5 s load period: both servers still report load 0.
    const rooms = Array.from({ length: 3 }, () => `burst-${crypto.randomUUID()}`);
    await Promise.all(
      rooms.map(async (room) => {
        await livekit.rooms.createRoom({ name: room });
        await livekit.dispatches.createDispatch(room, BURST_AGENT, {
          metadata: sessionMetadata(DEMO_USER_ID, 'workout'),
        });
      }),
    );
    for (const { agent } of servers) {
      await agent.waitForLog('a session on each server', jobLog('session_started'), 90_000);
    }
    // The third job had no free slot anywhere: refused at its offer, by at least one server.
    const refusals = await eventually(
      'the refused offer',
      async () => {
        const counts = await Promise.all(
          servers.map(
            async ({ metricsUrl }) =>
              (await scrape(metricsUrl)).value('agent_job_offers_rejected_total') ?? 0,
          ),
        );
        const total = counts.reduce((sum, count) => sum + count, 0);
        return total > 0 ? total : undefined;
      },
      30_000,
    );
    expect(refusals).toBeGreaterThanOrEqual(1);
    const refusedLine = servers
      .flatMap(({ agent }) => agent.logs)
      .find((line) => line.event === 'job_rejected');
    expect(refusedLine).toMatchObject({ reason: 'full' });

    // Each server runs exactly its one job, and only two rooms have a coach.
    expect(servers.map(({ agent }) => sessionsOf(agent))).toEqual([1, 1]);
    const withAgent = await Promise.all(
      rooms.map(async (room) =>
        (await livekit.rooms.listParticipants(room)).some((p) => p.identity.startsWith('agent-')),
      ),
    );
    expect(withAgent.filter(Boolean)).toHaveLength(2);
    for (const { metricsUrl } of servers) {
      expect((await scrape(metricsUrl)).value('agent_job_slots_in_use')).toBe(1);
    }
    await Promise.all(rooms.map((room) => livekit.rooms.deleteRoom(room)));
  }, 180_000);
});
