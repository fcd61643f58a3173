/**
 * The agent server: `node agent/main.ts start` (production) or `node agent/main.ts dev`.
 *
 * The framework forks a process per job and imports this file there for its default export, so
 * the CLI only runs when this file is the program itself. Prewarm runs once per job process,
 * before a job arrives: it validates the configuration and builds the VAD and the API client.
 * The framework's worker serves the health check (`GET /` on AGENT_HEALTH_PORT: 200 once it is
 * registered with LiveKit, 503 otherwise).
 */
import { fileURLToPath } from 'node:url';
import {
  cli,
  defineAgent,
  inference,
  type JobProcess,
  ServerOptions,
  type VAD,
} from '@livekit/agents';
import { createApiClient, type EdgeApi } from '../shared/api-client.ts';
import { ConfigError } from '../shared/config.ts';
import { DEV_DEFAULTS } from '../shared/dev-defaults.ts';
import { FULL_LOAD, jobCountLoad } from './capacity.ts';
import { loadVoiceAgentConfig, type VoiceAgentConfig } from './config.ts';
import { redactFrameworkLogs } from './log-redaction.ts';
import { createAgentLogger } from './logger.ts';
import { runCoachJob } from './session.ts';

interface ProcessData {
  config: VoiceAgentConfig;
  api: EdgeApi;
  vad: VAD;
}

function prewarm(proc: JobProcess<Partial<ProcessData>>): void {
  const config = loadVoiceAgentConfig(process.env);
  proc.userData.config = config;
  proc.userData.api = createApiClient(config.api);
  proc.userData.vad = new inference.VAD({ model: 'silero' });
}

export default defineAgent<Partial<ProcessData>>({
  prewarm,
  entry: async (ctx) => {
    // First: the framework installs this job's logger just before calling entry, and the
    // session, plugins and tools created below take their logger when they are created.
    redactFrameworkLogs();
    if (!ctx.proc.userData.config) prewarm(ctx.proc);
    const { config, api, vad } = ctx.proc.userData as ProcessData;
    await runCoachJob(ctx, {
      config,
      api,
      vad,
      createLogger: (base) => createAgentLogger('agent', base),
    });
  },
});

/** Only these dev defaults apply to the agent; provider keys must always be real. */
const AGENT_DEV_DEFAULT_KEYS = [
  'LIVEKIT_URL',
  'LIVEKIT_API_KEY',
  'LIVEKIT_API_SECRET',
  'LIVEKIT_AGENT_NAME',
  'API_BASE_URL',
  'SERVICE_API_TOKEN',
] as const;

function main(): void {
  if (process.argv[2] === 'dev') {
    // Written into process.env so the forked job processes inherit them.
    for (const key of AGENT_DEV_DEFAULT_KEYS) {
      if (!process.env[key]?.trim()) process.env[key] = DEV_DEFAULTS[key];
    }
  }
  let config: VoiceAgentConfig;
  try {
    config = loadVoiceAgentConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  cli.runApp(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: config.livekit.agentName,
      wsURL: config.livekit.url,
      apiKey: config.livekit.apiKey,
      apiSecret: config.livekit.apiSecret,
      port: config.healthPort,
      // Full when every job slot is taken, not when the CPU is busy (see capacity.ts). LiveKit
      // Cloud's hosted agents ignore both and use their own CPU measure.
      loadFunc: jobCountLoad(config.maxConcurrentJobs),
      loadThreshold: FULL_LOAD,
    }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
