/**
 * Configuration, the job's early exits (bad metadata, no profile, API down) and the session
 * summary. The job runs against the real edge API; the JobContext is a minimal stand-in for the
 * parts of the framework's context the job reads before it would connect to a room.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobContext } from '@livekit/agents';
import { inference, initializeLogger } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  loadCoachConfig,
  loadVoiceAgentConfig,
  type VoiceAgentConfig,
} from '../../agent/config.ts';
import { sharedLogSpool } from '../../agent/log-spool.ts';
import { runCoachJob } from '../../agent/session.ts';
import { SessionStats, type TurnLatency } from '../../agent/session-stats.ts';
import { createApiClient } from '../../shared/api-client.ts';
import { ConfigError } from '../../shared/config.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { type CartesiaStandin, startCartesiaStandin } from '../support/cartesia-standin.ts';
import { type EdgeApiServer, startEdgeApi } from './edge-api.ts';
import { type LogLine, recordingLogger } from './fixtures.ts';

let edge: EdgeApiServer;
let cartesia: CartesiaStandin;
let spoolRoot: string;
beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'silent' });
  [edge, cartesia] = await Promise.all([startEdgeApi(), startCartesiaStandin()]);
  spoolRoot = await mkdtemp(join(tmpdir(), 'job-spool-'));
});
afterAll(async () => {
  await Promise.all([edge?.close(), cartesia?.close()]);
  if (spoolRoot) await rm(spoolRoot, { recursive: true, force: true });
});

const voiceEnv = (extra: Record<string, string> = {}) =>
  withDevDefaults({
    DEEPGRAM_API_KEY: 'dg-secret-value',
    CARTESIA_API_KEY: 'ca-secret-value',
    OPENAI_API_KEY: 'oa-secret-value',
    ...extra,
  });

describe('agent configuration', () => {
  it('names every missing variable in one error, and never a value', () => {
    let error: unknown;
    try {
      loadVoiceAgentConfig({
        VOICE_LLM_PROVIDER: 'google',
        SERVICE_API_TOKEN: 'short-secret',
        CARTESIA_SPEED: '9',
        AGENT_MAX_CONCURRENT_JOBS: '0',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      'API_BASE_URL',
      'SERVICE_API_TOKEN',
      'GOOGLE_API_KEY',
      'LIVEKIT_URL',
      'LIVEKIT_API_KEY',
      'LIVEKIT_API_SECRET',
      'DEEPGRAM_API_KEY',
      'CARTESIA_API_KEY',
      'CARTESIA_SPEED',
      'AGENT_MAX_CONCURRENT_JOBS',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('short-secret');
  });

  it('applies the design defaults', () => {
    const config = loadVoiceAgentConfig(voiceEnv());
    expect(config.stt).toMatchObject({
      model: 'flux-general-en',
      language: 'en-US',
      eagerEotThreshold: 0.4,
    });
    expect(config.tts).toMatchObject({ sampleRate: 24000, speed: 1.1 });
    expect(config.llm).toMatchObject({ provider: 'openai', maxResponseTokens: 150 });
    expect(config.livekit.agentName).toBe('fitness-coach');
    expect(config.spoolDir).toBe('.data/agent-spool');
    expect(config.healthPort).toBe(8081);
    expect(config.maxConcurrentJobs).toBe(4);
  });

  it("takes an eager end-of-turn threshold in Deepgram's range, or off", () => {
    const eager = (value: string) =>
      loadVoiceAgentConfig(voiceEnv({ DEEPGRAM_EAGER_EOT_THRESHOLD: value })).stt.eagerEotThreshold;
    expect(eager('0.5')).toBe(0.5);
    expect(eager('off')).toBeUndefined();
    for (const bad of ['0.2', '0.95', 'soon']) {
      expect(() => eager(bad)).toThrow(/DEEPGRAM_EAGER_EOT_THRESHOLD/);
    }
  });

  it('needs neither LiveKit nor speech providers in text mode', () => {
    const config = loadCoachConfig(withDevDefaults({ OPENAI_API_KEY: 'k' }));
    expect(config.llm.provider).toBe('openai');
  });
});

interface FakeJob {
  ctx: JobContext;
  shutdownReasons: string[];
  connected: () => boolean;
}

function fakeJob(
  metadata: string,
  roomMetadata = '',
  beforeJoining: () => Promise<void> = async () => {},
): FakeJob {
  const shutdownReasons: string[] = [];
  let connected = false;
  const ctx = {
    job: { id: 'AJ_test', metadata, room: { name: 'room-1', metadata: roomMetadata } },
    shutdown: (reason: string) => shutdownReasons.push(reason),
    addShutdownCallback: () => {},
    connect: async () => {
      await beforeJoining();
      connected = true;
      throw new Error('this test never joins a room');
    },
  } as unknown as JobContext;
  return { ctx, shutdownReasons, connected: () => connected };
}

async function runJob(
  job: FakeJob,
  baseUrl = edge.baseUrl,
  spoolDir = join(spoolRoot, crypto.randomUUID()),
): Promise<LogLine[]> {
  const logger = recordingLogger();
  const config: VoiceAgentConfig = loadVoiceAgentConfig(
    voiceEnv({
      API_BASE_URL: baseUrl,
      CARTESIA_BASE_URL: cartesia.baseUrl,
      CARTESIA_API_KEY: cartesia.apiKey,
    }),
  );
  const api = createApiClient(config.api);
  await runCoachJob(job.ctx, {
    config,
    api,
    vad: new inference.VAD({ model: 'silero' }),
    openSpool: sharedLogSpool({
      dir: spoolDir,
      send: (entries, signal) => api.ingestLogs(entries, signal),
      logger,
    }),
    createLogger: (base) => ({
      info: (event, fields) => logger.info(event, { ...base, ...fields }),
      warn: (event, fields) => logger.warn(event, { ...base, ...fields }),
      error: (event, fields) => logger.error(event, { ...base, ...fields }),
    }),
  }).catch(() => undefined);
  return logger.lines;
}

const metadata = (userId: string) =>
  JSON.stringify({
    user_id: userId,
    agent_type: 'diet',
    session_type: 'voice',
    created_at: '2026-02-02T10:30:00Z',
  });

describe('the coaching job', () => {
  it('ends cleanly with a logged reason when the metadata is invalid', async () => {
    const job = fakeJob('{"user_id":"nope"}');
    const lines = await runJob(job);
    expect(job.shutdownReasons).toEqual(['invalid session metadata']);
    expect(job.connected()).toBe(false);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        event: 'session_rejected',
        fields: expect.objectContaining({ reason: 'invalid_metadata', job_id: 'AJ_test' }),
      }),
    ]);
  });

  it('ends cleanly when the user has no profile', async () => {
    const job = fakeJob('', metadata(crypto.randomUUID()));
    const lines = await runJob(job);
    expect(job.shutdownReasons).toEqual(['user has no profile']);
    expect(job.connected()).toBe(false);
    expect(lines[0]).toMatchObject({
      event: 'session_rejected',
      fields: { reason: 'no_profile', agent_type: 'diet' },
    });
  });

  it('ends cleanly when the API cannot be reached', async () => {
    const job = fakeJob(metadata(crypto.randomUUID()));
    const lines = await runJob(job, 'http://127.0.0.1:9');
    expect(job.shutdownReasons).toEqual(['coaching context unavailable']);
    expect(lines[0]).toMatchObject({
      event: 'session_rejected',
      fields: { reason: 'context_unavailable', code: 'network' },
    });
  });

  it('ends cleanly with a logged reason when the log spool cannot be opened', async () => {
    const { DEMO_USER_ID } = await import('../../drizzle/seed-data.ts');
    // A spool directory below a regular file: opening it fails with ENOTDIR.
    const file = join(spoolRoot, 'not-a-directory');
    await writeFile(file, '');
    const job = fakeJob(metadata(DEMO_USER_ID));
    const lines = await runJob(job, edge.baseUrl, join(file, 'spool'));
    expect(job.shutdownReasons).toEqual(['log spool unavailable']);
    expect(job.connected()).toBe(false);
    expect(lines.at(-1)).toMatchObject({
      level: 'error',
      event: 'session_rejected',
      fields: { reason: 'spool_unavailable', code: 'ENOTDIR', job_id: 'AJ_test' },
    });
  });

  it('loads the context before joining the room', async () => {
    const { DEMO_USER_ID } = await import('../../drizzle/seed-data.ts');
    const job = fakeJob(metadata(DEMO_USER_ID));
    await runJob(job);
    expect(job.shutdownReasons).toEqual([]);
    expect(job.connected()).toBe(true);
  });

  it('opens the speech socket and has the greeting synthesised before it joins the room', async () => {
    const { DEMO_USER_ID } = await import('../../drizzle/seed-data.ts');
    const before = { opened: cartesia.socketsOpened, generations: cartesia.generations.length };
    let openedBeforeJoining = 0;
    let greetingBeforeJoining = '';
    const job = fakeJob(metadata(DEMO_USER_ID), '', async () => {
      // The greeting is asked for on the socket opened at the job's start, and its audio comes
      // back while the room would still be connecting.
      const greeting = await vi.waitFor(
        () => {
          const generation = cartesia.generations[before.generations];
          expect(generation?.chunksSent).toBeGreaterThan(0);
          return generation;
        },
        { timeout: 5000 },
      );
      openedBeforeJoining = cartesia.socketsOpened - before.opened;
      greetingBeforeJoining = greeting?.transcript.trim() ?? '';
    });
    await runJob(job);
    expect(job.connected()).toBe(true);
    expect(openedBeforeJoining).toBe(1);
    // The diet coach's greeting for the demo user (agent/instructions.ts), and nothing else.
    expect(greetingBeforeJoining).toBe(
      "Hi Demo! Want to go over today's meals or talk about what to eat?",
    );
    expect(cartesia.generations.length).toBe(before.generations + 1);
  });

  it('closes the speech socket it opened when the session is refused', async () => {
    const open = cartesia.openSockets;
    const job = fakeJob('', metadata(crypto.randomUUID()));
    await runJob(job);
    expect(job.shutdownReasons).toEqual(['user has no profile']);
    await vi.waitFor(() => expect(cartesia.openSockets).toBe(open), { timeout: 5000 });
  });
});

describe('session summary', () => {
  it('joins EOU, TTFT and TTFB by speech id into end-to-end latency', () => {
    const replies: TurnLatency[] = [];
    const stats = new SessionStats(0, undefined, (reply) => replies.push(reply));
    const base = { timestamp: 0, label: 'x', requestId: 'r' };
    stats.recordMetrics({
      type: 'eou_metrics',
      timestamp: 0,
      endOfUtteranceDelayMs: 300,
      transcriptionDelayMs: 10,
      onUserTurnCompletedDelayMs: 0,
      lastSpeakingTimeMs: 0,
      speechId: 's1',
    });
    stats.recordMetrics({
      ...base,
      type: 'llm_metrics',
      durationMs: 900,
      ttftMs: 400,
      cancelled: false,
      completionTokens: 1,
      promptTokens: 1,
      promptCachedTokens: 0,
      totalTokens: 2,
      tokensPerSecond: 1,
      speechId: 's1',
    });
    stats.recordMetrics({
      ...base,
      type: 'llm_metrics',
      durationMs: 900,
      ttftMs: 999,
      cancelled: false,
      completionTokens: 1,
      promptTokens: 1,
      promptCachedTokens: 0,
      totalTokens: 2,
      tokensPerSecond: 1,
      speechId: 's1',
    });
    stats.recordMetrics({
      ...base,
      type: 'tts_metrics',
      ttfbMs: 150,
      durationMs: 500,
      audioDurationMs: 900,
      cancelled: false,
      charactersCount: 10,
      streamed: true,
      speechId: 's1',
    });
    // Nothing said yet: a session that ends like this left its caller in silence.
    expect(stats.summary(1).greeting_ms).toBeNull();
    stats.greetingPlayed(512.34);
    stats.greetingPlayed(9000);
    const summary = stats.summary(12_345);
    expect(summary.duration_s).toBe(12.3);
    // The first audio only: the greeting, not a later reply.
    expect(summary.greeting_ms).toBe(512.3);
    // The two model requests before the audio (a tool call, then the reply) are both waited for.
    expect(summary.end_to_end_ms).toEqual({ count: 1, p50: 1849, p95: 1849, max: 1849 });
    expect(summary.llm_ttft_ms).toEqual({ count: 2, p50: 400, p95: 999, max: 999 });
    expect(summary.eou_delay_ms.p50).toBe(300);
    expect(summary.tts_ttfb_ms.p50).toBe(150);
    // Told once per reply, with the parts that started its audio.
    expect(replies).toEqual([
      {
        committed_at: 0,
        eou_delay_ms: 300,
        transcription_delay_ms: 10,
        llm_ttft_ms: 1399,
        tts_ttfb_ms: 150,
        end_to_end_ms: 1849,
      },
    ]);
  });
});
