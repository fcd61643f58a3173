/**
 * The metrics a job process records: voice latency, tools, specialist delegation, the log spool,
 * sessions, rejected jobs and provider errors, plus the process's own CPU, memory and event loop
 * (prefixed `agent_job_`, so they stay apart from the main process's). Each job process has one
 * JobMetrics; its registry is pushed to the main process (see reporter.ts), which serves the
 * merged view on the Prometheus endpoint.
 *
 * Label values come only from the closed lists in labels.ts.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { SPECIALISTS } from '../../shared/schemas.ts';
import type { LogSpoolObserver } from '../log-spool.ts';
import { REPLY_FAILURES, type ReplyFailure } from '../resilience/reply-deadline.ts';
import { TOOL_NAMES } from '../tools.ts';
import {
  boundedLabel,
  PROVIDER_KINDS,
  type ProviderKind,
  REJECTION_REASONS,
  type RejectionReason,
  SPECIALIST_OUTCOMES,
  type SpecialistOutcome,
  TOOL_OUTCOMES,
} from './labels.ts';
import { STALL_CAUSES, type StallCause } from './loop-stall-cause.ts';

/** From the user going quiet to the first audio of the answer: the 2 s budget lives here. */
const VOICE_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];
/** Context lookups answer in microseconds, a spooled set in about a millisecond. */
const TOOL_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];
/** The specialist deadline is 1.8 s (agent/tools.ts). */
const SPECIALIST_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.8, 2, 3, 5];

/** What the tools report; JobMetrics implements it, tests may hand in their own. */
export interface ToolCallMetrics {
  toolCall(tool: string, outcome: string, seconds: number): void;
  specialistCall(specialist: string, outcome: SpecialistOutcome, seconds: number): void;
}

/** The voice latencies SessionStats reports for each reply, in milliseconds. */
export type VoiceLatencyKind = 'eou_delay' | 'llm_ttft' | 'tts_ttfb' | 'end_to_end';

/** What the metrics read from the process's log spool when they are collected. */
export interface SpoolGaugeSource {
  readonly size: number;
  /** The `logged_at` of the set that has waited longest, if any. */
  readonly oldestWaitingLoggedAt: string | undefined;
}

export interface JobMetricsOptions {
  /** Record the process's CPU, memory and event loop metrics too. */
  processMetrics?: boolean;
  now?: () => number;
}

export const defaultJobMetricsOptions = {
  processMetrics: true,
  now: Date.now,
} as const satisfies JobMetricsOptions;

/** A Map, not an object: an error type such as `__proto__` must not reach a prototype. */
const PROVIDER_OF_ERROR_TYPE = new Map<unknown, ProviderKind>([
  ['stt_error', 'stt'],
  ['tts_error', 'tts'],
  ['llm_error', 'llm'],
  ['realtime_model_error', 'llm'],
]);

export class JobMetrics implements ToolCallMetrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  private spool: SpoolGaugeSource | undefined;

  private readonly voice: Record<VoiceLatencyKind, Histogram>;
  private readonly greeting: Histogram;
  private readonly toolCalls: Histogram<'tool' | 'outcome'>;
  private readonly specialistCalls: Histogram<'specialist' | 'outcome'>;
  private readonly activeSessions: Gauge;
  private readonly jobs: Counter;
  private readonly rejectedJobs: Counter<'reason'>;
  private readonly providerErrors: Counter<'provider' | 'recovered'>;
  private readonly apologies: Counter<'cause'>;
  private readonly loopStalls: Counter<'cause'>;
  private readonly spoolSent: Counter;
  private readonly spoolRetried: Counter;
  private readonly spoolDeadLettered: Counter;

  constructor(options: JobMetricsOptions = {}) {
    const settings = { ...defaultJobMetricsOptions, ...options };
    this.now = settings.now;
    const registers = [this.registry];
    const latency = (name: string, help: string) =>
      new Histogram({ name, help, buckets: VOICE_BUCKETS, registers });
    this.voice = {
      eou_delay: latency(
        'agent_voice_eou_delay_seconds',
        'End of utterance delay: from the end of user speech (VAD) to the decision that the turn ended.',
      ),
      llm_ttft: latency(
        'agent_voice_llm_ttft_seconds',
        'LLM time to first token of a reply (cancelled requests excluded).',
      ),
      tts_ttfb: latency(
        'agent_voice_tts_ttfb_seconds',
        'TTS time to first byte of a reply (cancelled requests excluded).',
      ),
      end_to_end: latency(
        'agent_voice_response_latency_seconds',
        'From the end of user speech to the first agent audio: EOU delay + the LLM TTFT of each request before that audio + its TTS TTFB (a line a tool said itself included).',
      ),
    };
    this.greeting = latency(
      'agent_greeting_latency_seconds',
      "From the job reaching its process to the greeting's first audio going to the room: the agent's share of a caller's wait to hear the coach (LiveKit's dispatch comes before it, the caller's network after).",
    );
    this.toolCalls = new Histogram({
      name: 'agent_tool_call_duration_seconds',
      help: 'Tool call duration; _count is the number of calls, by tool and outcome (ok, rejected, failed).',
      labelNames: ['tool', 'outcome'],
      buckets: TOOL_BUCKETS,
      registers,
    });
    this.specialistCalls = new Histogram({
      name: 'agent_specialist_delegation_duration_seconds',
      help: 'ask_specialist_agent round trip to the edge API; _count is the number of delegations, by specialist and outcome (ok, fallback, timeout).',
      labelNames: ['specialist', 'outcome'],
      buckets: SPECIALIST_BUCKETS,
      registers,
    });
    this.activeSessions = new Gauge({
      name: 'agent_active_sessions',
      help: 'Voice sessions running now (started and not yet ended).',
      registers,
    });
    this.jobs = new Counter({
      name: 'agent_jobs_total',
      help: 'Jobs this agent received from LiveKit (started sessions plus rejected jobs).',
      registers,
    });
    this.rejectedJobs = new Counter({
      name: 'agent_jobs_rejected_total',
      help: 'Jobs ended before a session started, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.providerErrors = new Counter({
      name: 'agent_provider_errors_total',
      help: 'Errors the session reported from a provider (stt, tts, llm), and whether the session recovered from it.',
      labelNames: ['provider', 'recovered'],
      registers,
    });
    this.apologies = new Counter({
      name: 'agent_replies_apologised_total',
      help: "Replies that ended in the spoken apology instead of the model's answer, by cause (error, first_token_timeout, stalled, empty).",
      labelNames: ['cause'],
      registers,
    });
    this.loopStalls = new Counter({
      name: 'agent_event_loop_stalls_total',
      help: "Event-loop stalls the framework's monitor reported (100 ms or more; it reports at most about six a minute per process), by what most of the stall was: own_work (the process's code), cpu_wait (waiting for a CPU: the machine is over capacity), blocking_call (a blocking call).",
      labelNames: ['cause'],
      registers,
    });
    this.spoolSent = new Counter({
      name: 'agent_log_spool_sets_sent_total',
      help: 'Logged sets the edge API accepted from the spool.',
      registers,
    });
    this.spoolRetried = new Counter({
      name: 'agent_log_spool_sets_retried_total',
      help: 'Logged sets in a batch that failed to send and will be retried.',
      registers,
    });
    this.spoolDeadLettered = new Counter({
      name: 'agent_log_spool_sets_dead_lettered_total',
      help: 'Logged sets the edge API refused for good, moved to dead-letter.jsonl in the spool directory.',
      registers,
    });
    const metrics = this;
    new Gauge({
      name: 'agent_log_spool_waiting_sets',
      help: 'Logged sets on disk waiting for the edge API to accept them.',
      registers,
      collect() {
        this.set(metrics.spool?.size ?? 0);
      },
    });
    new Gauge({
      name: 'agent_log_spool_oldest_waiting_age_seconds',
      help: 'How long ago the set that has waited longest in a spool was logged (0 when none waits); the maximum over processes.',
      aggregator: 'max',
      registers,
      collect() {
        this.set(metrics.oldestWaitingAgeSeconds());
      },
    });
    // Every labelled series exists from the start at 0, so rate() and alerts see the first event.
    for (const reason of REJECTION_REASONS) this.rejectedJobs.inc({ reason }, 0);
    for (const cause of REPLY_FAILURES) this.apologies.inc({ cause }, 0);
    for (const cause of STALL_CAUSES) this.loopStalls.inc({ cause }, 0);
    for (const provider of PROVIDER_KINDS) {
      for (const recovered of ['true', 'false'])
        this.providerErrors.inc({ provider, recovered }, 0);
    }
    if (settings.processMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'agent_job_' });
    }
  }

  // ------------------------------------------------------------------ jobs and sessions

  jobReceived(): void {
    this.jobs.inc();
  }

  jobRejected(reason: RejectionReason): void {
    this.rejectedJobs.inc({ reason: boundedLabel(reason, REJECTION_REASONS) });
  }

  /** Counts a running session; the returned function ends it (once, however often called). */
  sessionStarted(): () => void {
    this.activeSessions.inc();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.activeSessions.dec();
    };
  }

  /** An `error` event of the AgentSession: its `type` names the provider kind. */
  providerError(error: { type?: unknown; recoverable?: unknown }): void {
    this.providerErrors.inc({
      provider: PROVIDER_OF_ERROR_TYPE.get(error.type) ?? 'other',
      recovered: error.recoverable === true ? 'true' : 'false',
    });
  }

  /** The coach said the apology instead of the model's reply (agent/resilience/reply-deadline.ts). */
  replyApologised(cause: ReplyFailure): void {
    this.apologies.inc({ cause: boundedLabel(cause, REPLY_FAILURES) });
  }

  /** The event loop stalled, mostly for `cause` (agent/metrics/loop-stall-cause.ts). */
  loopStalled(cause: StallCause): void {
    this.loopStalls.inc({ cause: boundedLabel(cause, STALL_CAUSES) });
  }

  // ------------------------------------------------------------------ voice, tools, specialists

  voiceLatency(kind: VoiceLatencyKind, milliseconds: number): void {
    if (Number.isFinite(milliseconds) && milliseconds >= 0) {
      this.voice[kind].observe(milliseconds / 1000);
    }
  }

  /** The session's first audio (the greeting) went out, `milliseconds` after the job started. */
  greetingPlayed(milliseconds: number): void {
    if (Number.isFinite(milliseconds) && milliseconds >= 0) {
      this.greeting.observe(milliseconds / 1000);
    }
  }

  toolCall(tool: string, outcome: string, seconds: number): void {
    this.toolCalls.observe(
      { tool: boundedLabel(tool, TOOL_NAMES), outcome: boundedLabel(outcome, TOOL_OUTCOMES) },
      seconds,
    );
  }

  specialistCall(specialist: string, outcome: SpecialistOutcome, seconds: number): void {
    this.specialistCalls.observe(
      {
        specialist: boundedLabel(specialist, SPECIALISTS),
        outcome: boundedLabel(outcome, SPECIALIST_OUTCOMES),
      },
      seconds,
    );
  }

  // ------------------------------------------------------------------ log spool

  /** The spool whose depth and oldest set the gauges report. */
  watchSpool(spool: SpoolGaugeSource): void {
    this.spool = spool;
  }

  /** Hand to the spool's `observer` option. */
  readonly spoolObserver: LogSpoolObserver = {
    delivered: (count) => this.spoolSent.inc(count),
    retrying: (count) => this.spoolRetried.inc(count),
    deadLettered: (count) => this.spoolDeadLettered.inc(count),
  };

  private oldestWaitingAgeSeconds(): number {
    const loggedAt = this.spool?.oldestWaitingLoggedAt;
    if (loggedAt === undefined) return 0;
    const age = (this.now() - Date.parse(loggedAt)) / 1000;
    return Number.isFinite(age) ? Math.max(0, age) : 0;
  }
}
