/**
 * Collects what the one-line session summary reports: turns, tool calls and latency percentiles
 * from the framework's metrics events. End-to-end latency of a reply is the sum of its
 * end-of-utterance delay, LLM time to first token and TTS time to first byte (joined by speech id):
 * the time from the user going quiet to the first audio of the answer. A line a tool said itself
 * (say-instead-of-replying.ts) is a speech of its own; its audio counts for the turn it answers.
 */
import { type metrics, voice } from '@livekit/agents';
import { roundToTenth } from '../shared/round.ts';
import type { VoiceLatencyKind } from './metrics/job-metrics.ts';
import { turnAnsweredBy } from './say-instead-of-replying.ts';

const Events = voice.AgentSessionEventTypes;

export interface Percentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** The nearest-rank `p`th percentile of ascending `sorted` values (0 when empty). */
export function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Nearest-rank percentiles, rounded to 0.1 ms. */
export function percentiles(values: readonly number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: null, p95: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => roundToTenth(nearestRank(sorted, p));
  return { count: sorted.length, p50: at(50), p95: at(95), max: at(100) };
}

export interface SessionSummary {
  duration_s: number;
  /**
   * From the job reaching its process to the agent's first audio going to the room (the
   * greeting, unless the caller spoke first); null when the agent never spoke, which in a session
   * longer than a few seconds means a caller left in silence.
   */
  greeting_ms: number | null;
  turns: number;
  tool_calls: number;
  eou_delay_ms: Percentiles;
  llm_ttft_ms: Percentiles;
  tts_ttfb_ms: Percentiles;
  end_to_end_ms: Percentiles;
}

interface SpeechTimings {
  eou?: number;
  /** How long the transcript came after the end of speech (part of `eou`). */
  transcription?: number;
  /** When the turn was committed (epoch ms), from the end-of-utterance metrics. */
  committedAt?: number;
  /** The model's first-token times of every request before the audio started, added up. */
  ttft?: number;
  ttfb?: number;
  /** The reply's end-to-end latency was handed to onLatency. */
  reported?: boolean;
}

/** Told each latency as it is recorded (agent/metrics turns them into histograms). */
export type LatencyObserver = (kind: VoiceLatencyKind, milliseconds: number) => void;

/** One reply's wait, split into its parts: logged once per turn (agent/session.ts). */
export interface TurnLatency {
  /** When the user's turn was committed (epoch ms): the voice benchmark lines its stages up by it. */
  committed_at: number;
  /** End of speech (VAD) to the turn committed; includes the transcript's delay. */
  eou_delay_ms: number;
  transcription_delay_ms: number;
  llm_ttft_ms: number;
  tts_ttfb_ms: number;
  end_to_end_ms: number;
}
export type TurnObserver = (turn: TurnLatency) => void;

export class SessionStats {
  private readonly startedAt: number;
  private turns = 0;
  private toolCalls = 0;
  private greetingMs: number | undefined;
  private readonly eou: number[] = [];
  private readonly ttft: number[] = [];
  private readonly ttfb: number[] = [];
  private readonly bySpeech = new Map<string, SpeechTimings>();
  private readonly onLatency: LatencyObserver;
  private readonly onTurn: TurnObserver;
  /** The turn a speech belongs to: itself, unless a tool said it as part of a turn. */
  private turnOf: (speechId: string) => string = (speechId) => speechId;

  constructor(
    startedAt: number = Date.now(),
    onLatency: LatencyObserver = () => undefined,
    onTurn: TurnObserver = () => undefined,
  ) {
    this.startedAt = startedAt;
    this.onLatency = onLatency;
    this.onTurn = onTurn;
  }

  /** The agent's first audio, `milliseconds` after the job started; later calls are ignored. */
  greetingPlayed(milliseconds: number): void {
    this.greetingMs ??= roundToTenth(milliseconds);
  }

  attach(session: voice.AgentSession): void {
    this.turnOf = (speechId) => turnAnsweredBy(session, speechId) ?? speechId;
    session.on(Events.MetricsCollected, (event) => this.recordMetrics(event.metrics));
    session.on(Events.ConversationItemAdded, (event) => {
      if (event.item.type === 'message' && event.item.role === 'user') this.turns++;
    });
    session.on(Events.FunctionToolsExecuted, (event) => {
      this.toolCalls += event.functionCalls.length;
    });
  }

  recordMetrics(m: metrics.AgentMetrics): void {
    // A reply's audio starts with its first TTS request, so first-seen TTS values win per speech
    // id. Every model request before that audio is waited for: a tool call, then the reply
    // written from the tool's output, so their first-token times add up until the audio starts.
    const timings = (speechId: string | undefined) => {
      if (!speechId) return undefined;
      const id = this.turnOf(speechId);
      const existing = this.bySpeech.get(id);
      if (existing) return existing;
      const created: SpeechTimings = {};
      this.bySpeech.set(id, created);
      return created;
    };
    let t: SpeechTimings | undefined;
    if (m.type === 'eou_metrics') {
      this.eou.push(m.endOfUtteranceDelayMs);
      this.onLatency('eou_delay', m.endOfUtteranceDelayMs);
      t = timings(m.speechId);
      if (t && t.eou === undefined) {
        t.eou = m.endOfUtteranceDelayMs;
        t.transcription = m.transcriptionDelayMs;
        t.committedAt = m.timestamp;
      }
    } else if (m.type === 'llm_metrics' && !m.cancelled) {
      this.ttft.push(m.ttftMs);
      this.onLatency('llm_ttft', m.ttftMs);
      t = timings(m.speechId);
      if (t && t.ttfb === undefined) t.ttft = (t.ttft ?? 0) + m.ttftMs;
    } else if (m.type === 'tts_metrics' && !m.cancelled) {
      this.ttfb.push(m.ttfbMs);
      this.onLatency('tts_ttfb', m.ttfbMs);
      t = timings(m.speechId);
      if (t) t.ttfb ??= m.ttfbMs;
    }
    const total = t && endToEnd(t);
    if (t && total !== undefined && !t.reported) {
      t.reported = true;
      this.onLatency('end_to_end', total);
      this.onTurn({
        committed_at: t.committedAt ?? 0,
        eou_delay_ms: roundToTenth(t.eou ?? 0),
        transcription_delay_ms: roundToTenth(t.transcription ?? 0),
        llm_ttft_ms: roundToTenth(t.ttft ?? 0),
        tts_ttfb_ms: roundToTenth(t.ttfb ?? 0),
        end_to_end_ms: roundToTenth(total),
      });
    }
  }

  summary(now: number = Date.now()): SessionSummary {
    const replies: number[] = [];
    for (const t of this.bySpeech.values()) {
      const total = endToEnd(t);
      if (total !== undefined) replies.push(total);
    }
    return {
      duration_s: roundToTenth((now - this.startedAt) / 1000),
      greeting_ms: this.greetingMs ?? null,
      turns: this.turns,
      tool_calls: this.toolCalls,
      eou_delay_ms: percentiles(this.eou),
      llm_ttft_ms: percentiles(this.ttft),
      tts_ttfb_ms: percentiles(this.ttfb),
      end_to_end_ms: percentiles(replies),
    };
  }
}

/** A reply's wait from the user going quiet to its first audio, once all three parts are known. */
function endToEnd(t: SpeechTimings): number | undefined {
  return t.eou !== undefined && t.ttft !== undefined && t.ttfb !== undefined
    ? t.eou + t.ttft + t.ttfb
    : undefined;
}
