/**
 * One job: one user's voice session in one LiveKit room.
 *
 * Order matters for latency and for clean failure: the metadata is validated and the context is
 * loaded BEFORE the agent joins the room, so a bad dispatch or a user without a profile ends the
 * job (with a logged reason) without anyone hearing a half-working coach, and a good session
 * starts with everything it needs already in memory.
 */
import type { JobContext, VAD } from '@livekit/agents';
import { voice } from '@livekit/agents';
import { ApiRequestError, type EdgeApi } from '../shared/api-client.ts';
import { errorCode, type Logger, systemClock } from '../shared/runtime.ts';
import { FitnessVoiceAgent } from './coach.ts';
import { summarySinkFor } from './coaching/summary-sink.ts';
import type { VoiceAgentConfig } from './config.ts';
import { loadCoachingContext } from './context-loader.ts';
import { presynthesize, sayGreeting } from './greeting-audio.ts';
import { readSessionMetadata } from './job-metadata.ts';
import type { LogSpool } from './log-spool.ts';
import { JobMetrics } from './metrics/job-metrics.ts';
import {
  createLlm,
  createStt,
  createTts,
  SPEECH_INPUT_SAMPLE_RATE,
  sttSocketPath,
} from './providers.ts';
import { closeRemoteSessionHost } from './remote-session-host.ts';
import { ReconnectingSTT } from './resilience/reconnecting-stt.ts';
import { RecoveringTTS } from './resilience/recovering-tts.ts';
import { RoomEventsPublisher } from './room-events.ts';
import { SessionStats } from './session-stats.ts';
import { coachTurnHandling } from './turn-taking/settings.ts';

/**
 * How the session takes the caller's audio from the room: at the rate the voice detector and
 * Deepgram use, so it is resampled once, in native code (providers.ts, SPEECH_INPUT_SAMPLE_RATE).
 */
export const COACH_ROOM_INPUT: Partial<voice.RoomInputOptions> = {
  audioSampleRate: SPEECH_INPUT_SAMPLE_RATE,
};

/** How long shutdown waits for the spool to hand its sets to the API (the rest stay on disk). */
export const SPOOL_DRAIN_TIMEOUT_MS = 5000;

export interface CoachJobDeps {
  config: VoiceAgentConfig;
  api: EdgeApi;
  vad: VAD;
  /**
   * The process's log spool. It is opened when the process starts (prewarm), so sets left by an
   * earlier process are resent even if no job ever comes; a failed open is retried here.
   */
  openSpool: () => Promise<LogSpool>;
  /** Makes a logger carrying the job's ids on every line. */
  createLogger: (base: Record<string, unknown>) => Logger;
  /** The process's metrics (agent/metrics); a private set when absent. */
  metrics?: JobMetrics;
  /** Hands the metrics to the main process; the job's last step, so its counts survive the exit. */
  reportMetrics?: () => Promise<void>;
}

export async function runCoachJob<ProcessData>(
  ctx: JobContext<ProcessData>,
  deps: CoachJobDeps,
): Promise<void> {
  const jobLogger = deps.createLogger({ job_id: ctx.job.id });
  const metrics = deps.metrics ?? new JobMetrics({ processMetrics: false });
  metrics.jobReceived();
  const jobStartedAt = performance.now();
  // Registered first, so a rejected job reports its count too. Shutdown callbacks run at the same
  // time, so the session's own end runs from here, before the report, not as a callback of its own.
  let endSession: (() => Promise<void>) | undefined;
  ctx.addShutdownCallback(async () => {
    await endSession?.();
    await deps.reportMetrics?.();
  });
  const metadata = readSessionMetadata(ctx.job.metadata, ctx.job.room?.metadata);
  if (!metadata.success) {
    jobLogger.error('session_rejected', { reason: 'invalid_metadata', detail: metadata.error });
    metrics.jobRejected('invalid_metadata');
    ctx.shutdown('invalid session metadata');
    return;
  }
  const { user_id: userId, agent_type: agentType } = metadata.data;
  const logger = deps.createLogger({ job_id: ctx.job.id, user_id: userId, agent_type: agentType });
  // The speech socket opens now, while the context loads and the room connects, so the greeting
  // does not wait for it (the framework opens it at the first reply; it only prewarms the model).
  const speech = createTts(deps.config.tts);
  speech.prewarm();
  const rejectSession = (reason: string) => {
    void speech.close();
    ctx.shutdown(reason);
  };

  let context: Awaited<ReturnType<typeof loadCoachingContext>>;
  try {
    context = await loadCoachingContext(deps.api, userId);
  } catch (error) {
    logger.error('session_rejected', {
      reason: 'context_unavailable',
      status: error instanceof ApiRequestError ? error.status : undefined,
      code: error instanceof ApiRequestError ? error.code : 'unexpected',
    });
    metrics.jobRejected('context_unavailable');
    rejectSession('coaching context unavailable');
    return;
  }
  if (context === null) {
    logger.error('session_rejected', { reason: 'no_profile' });
    metrics.jobRejected('no_profile');
    rejectSession('user has no profile');
    return;
  }

  let spool: LogSpool;
  try {
    spool = await deps.openSpool();
  } catch (error) {
    // Without the spool a confirmed set could be lost, so no session rather than a careless one.
    logger.error('session_rejected', { reason: 'spool_unavailable', code: errorCode(error) });
    metrics.jobRejected('spool_unavailable');
    rejectSession('log spool unavailable');
    return;
  }
  // A dropped speech socket gets the reply again or an apology, never silence.
  const voiceOut = new RecoveringTTS(speech, { logger });
  const roomEvents = new RoomEventsPublisher(ctx.room, logger);
  const agent = new FitnessVoiceAgent({
    agentType,
    context,
    logSink: spool,
    specialists: deps.api,
    logger,
    clock: systemClock,
    metrics: roomEvents.observeToolCalls(metrics),
    replyDeadline: { onApology: (cause) => metrics.replyApologised(cause) },
    coaching: {
      restWarningSeconds: deps.config.restWarningSeconds,
      summarySink: summarySinkFor(deps.api, ctx.job.room?.name, userId),
    },
  });
  const session = new voice.AgentSession({
    // Deepgram's plugin never reconnects after a socket drop (see reconnecting-stt.ts).
    stt: new ReconnectingSTT(createStt(deps.config.stt), {
      socketPath: sttSocketPath(deps.config.stt),
      logger,
    }),
    tts: voiceOut,
    llm: await createLlm(deps.config.llm),
    vad: deps.vad,
    // Local voice detection plus the unfinished-sentence detector (agent/turn-taking/settings.ts).
    turnHandling: coachTurnHandling(),
  });
  const stats = new SessionStats(
    Date.now(),
    (kind, ms) => metrics.voiceLatency(kind, ms),
    // One line per reply: where its wait went, and when the turn was committed (no words);
    // a watching client (the playground) gets the same parts.
    (turn) => {
      logger.info('turn_latency', { ...turn });
      roomEvents.publishTurn(turn);
    },
  );
  stats.attach(session);
  session.on(voice.AgentSessionEventTypes.Error, (event) => metrics.providerError(event.error));
  // The first time the agent speaks is the greeting (or, if the caller spoke first, the first
  // thing they hear): how long the agent took to get there.
  const firstAudio = (event: voice.AgentStateChangedEvent) => {
    if (event.newState !== 'speaking') return;
    session.off(voice.AgentSessionEventTypes.AgentStateChanged, firstAudio);
    const greetingMs = performance.now() - jobStartedAt;
    metrics.greetingPlayed(greetingMs);
    stats.greetingPlayed(greetingMs);
  };
  session.on(voice.AgentSessionEventTypes.AgentStateChanged, firstAudio);
  let sessionEnded: (() => void) | undefined;

  let finished: Promise<void> | undefined;
  const finish = () => {
    finished ??= (async () => {
      sessionEnded?.();
      // The framework has closed the session by now (it closes a started session before it runs
      // the shutdown callbacks), so every set the coach confirmed is in the spool.
      await agent.workout.close();
      const drained = await spool.drain(SPOOL_DRAIN_TIMEOUT_MS);
      await spool.close();
      logger.info('session_summary', { ...stats.summary(), sets_left_in_spool: drained.remaining });
    })();
    return finished;
  };
  endSession = finish;
  session.on(voice.AgentSessionEventTypes.Close, (event) => {
    if (event.error) logger.error('session_error', { reason: String(event.reason) });
    ctx.shutdown('session closed');
  });

  // Its words are known now: the greeting is synthesised while the room connects and the session
  // starts, and played from what is ready (greeting-audio.ts).
  const greeting = presynthesize(voiceOut, agent.greeting, logger);
  try {
    await ctx.connect();
    await session.start({
      agent,
      room: ctx.room,
      inputOptions: COACH_ROOM_INPUT,
    });
  } catch (error) {
    greeting.cancel();
    throw error;
  }
  // Nothing here speaks the framework's remote-session protocol, and it cost about a tenth of
  // a call's CPU (agent/remote-session-host.ts).
  const remoteSessionHost = await closeRemoteSessionHost(session);
  sessionEnded = metrics.sessionStarted();
  // Room names are random ids the API makes (workers/livekit/session-token.ts), not personal.
  logger.info('session_started', {
    room: ctx.room.name,
    remote_session_host: remoteSessionHost,
  });
  await sayGreeting(session, agent.greeting, greeting, logger);
}
