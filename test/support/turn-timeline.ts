/**
 * Where the time of one voice turn went, from the end of the caller's speech to the first coach
 * audio the caller heard, read from the caller and the stand-ins (all on one clock,
 * performance.now(), in this process). For one caller at a time: with several callers at once the
 * stand-ins' records cannot be told apart by time alone.
 */
import { roundToTenth } from '../../shared/round.ts';
import type { CartesiaGeneration } from './cartesia-standin.ts';
import type { HeardUtterance } from './deepgram-standin.ts';
import type { RecordedRequest } from './openai-standin.ts';
import type { SpokenTurn } from './voice-caller.ts';

/** Milliseconds after the end of the caller's speech at which each step happened. */
export interface TurnTimeline {
  /** The Deepgram stand-in decided the utterance had ended. */
  endpointed_ms: number;
  /** Its final transcript went out to the agent. */
  transcript_ms: number;
  /**
   * The agent asked the voice model (first request of the turn). With preemptive generation it
   * asks on the final transcript, before it has committed the turn.
   */
  end_of_turn_ms: number;
  /** The agent committed the user's turn (its `turn_latency` log line), when it was read. */
  turn_committed_ms?: number;
  /** The first token of the answer that was spoken (after any tool calls). */
  model_first_token_ms: number;
  /** The agent asked Cartesia for the answer's first words. */
  tts_request_ms: number;
  /** Cartesia's first audio of the answer. */
  tts_first_audio_ms: number;
  /** The caller heard the first non-silent frame of the answer. */
  caller_heard_ms: number;
}

/** The same turn as consecutive parts that add up to `caller_heard_ms`. */
export interface TurnParts {
  /** Speech to text: endpointing and transcription (the provider's share). */
  stt_ms: number;
  /** The agent's own end-of-turn decision after the transcript (VAD silence, endpointing delay). */
  agent_end_of_turn_ms: number;
  /** The voice model, including tool round trips, to the first spoken token (the provider's). */
  llm_ms: number;
  /** The agent handing the first words to text-to-speech. */
  agent_to_tts_ms: number;
  /** Text-to-speech time to first audio (the provider's). */
  tts_ms: number;
  /** The agent's audio pipeline, WebRTC through livekit-server, and the caller's playout. */
  transport_ms: number;
}

export interface TurnRecords {
  turn: SpokenTurn;
  heardAt: number;
  utterances: readonly HeardUtterance[];
  llmRequests: readonly RecordedRequest[];
  generations: readonly CartesiaGeneration[];
}

/** The timeline of `turn`, or a sentence saying which record is missing. */
export function turnTimeline(records: TurnRecords): TurnTimeline | string {
  const { turn, heardAt } = records;
  // The last transcript of the turn before the reply was heard: a turn split into pieces is
  // answered after its last piece.
  const utterance = records.utterances.findLast(
    (u) => u.lastLoudAt >= turn.startedAt && u.sentAt !== undefined && u.sentAt <= heardAt,
  );
  if (!utterance?.sentAt) return 'no transcript was sent for the turn';
  const requests = records.llmRequests.filter(
    (r) => r.receivedAt >= (utterance.sentAt ?? 0) && r.receivedAt <= heardAt,
  );
  const first = requests[0];
  if (!first) return 'the voice model was not asked before the caller heard the reply';
  const generation = records.generations.find(
    (g) => g.requestedAt >= first.receivedAt && g.requestedAt <= heardAt,
  );
  if (!generation?.firstAudioAt) return 'no speech was synthesised before the caller heard it';
  const speaking = requests.filter((r) => r.receivedAt <= generation.requestedAt).at(-1) ?? first;
  const at = (time: number) => roundToTenth(time - turn.endedAt);
  return {
    endpointed_ms: at(utterance.detectedAt),
    transcript_ms: at(utterance.sentAt),
    end_of_turn_ms: at(first.receivedAt),
    model_first_token_ms: at(speaking.firstTokenAt ?? speaking.receivedAt),
    tts_request_ms: at(generation.requestedAt),
    tts_first_audio_ms: at(generation.firstAudioAt),
    caller_heard_ms: at(heardAt),
  };
}

export function turnParts(timeline: TurnTimeline): TurnParts {
  return {
    stt_ms: roundToTenth(timeline.transcript_ms),
    agent_end_of_turn_ms: roundToTenth(timeline.end_of_turn_ms - timeline.transcript_ms),
    llm_ms: roundToTenth(timeline.model_first_token_ms - timeline.end_of_turn_ms),
    agent_to_tts_ms: roundToTenth(timeline.tts_request_ms - timeline.model_first_token_ms),
    tts_ms: roundToTenth(timeline.tts_first_audio_ms - timeline.tts_request_ms),
    transport_ms: roundToTenth(timeline.caller_heard_ms - timeline.tts_first_audio_ms),
  };
}

/** One line for a log or the demo: each step's offset from the end of speech. */
export function describeTimeline(timeline: TurnTimeline): string {
  return [
    `endpointed +${timeline.endpointed_ms} ms`,
    `transcript +${timeline.transcript_ms}`,
    `model asked +${timeline.end_of_turn_ms}`,
    ...(timeline.turn_committed_ms === undefined
      ? []
      : [`turn committed +${timeline.turn_committed_ms}`]),
    `model first token +${timeline.model_first_token_ms}`,
    `tts request +${timeline.tts_request_ms}`,
    `tts first audio +${timeline.tts_first_audio_ms}`,
    `first audio heard +${timeline.caller_heard_ms}`,
  ].join(' | ');
}
