/**
 * The agent server: `node agent/main.ts start` (production) or `node agent/main.ts dev`.
 *
 * The framework forks a process per job and imports this file there for its default export, so
 * the CLI only runs when this file is the program itself. Prewarm runs in every job process
 * before it takes a job (the server keeps AGENT_IDLE_PROCESSES such processes warm): it turns off
 * the native WebRTC client's log capture before that client exists (native-log-capture.ts),
 * validates the configuration, builds the API client and the VAD (loading its model), imports
 * the configured language model's plugin, and opens the process's log spool, which resends the
 * sets an earlier process left behind without waiting for a session.
 * The framework's worker serves the health check (`GET /` on AGENT_HEALTH_PORT: 200 once it is
 * registered with LiveKit, 503 otherwise); this process serves the Prometheus endpoint
 * (`GET /metrics` on AGENT_METRICS_PORT), to which every job process pushes its metrics.
 */
import { fileURLToPath } from 'node:url';
import {
  cli,
  defineAgent,
  inference,
  initializeLogger,
  type JobProcess,
  ServerOptions,
  telemetry,
  type VAD,
} from '@livekit/agents';
import { createApiClient, type EdgeApi } from '../shared/api-client.ts';
import { ConfigError } from '../shared/config.ts';
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { roundToTenth } from '../shared/round.ts';
import { errorCode } from '../shared/runtime.ts';
import { FULL_LOAD, type JobSlotsOptions, jobSlots } from './capacity.ts';
import { loadVoiceAgentConfig, type VoiceAgentConfig } from './config.ts';
import { jobProcessEnv } from './job-process-env.ts';
import { createStartGate, gateOpensAt, type StartGate } from './job-process-start.ts';
import { warmUpJobProcess } from './job-warm-up.ts';
import { redactChildLoggers, redactFrameworkLogs } from './log-redaction.ts';
import { type LogSpool, sharedLogSpool } from './log-spool.ts';
import { createAgentLogger } from './logger.ts';
import { startMetricsExporter } from './metrics/exporter.ts';
import { type JobProcessMetrics, startJobProcessMetrics } from './metrics/job-process.ts';
import {
  explainLoopStalls,
  type StallParts,
  startThreadClockReadings,
  type ThreadClockReadings,
} from './metrics/loop-stall-cause.ts';
import { METRICS_SOCKET_ENV } from './metrics/wire.ts';
import { turnOffNativeLogCapture } from './native-log-capture.ts';
import { createLlm } from './providers.ts';
import { runCoachJob, SPOOL_DRAIN_TIMEOUT_MS } from './session.ts';

/** Fly's kill_timeout (agent/fly.toml): SIGKILL follows SIGTERM after this long. */
export const KILL_TIMEOUT_MS = 300_000;
/**
 * After the drain, each job process gets this long to acknowledge the shutdown and again to run
 * its shutdown callbacks (the spool drain) once its session is closed.
 */
export const JOB_SHUTDOWN_TIMEOUT_MS = 60_000;
/** Closing the session and flushing logs, which happen besides the two timeouts above. */
const SHUTDOWN_MARGIN_MS = 10_000;
/**
 * How long SIGTERM lets running sessions end on their own (the framework's default is an hour).
 * What is left of kill_timeout after it is enough to end the remaining jobs cleanly: session
 * closed, spool drained, summary logged, instead of a SIGKILL in the middle of a session.
 */
export const DRAIN_TIMEOUT_MS =
  KILL_TIMEOUT_MS - JOB_SHUTDOWN_TIMEOUT_MS - SPOOL_DRAIN_TIMEOUT_MS - SHUTDOWN_MARGIN_MS;

interface ProcessDeps {
  config: VoiceAgentConfig;
  api: EdgeApi;
  vad: VAD;
  openSpool: () => Promise<LogSpool>;
  metrics: JobProcessMetrics;
  /** The loop thread's clock, read from prewarm on, for explaining stalls. */
  loopClock: ThreadClockReadings | undefined;
}

/** Filled by prewarm, which the framework always runs before it hands the process a job. */
interface ProcessData {
  deps?: ProcessDeps;
}

/**
 * Loads the VAD's native model now: the framework loads it synchronously when the session opens
 * its first VAD stream, which blocked the job process's event loop just as the session started.
 */
function warmVad(vad: VAD): void {
  const stream = vad.stream();
  stream.endInput();
  stream.close();
}

async function prewarm(proc: JobProcess<ProcessData>): Promise<void> {
  // Before any job: the JobContext's logger, made before entry runs, binds the room name; and
  // the native client starts with the job's room, so its log capture is turned off before it.
  redactChildLoggers();
  const loopClock = startThreadClockReadings();
  const nativeLogCapture = turnOffNativeLogCapture();
  const config = loadVoiceAgentConfig(process.env);
  const api = createApiClient(config.api);
  const logger = createAgentLogger('log_spool');
  const metrics = startJobProcessMetrics(process.env, createAgentLogger('metrics'));
  const openSpool = sharedLogSpool({
    dir: config.spoolDir,
    send: (entries, signal) => api.ingestLogs(entries, signal),
    logger,
    observer: metrics.record.spoolObserver,
  });
  // Not awaited: prewarm has a deadline, and a job that arrives first simply waits for the open.
  openSpool()
    .then((spool) => metrics.record.watchSpool(spool))
    .catch((error: unknown) => {
      logger.error('log_spool_open_failed', {
        code: error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined,
      });
    });
  const vad = new inference.VAD({ model: 'silero' });
  // Both here rather than at the first session: the configured model's plugin is imported on
  // first use (agent/providers.ts), and the model object made here holds no connection.
  warmVad(vad);
  await createLlm(config.llm);
  const warmUpStarted = performance.now();
  const { apiLive, modelAnswered } = await warmUpJobProcess(api, (baseUrl) =>
    createLlm({ ...config.llm, apiKey: 'warm-up', baseUrl }),
  );
  createAgentLogger('warm_up').info('job_process_warmed', {
    duration_ms: Math.round(performance.now() - warmUpStarted),
    api_live: apiLive,
    model_answered: modelAnswered,
    native_log_capture: nativeLogCapture,
  });
  proc.userData.deps = { config, api, vad, openSpool, metrics, loopClock };
}

function roundedStallParts(parts: StallParts): Record<string, unknown> {
  return {
    cause: parts.cause,
    duration_ms: roundToTenth(parts.durationMs),
    own_work_ms: roundToTenth(parts.ownWorkMs),
    cpu_wait_ms: roundToTenth(parts.cpuWaitMs),
    blocking_call_ms: roundToTenth(parts.blockingCallMs),
  };
}

export default defineAgent<ProcessData>({
  prewarm,
  entry: async (ctx) => {
    // First: the framework installs this job's logger just before calling entry, and the
    // session, plugins and tools created below take their logger when they are created.
    redactFrameworkLogs();
    const deps = ctx.proc.userData.deps;
    if (!deps) throw new Error('the job process was not prewarmed');
    // The framework's loop monitor starts once prewarm is done; from here on each stall it
    // reports is split by what it was made of, the job's start included (the clock has been
    // read since prewarm, so that stall has a reading from before it).
    const loopLogger = createAgentLogger('event_loop');
    explainLoopStalls({
      monitor: telemetry.loopMonitor.getMonitor(),
      readings: deps.loopClock,
      onStall: (parts) => {
        loopLogger.warn('event_loop_stall_explained', roundedStallParts(parts));
        deps.metrics.record.loopStalled(parts.cause);
      },
    });
    await runCoachJob(ctx, {
      ...deps,
      createLogger: (base) => createAgentLogger('agent', base),
      metrics: deps.metrics.record,
      reportMetrics: deps.metrics.push,
    });
  },
});

export function serverOptions(
  config: VoiceAgentConfig,
  observers: Pick<JobSlotsOptions, 'onInUse' | 'onRejected'> = {},
  startGate?: Pick<StartGate, 'openAt'>,
): ServerOptions {
  const slots = jobSlots({
    maxConcurrentJobs: config.maxConcurrentJobs,
    ...observers,
    // The replacement the framework forks for the warm process this job takes waits while the
    // session starts, unless a job may be waiting for it (job-process-start.ts).
    onAccepted: (inUse) => startGate?.openAt(gateOpensAt(Date.now(), inUse, config.idleProcesses)),
  });
  return new ServerOptions({
    agent: fileURLToPath(import.meta.url),
    agentName: config.livekit.agentName,
    wsURL: config.livekit.url,
    apiKey: config.livekit.apiKey,
    apiSecret: config.livekit.apiSecret,
    port: config.healthPort,
    // A job beyond the slots is refused when offered; the load reports full when every slot is
    // taken, not when the CPU is busy (see capacity.ts). LiveKit Cloud's hosted agents ignore the
    // load function and use their own CPU measure.
    requestFunc: slots.requestFunc,
    loadFunc: slots.loadFunc,
    loadThreshold: FULL_LOAD,
    numIdleProcesses: config.idleProcesses,
    drainTimeout: DRAIN_TIMEOUT_MS,
    shutdownProcessTimeout: JOB_SHUTDOWN_TIMEOUT_MS,
  });
}

async function main(): Promise<void> {
  // Written into process.env so the forked job processes inherit them. The dev defaults hold no
  // provider key, so those must always be real.
  if (process.argv[2] === 'dev') Object.assign(process.env, withDevDefaults(process.env));
  let config: VoiceAgentConfig;
  try {
    config = loadVoiceAgentConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  // The CLI makes the server's logger (a child) as it starts, with no hook in between, so the
  // child patch goes on pino's prototype through a logger made first; the CLI then makes its own.
  initializeLogger({ pretty: false, level: 'info' });
  redactChildLoggers();
  const exporter = await startMetricsExporter({
    port: config.metricsPort,
    maxConcurrentJobs: config.maxConcurrentJobs,
    logger: createAgentLogger('metrics'),
  }).catch((error: unknown) => {
    // Sessions matter more than their metrics: serve without the endpoint and say so (the
    // framework's logger starts only with runApp). The scrape's `up` series shows it is missing.
    console.error(
      `Voice agent: no metrics endpoint on port ${config.metricsPort} (${errorCode(error)}); serving sessions without it`,
    );
    return undefined;
  });
  // Before the framework forks any job process, so each one inherits where to push its metrics,
  // its memory settings, the compile cache (job-process-env.ts) and its start gate.
  if (exporter) process.env[METRICS_SOCKET_ENV] = exporter.socketPath;
  let startGate: StartGate | undefined;
  try {
    const gate = createStartGate();
    process.once('exit', () => gate.remove());
    startGate = gate;
  } catch (error) {
    console.error(
      `Voice agent: no job process start gate (${errorCode(error)}); replacements load at once`,
    );
  }
  Object.assign(process.env, jobProcessEnv(process.env), startGate?.env);
  const capacityLog = createAgentLogger('capacity');
  cli.runApp(
    serverOptions(
      config,
      {
        onInUse: (count) => exporter?.recordActiveJobs(count),
        onRejected: (jobId) => {
          capacityLog.info('job_rejected', { reason: 'full', job_id: jobId });
          exporter?.recordRejectedJob();
        },
      },
      startGate,
    ),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void main();
