/**
 * The whole voice path on this machine, for the voice scenarios, the benchmark and `npm run demo`:
 * a real livekit-server, the real agent server process, the provider stand-ins (the voice model
 * scripted by coach-script.ts, a second OpenAI stand-in behind the edge API's specialist
 * orchestrator, Deepgram listening to the audio, Cartesia), and simulated callers. The tests
 * serve the edge API on PostgreSQL (test/e2e/voice-scenario-rig.ts); the demo and the bench run
 * it on its embedded defaults (startLocalVoiceStack).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_DEFAULTS, withDevDefaults } from '../../shared/dev-defaults.ts';
import { roundToTenth } from '../../shared/round.ts';
import type { AgentType } from '../../shared/schemas.ts';
import { mintUserToken } from '../../shared/user-token.ts';
import { cryptoRandomBytes, mintSessionToken } from '../../workers/livekit/session-token.ts';
import { silentLogger } from '../../workers/logger.ts';
import { type ApiServer, startApiServer } from '../../workers/server.ts';
import { type AgentProcess, startAgentProcess } from '../e2e/agent-process.ts';
import { type CartesiaStandin, startCartesiaStandin } from './cartesia-standin.ts';
import { scriptedCoach } from './coach-script.ts';
import { type DeepgramStandin, startDeepgramStandin } from './deepgram-standin.ts';
import {
  findLivekitServerBinary,
  type LivekitServer,
  startLivekitServer,
} from './livekit-server.ts';
import { freeTcpPort } from './net.ts';
import { type OpenAIStandin, startOpenAIStandin } from './openai-standin.ts';
import { type TurnTimeline, turnTimeline } from './turn-timeline.ts';
import { type SpokenTurn, VoiceCaller, type VoiceCallerOptions } from './voice-caller.ts';

/** What the specialist stand-in answers (the orchestrator's model). */
export const SPECIALIST_ANSWER =
  'Try goblet squats or leg presses instead; they spare the lower back and still build your legs.';

export interface VoiceStandins {
  /** The agent's voice model, scripted by coach-script.ts. */
  voiceLlm: OpenAIStandin;
  /** The model behind the edge API's specialist orchestrator. */
  specialistLlm: OpenAIStandin;
  deepgram: DeepgramStandin;
  cartesia: CartesiaStandin;
  close(): Promise<void>;
}

export async function startVoiceStandins(): Promise<VoiceStandins> {
  const [voiceLlm, specialistLlm, deepgram, cartesia] = await Promise.all([
    startOpenAIStandin({ handler: scriptedCoach }),
    startOpenAIStandin({ handler: () => ({ content: SPECIALIST_ANSWER }) }),
    startDeepgramStandin(),
    startCartesiaStandin(),
  ]);
  return {
    voiceLlm,
    specialistLlm,
    deepgram,
    cartesia,
    async close() {
      await Promise.all([
        voiceLlm.close(),
        specialistLlm.close(),
        deepgram.close(),
        cartesia.close(),
      ]);
    },
  };
}

/** How long each provider stand-in takes, as the voice benchmark and the demo set them. */
export interface ProviderLatencies {
  /** Nova: quiet the Deepgram stand-in waits for before it ends an utterance. */
  endpointingMs: number;
  /** Nova: then how long it takes to send the transcript. */
  transcriptDelayMs: number;
  /** Flux: quiet before its eager end of turn (the preflight transcript). */
  eagerEndOfTurnMs: number;
  /** Flux: quiet before its end of turn (the final transcript). */
  endOfTurnMs: number;
  modelFirstTokenMs: number;
  speechFirstByteMs: number;
}

/**
 * Published provider latencies.
 * - Nova (`/v1/listen`): the transcript 250 ms after the end of speech (200 ms of quiet plus
 *   50 ms to answer).
 * - Flux (`/v2/listen`): the end of turn at 300 ms (Deepgram's model card: median end-of-turn
 *   latency under 300 ms) and the eager end of turn 150 ms before it (Telnyx's measurement when
 *   it turned eager turns on by default: median answers about 150 ms sooner; Deepgram's guidance
 *   says 150 to 250 ms), so at 150 ms.
 * - The model's first token at 350 ms, speech's first byte at 90 ms.
 */
export const PUBLISHED_PROVIDER_LATENCIES: ProviderLatencies = {
  endpointingMs: 200,
  transcriptDelayMs: 50,
  eagerEndOfTurnMs: 150,
  endOfTurnMs: 300,
  modelFirstTokenMs: 350,
  speechFirstByteMs: 90,
};

/** What the providers alone take on a turn's critical path, with Nova or with Flux. */
export function providerDelayMs(latencies: ProviderLatencies, stt: 'nova' | 'flux'): number {
  const transcript =
    stt === 'flux'
      ? latencies.eagerEndOfTurnMs
      : latencies.endpointingMs + latencies.transcriptDelayMs;
  return transcript + latencies.modelFirstTokenMs + latencies.speechFirstByteMs;
}

export function setProviderLatencies(standins: VoiceStandins, latencies: ProviderLatencies): void {
  standins.deepgram.setTiming({
    endpointingMs: latencies.endpointingMs,
    replyDelayMs: latencies.transcriptDelayMs,
    eagerEndOfTurnMs: latencies.eagerEndOfTurnMs,
    endOfTurnMs: latencies.endOfTurnMs,
  });
  standins.voiceLlm.setFirstTokenDelay(latencies.modelFirstTokenMs);
  standins.cartesia.setTimeToFirstByte(latencies.speechFirstByteMs);
}

/** The edge API's environment additions that point its orchestrator at the specialist stand-in. */
export function orchestratorEnv(standins: VoiceStandins): Record<string, string> {
  return {
    ORCHESTRATOR_LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-standin',
    OPENAI_BASE_URL: standins.specialistLlm.baseUrl,
  };
}

export interface VoiceAgentOptions {
  server: LivekitServer;
  apiUrl: string;
  standins: VoiceStandins;
  spoolDir: string;
  agentName?: string;
  maxConcurrentJobs?: number;
  /**
   * Job processes kept warm (AGENT_IDLE_PROCESSES). Two by default, not one per slot: the rig's
   * many slots are there so it never reports itself full, and warming eight processes would
   * only compete with the measurement for the CPU.
   */
  idleProcesses?: number;
  /** `start` (production, the default) or `dev`. */
  mode?: 'start' | 'dev';
  /** The agent entry file: agent/main.ts by default, bench/defaults-agent.ts for the yardstick. */
  main?: string;
  /** Environment on top of the rig's, e.g. `DEEPGRAM_MODEL` for an agent on another model. */
  env?: Record<string, string>;
}

/**
 * The production agent server wired to the rig. Resolves once LiveKit registered it: LiveKit
 * drops a dispatch when no worker is registered yet.
 */
export async function startVoiceAgent(options: VoiceAgentOptions): Promise<AgentProcess> {
  const { server, standins } = options;
  const maxConcurrentJobs = options.maxConcurrentJobs ?? 8;
  const agent = startAgentProcess(
    {
      LIVEKIT_URL: server.url,
      LIVEKIT_API_KEY: server.apiKey,
      LIVEKIT_API_SECRET: server.apiSecret,
      LIVEKIT_AGENT_NAME: options.agentName ?? DEV_DEFAULTS.LIVEKIT_AGENT_NAME,
      API_BASE_URL: options.apiUrl,
      SERVICE_API_TOKEN: DEV_DEFAULTS.SERVICE_API_TOKEN,
      DEEPGRAM_API_KEY: standins.deepgram.apiKey,
      DEEPGRAM_BASE_URL: standins.deepgram.baseUrl,
      CARTESIA_API_KEY: standins.cartesia.apiKey,
      CARTESIA_BASE_URL: standins.cartesia.baseUrl,
      VOICE_LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-standin',
      OPENAI_BASE_URL: standins.voiceLlm.baseUrl,
      LOG_SPOOL_DIR: options.spoolDir,
      AGENT_HEALTH_PORT: String(await freeTcpPort()),
      AGENT_MAX_CONCURRENT_JOBS: String(maxConcurrentJobs),
      AGENT_IDLE_PROCESSES: String(options.idleProcesses ?? Math.min(2, maxConcurrentJobs)),
      ...options.env,
    },
    { args: [options.mode ?? 'start', '--log-level', 'info'], main: options.main },
  );
  await agent.waitForLog('registered worker', (line) => line.msg === 'registered worker', 60_000);
  return agent;
}

/** A caller for `userId`, signed in with a user JWT exactly as the app would be. */
export async function callCoach(
  apiUrl: string,
  userId: string,
  agentType: AgentType,
  options: Partial<VoiceCallerOptions> = {},
): Promise<VoiceCaller> {
  const userToken = await mintUserToken({ userId, secret: DEV_DEFAULTS.AUTH_JWT_SECRET });
  return VoiceCaller.call({ ...options, apiUrl, userToken, agentType });
}

/** The benchmark's yardstick (bench/defaults-agent.ts) registers under this name. */
export const DEFAULTS_AGENT_NAME = 'defaults-agent';
export const DEFAULTS_AGENT_MAIN = fileURLToPath(
  new URL('../../bench/defaults-agent.ts', import.meta.url),
);

/**
 * A caller of the agent registered as `agentName` (the defaults-only agent, or a second coach on
 * other settings). The API dispatches only the coach, so the session is minted here the way the
 * API mints one, with that name in the dispatch.
 */
export async function callAgentNamed(
  server: LivekitServer,
  userId: string,
  agentName: string,
): Promise<VoiceCaller> {
  const minted = await mintSessionToken({
    userId,
    agentType: 'general',
    livekit: {
      url: server.url,
      apiKey: server.apiKey,
      apiSecret: server.apiSecret,
      agentName,
      tokenTtlSeconds: 3600,
    },
    now: new Date(),
    randomBytes: cryptoRandomBytes,
  });
  return VoiceCaller.joinSession({
    server_url: server.url,
    room_name: minted.roomName,
    participant_identity: minted.identity,
    participant_token: minted.token,
    agent_type: 'general',
    expires_at: minted.expiresAt.toISOString(),
    agent_join_timeout_ms: 8000,
  });
}

export const callDefaultsAgent = (server: LivekitServer, userId: string) =>
  callAgentNamed(server, userId, DEFAULTS_AGENT_NAME);

export interface CallerTurn {
  turn: SpokenTurn;
  /** When the caller first heard the coach after the end of its line. */
  heardAt: number;
  /** Where the time went, or why the stages could not be told apart. */
  timeline: TurnTimeline | string;
}

/** performance.now() of an epoch time logged by another process on this machine. */
const fromEpoch = (epochMs: number) => epochMs - performance.timeOrigin;

/**
 * When the agent committed the turn that ended at `endedAt` and was heard at `heardAt`: its
 * per-turn `turn_latency` log line, logged once the reply's first audio is out.
 */
export async function turnCommittedAt(
  agent: AgentProcess,
  endedAt: number,
  heardAt: number,
): Promise<number | undefined> {
  const line = await agent
    .waitForLog(
      'turn_latency',
      (l) =>
        l.msg === 'turn_latency' &&
        typeof l.committed_at === 'number' &&
        fromEpoch(l.committed_at) > endedAt - 1000 &&
        fromEpoch(l.committed_at) <= heardAt + 50,
      2000,
    )
    .catch(() => undefined);
  return typeof line?.committed_at === 'number' ? fromEpoch(line.committed_at) : undefined;
}

/**
 * One caller turn: the line queued as the Deepgram stand-in's next transcript, said into the
 * microphone, the first coach audio heard after it, and the turn's stages from the stand-ins
 * (with the commit, when the coach's agent process is given; one caller at a time).
 */
export async function takeTurn(
  standins: VoiceStandins,
  caller: VoiceCaller,
  line: string,
  timeoutMs = 30_000,
  agent?: AgentProcess,
): Promise<CallerTurn> {
  standins.deepgram.enqueueTranscripts(line);
  const turn = await caller.say(line);
  const heardAt = await caller.waitForCoachSound(turn.endedAt, timeoutMs);
  const timeline = turnTimeline({
    turn,
    heardAt,
    utterances: standins.deepgram.utterances,
    llmRequests: standins.voiceLlm.requests,
    generations: standins.cartesia.generations,
  });
  if (agent && typeof timeline !== 'string') {
    const committed = await turnCommittedAt(agent, turn.endedAt, heardAt);
    if (committed !== undefined) {
      timeline.turn_committed_ms = roundToTenth(committed - turn.endedAt);
    }
  }
  return { turn, heardAt, timeline };
}

export async function temporarySpoolDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fvc-voice-spool-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface LocalVoiceStack {
  server: LivekitServer;
  api: ApiServer;
  standins: VoiceStandins;
  agent: AgentProcess;
  call(userId: string, agentType: AgentType): Promise<VoiceCaller>;
  close(): Promise<void>;
}

export interface LocalVoiceStackOptions
  extends Pick<VoiceAgentOptions, 'maxConcurrentJobs' | 'idleProcesses'> {
  /**
   * The API's per-user session limit (SESSION_RATE_LIMIT_PER_MINUTE, 10 by default). Every rig
   * caller is the demo user, so a bench that starts more sessions a minute raises it.
   */
  sessionsPerMinute?: number;
}

/**
 * Everything on its embedded defaults, for `npm run demo` and the voice bench: livekit-server as
 * the tests build it, the API on PGlite in a temporary directory (migrated and seeded), the
 * stand-ins and the agent server. No keys, no PostgreSQL.
 */
export async function startLocalVoiceStack(
  options: LocalVoiceStackOptions = {},
): Promise<LocalVoiceStack> {
  const { sessionsPerMinute, ...agentOptions } = options;
  const binary = findLivekitServerBinary();
  if (!binary) {
    throw new Error(
      'livekit-server is not installed: run scripts/install-livekit-server.sh (needs Go) or set LIVEKIT_SERVER_BIN',
    );
  }
  const [server, standins, spool, data] = await Promise.all([
    startLivekitServer(binary),
    startVoiceStandins(),
    temporarySpoolDir(),
    mkdtemp(join(tmpdir(), 'fvc-voice-pglite-')),
  ]);
  const api = await startApiServer(
    withDevDefaults({
      PORT: '0',
      PGLITE_DATA_DIR: data,
      LIVEKIT_URL: server.url,
      LIVEKIT_API_KEY: server.apiKey,
      LIVEKIT_API_SECRET: server.apiSecret,
      ...orchestratorEnv(standins),
      ...(sessionsPerMinute ? { SESSION_RATE_LIMIT_PER_MINUTE: String(sessionsPerMinute) } : {}),
    }),
    { logger: silentLogger },
  );
  const agent = await startVoiceAgent({
    ...agentOptions,
    server,
    apiUrl: api.url,
    standins,
    spoolDir: spool.dir,
  });
  const callers: VoiceCaller[] = [];
  return {
    server,
    api,
    standins,
    agent,
    async call(userId, agentType) {
      const caller = await callCoach(api.url, userId, agentType);
      callers.push(caller);
      return caller;
    },
    async close() {
      await Promise.all(callers.map((caller) => caller.hangUp()));
      await agent.stop();
      await Promise.all([api.close(), standins.close()]);
      await server.stop();
      await Promise.all([spool.remove(), rm(data, { recursive: true, force: true })]);
    },
  };
}
