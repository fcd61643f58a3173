/**
 * The agent's Prometheus endpoint on the real thing: `node agent/main.ts start` (the main process
 * and the job processes the framework forks) on a real livekit-server, with the edge API on
 * PostgreSQL behind a TCP proxy that the test cuts to make the API unreachable. A user joins a
 * room and types to the coach (LiveKit's `lk.chat` text input; the reply is still synthesised and
 * played), the coach logs a set, and the endpoint is scraped and parsed as Prometheus would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Room } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALL_CAUSES } from '../../agent/metrics/loop-stall-cause.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { createApp } from '../../workers/app.ts';
import { type Exposition, scrape } from '../agent/prometheus.ts';
import { startTcpProxy, type TcpProxy } from '../logs/tcp-proxy.ts';
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
if (!availability.available) console.warn(`skipping agent metrics tests: ${availability.reason}`);

// The name the edge API's session tokens dispatch (this file has its own livekit-server).
const AGENT_NAME = 'fitness-coach';
const TOOL = 'agent_tool_call_duration_seconds';
const LOGGED_SET = { tool: 'log_workout_set', outcome: 'ok' };
const APOLOGIES = 'agent_replies_apologised_total';

let server: LivekitServer;
let test: TestServices;
let app: ReturnType<typeof createApp>;
let api: ServedApp;
let apiProxy: TcpProxy;
let livekit: LivekitClients;
let openai: OpenAIStandin;
let deepgram: DeepgramStandin;
let cartesia: CartesiaStandin;
let spoolDir: string;
let agent: AgentProcess;
let metricsUrl: string;

beforeAll(async () => {
  if (!availability.available) return;
  [server, test, openai, deepgram, cartesia, spoolDir] = await Promise.all([
    startLivekitServer(availability.binary),
    createTestServices(),
    startOpenAIStandin(),
    startDeepgramStandin(),
    startCartesiaStandin(),
    mkdtemp(join(tmpdir(), 'fvc-metrics-spool-')),
  ]);
  app = createApp(withLivekitServer(test.services, server));
  api = await serveApp(app, DEV_DEFAULTS.SERVICE_API_TOKEN);
  apiProxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(api.url).port) });
  livekit = livekitClients(server);
  const metricsPort = await freeTcpPort();
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  agent = startAgentProcess({
    LIVEKIT_URL: server.url,
    LIVEKIT_API_KEY: server.apiKey,
    LIVEKIT_API_SECRET: server.apiSecret,
    LIVEKIT_AGENT_NAME: AGENT_NAME,
    API_BASE_URL: `http://127.0.0.1:${apiProxy.port}`,
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
    AGENT_METRICS_PORT: String(metricsPort),
    AGENT_MAX_CONCURRENT_JOBS: '4',
    // The framework's loop monitor reports stalls from 20 ms instead of 100 ms, so a session
    // surely has some for the agent to explain and count.
    LIVEKIT_AGENTS_LOOP_BLOCK_WARN_MS: '20',
  });
  await agent.waitForLog('registered worker', (line) => line.msg === 'registered worker', 60_000);
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await Promise.all([
    api?.close(),
    apiProxy?.stop(),
    openai?.close(),
    deepgram?.close(),
    cartesia?.close(),
    test?.cleanup(),
  ]);
  await server?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
}, 60_000);

/** Scrapes until `read` gives a value: job processes push every 5 s. */
function scraped<T>(what: string, read: (metrics: Exposition) => T | undefined): Promise<T> {
  // Generous: on a loaded machine a job process takes a while to start and to push.
  return eventually(what, async () => read(await scrape(metricsUrl)), 90_000);
}

const jobLog = (event: string) => (line: LogLine) => line.event === event;

describe.skipIf(!availability.available)('the agent server metrics endpoint', () => {
  it('counts a session, its tool call and its spooled set once, and keeps the counts after the job process exits', async () => {
    // Before any job: every slot is free.
    const idle = await scrape(metricsUrl);
    expect(idle.value('agent_job_slots')).toBe(4);
    expect(idle.value('agent_job_slots_free')).toBe(4);
    expect(idle.value('agent_active_sessions') ?? 0).toBe(0);

    const session = await createSession(app, DEMO_USER_ID, 'workout');
    const room = new Room();
    await room.connect(session.server_url, session.participant_token, {
      autoSubscribe: true,
      dynacast: false,
    });
    let greetingSeconds: number | undefined;
    try {
      await agent.waitForLog('session_started', jobLog('session_started'), 60_000);
      const during = await scraped('the session counted', (m) =>
        m.value('agent_active_sessions') === 1 && m.value('agent_job_slots_in_use') === 1
          ? m
          : undefined,
      );
      expect(during.value('agent_job_slots_free')).toBe(3);
      expect(during.value('agent_job_processes_reporting')).toBeGreaterThanOrEqual(1);

      // The API goes down, and the user logs a set: confirmed at once, waiting in the spool.
      await apiProxy.stop();
      // The tool says the confirmation itself: one reply, the call.
      openai.enqueue({
        toolCalls: [
          {
            name: 'log_workout_set',
            arguments: '{"exercise":"back squat","reps":10,"weight":60,"unit":"kg"}',
          },
        ],
      });
      await room.localParticipant?.sendText('log ten back squats at sixty kilos', {
        topic: 'lk.chat',
      });
      const down = await scraped('the set waiting in the spool', (m) =>
        m.value('agent_log_spool_waiting_sets') === 1 &&
        (m.value('agent_log_spool_sets_retried_total') ?? 0) >= 1
          ? m
          : undefined,
      );
      expect(down.histogram(TOOL, LOGGED_SET)?.count).toBe(1);
      expect(down.value('agent_log_spool_oldest_waiting_age_seconds')).toBeGreaterThan(0);
      expect(down.value('agent_log_spool_sets_sent_total')).toBe(0);

      // The API is back: the spool empties and the set counts as sent, once.
      await apiProxy.start();
      const up = await scraped('the spool drained', (m) =>
        m.value('agent_log_spool_waiting_sets') === 0 &&
        m.value('agent_log_spool_sets_sent_total') === 1
          ? m
          : undefined,
      );
      expect(up.value('agent_log_spool_oldest_waiting_age_seconds')).toBe(0);
      expect(up.value('agent_log_spool_sets_dead_lettered_total')).toBe(0);
      // The reply was generated and synthesised: the framework's metrics events reached the
      // latency histograms (the greeting is synthesised too, so TTS has at least two).
      const ttft = up.histogram('agent_voice_llm_ttft_seconds');
      expect(ttft?.count).toBeGreaterThanOrEqual(1);
      expect(ttft?.sum).toBeGreaterThan(0);
      expect(up.histogram('agent_voice_tts_ttfb_seconds')?.count).toBeGreaterThanOrEqual(1);
      // The greeting's first audio went to the room once, within the test's time.
      const greeting = up.histogram('agent_greeting_latency_seconds');
      expect(greeting?.count).toBe(1);
      expect(greeting?.sum).toBeGreaterThan(0);
      expect(greeting?.sum).toBeLessThan(30);
      greetingSeconds = greeting?.sum;

      // The model hangs before its first word: the coach apologises, counted by its cause.
      expect(up.value(APOLOGIES, { cause: 'first_token_timeout' })).toBe(0);
      openai.enqueue({ hang: true });
      await room.localParticipant?.sendText('what should I do next', { topic: 'lk.chat' });
      const apologised = await scraped('the apology counted', (m) =>
        m.value(APOLOGIES, { cause: 'first_token_timeout' }) === 1 ? m : undefined,
      );
      expect(apologised.value(APOLOGIES, { cause: 'error' })).toBe(0);
      expect(apologised.value(APOLOGIES, { cause: 'empty' })).toBe(0);
    } finally {
      await room.disconnect();
    }

    // The room goes away, the job ends and its process exits: the gauge is back at zero and
    // the counters neither reset nor double.
    await livekit.rooms.deleteRoom(session.room_name);
    const summary = await agent.waitForLog('session_summary', jobLog('session_summary'), 60_000);
    // The same greeting, per session in the log line: the metric's one observation, in ms.
    expect(summary.greeting_ms).toBeCloseTo((greetingSeconds ?? 0) * 1000, -1);
    const after = await scraped('the session ended', (m) =>
      (m.value('agent_active_sessions') ?? 0) === 0 && m.value('agent_job_slots_in_use') === 0
        ? m
        : undefined,
    );
    expect(after.histogram(TOOL, LOGGED_SET)?.count).toBe(1);
    expect(after.value('agent_log_spool_sets_sent_total')).toBe(1);
    expect(after.value('agent_jobs_total')).toBe(1);
    // Each stall the job's loop monitor reported was explained by what it was made of, and
    // counted (a stall in the job's last seconds may come after its last push).
    const explained = agent.logs.filter(jobLog('event_loop_stall_explained'));
    const reported = agent.logs.filter(
      (line) =>
        typeof line.msg === 'string' && /^(event loop|process not scheduled)/.test(line.msg),
    );
    expect(
      explained.length,
      `stalls the framework logged: ${JSON.stringify(reported.map(({ pid, time, duration }) => ({ pid, time, duration })))}`,
    ).toBeGreaterThan(0);
    for (const line of explained) {
      expect(STALL_CAUSES).toContain(line.cause);
      expect(line.duration_ms).toBeGreaterThanOrEqual(20);
    }
    const stallsCounted = STALL_CAUSES.reduce(
      (sum, cause) => sum + (after.value('agent_event_loop_stalls_total', { cause }) ?? 0),
      0,
    );
    expect(stallsCounted).toBeGreaterThan(0);
    expect(stallsCounted).toBeLessThanOrEqual(explained.length);
    const text = await (await fetch(metricsUrl)).text();
    expect(text).not.toContain(DEMO_USER_ID);
    expect(text).not.toContain(session.room_name);
    expect(text).not.toContain('squat');
  }, 400_000);

  it('counts a rejected job by its reason', async () => {
    const room = `bad-metadata-${crypto.randomUUID()}`;
    await livekit.rooms.createRoom({ name: room });
    await livekit.dispatches.createDispatch(room, AGENT_NAME, {
      metadata: JSON.stringify({ user_id: 'not-a-uuid', agent_type: 'yoga' }),
    });
    // A job process may have to start first (none is warm on a loaded machine).
    await agent.waitForLog('the rejection', jobLog('session_rejected'), 180_000);
    const rejected = await scraped('the rejection counted', (m) =>
      m.value('agent_jobs_rejected_total', { reason: 'invalid_metadata' }) === 1 ? m : undefined,
    );
    expect(rejected.value('agent_jobs_rejected_total', { reason: 'no_profile' })).toBe(0);
    expect(rejected.value('agent_jobs_total')).toBe(2);
    await livekit.rooms.deleteRoom(room);
  }, 400_000);
});
