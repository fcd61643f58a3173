/**
 * The turn protocol of Deepgram Flux (`/v2/listen`), for the Deepgram stand-in: what a Flux
 * stream sends as a caller speaks, pauses and stops. Flux reports turns, not utterances:
 * `StartOfTurn` when speech begins, `EagerEndOfTurn` when it is moderately sure the turn is over
 * (only when the stream set `eager_eot_threshold`), `TurnResumed` when speech comes back after
 * that, and `EndOfTurn` with the turn's transcript, which always matches the eager one before it.
 * Message shapes follow Deepgram's Flux reference; the state machine follows "Understanding the
 * Flux State Machine".
 *
 * Simplifications, each because the stand-in learns a turn's words only once speech stops (from
 * the test's script): no `Update` messages while the caller speaks, and the words of a turn are
 * decided at its first pause and kept if the caller resumes (one scripted line is one turn).
 * Flux decides the end of a turn from what was said as well as from silence; the stand-in uses
 * silence alone (`eagerEndOfTurnMs`, `endOfTurnMs`), so a test of unfinished sentences tests the
 * agent's own end-of-turn decision, not Flux's.
 */

/** Query parameters of a Flux stream, as Deepgram validates them. */
export interface FluxParams {
  model: string;
  /** Undefined when eager end of turn is off (the parameter was not sent). */
  eagerEotThreshold?: number;
  eotThreshold: number;
}

/** Deepgram's defaults and allowed ranges for the Flux end-of-turn parameters. */
const FLUX_DEFAULT_EOT_THRESHOLD = 0.7;
const EAGER_RANGE = [0.3, 0.9] as const;
const EOT_RANGE = [0.5, 1.0] as const;
const EOT_TIMEOUT_RANGE = [500, 60_000] as const;

function inRange(value: number, [low, high]: readonly [number, number]): boolean {
  return Number.isFinite(value) && value >= low && value <= high;
}

/** The stream's Flux parameters, or why Deepgram would refuse them (a 400). */
export function parseFluxParams(params: URLSearchParams): FluxParams | string {
  const model = params.get('model');
  if (!model?.startsWith('flux-')) return `model must be a Flux model on /v2/listen, got ${model}`;
  const eot = Number(params.get('eot_threshold') ?? FLUX_DEFAULT_EOT_THRESHOLD);
  if (!inRange(eot, EOT_RANGE)) return 'eot_threshold must be between 0.5 and 1.0';
  const eagerParam = params.get('eager_eot_threshold');
  const eager = eagerParam === null ? undefined : Number(eagerParam);
  if (eager !== undefined && !inRange(eager, EAGER_RANGE)) {
    return 'eager_eot_threshold must be between 0.3 and 0.9';
  }
  if (eager !== undefined && eager > eot) {
    return 'eager_eot_threshold must not exceed eot_threshold';
  }
  const timeout = params.get('eot_timeout_ms');
  if (timeout !== null && !inRange(Number(timeout), EOT_TIMEOUT_RANGE)) {
    return 'eot_timeout_ms must be between 500 and 60000';
  }
  return { model, eotThreshold: eot, ...(eager === undefined ? {} : { eagerEotThreshold: eager }) };
}

export type FluxTurnEvent =
  | 'Update'
  | 'StartOfTurn'
  | 'EagerEndOfTurn'
  | 'TurnResumed'
  | 'EndOfTurn';

export interface FluxTimings {
  /** Quiet after speech before `EagerEndOfTurn`. */
  eagerEndOfTurnMs: number;
  /** Quiet after speech before `EndOfTurn`. */
  endOfTurnMs: number;
}

/** What the turn machine needs from its stream. */
export interface FluxTurnSink {
  send(message: object): void;
  requestId: string;
}

function wordsOf(transcript: string) {
  return transcript
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => ({
      word: word.toLowerCase().replace(/[^\p{L}\p{N}']/gu, ''),
      confidence: 0.99,
    }));
}

/** When each message of one pause went out (performance.now()). */
export interface FluxPauseRecord {
  /** The `EagerEndOfTurn`, or the `EndOfTurn` when eager turns are off. */
  sentAt?: number;
  /** The `EndOfTurn`, unless the caller resumed first. */
  finalAt?: number;
}

/** One Flux stream's turns. Driven by the stand-in's utterance detector. */
export class FluxTurns {
  readonly #sink: FluxTurnSink;
  readonly #params: FluxParams;
  readonly #timings: FluxTimings;
  #sequenceId = 0;
  #turnIndex = 0;
  #state: 'idle' | 'speaking' | 'awaiting-end' = 'idle';
  #transcript: string | undefined;
  #windowStart = 0;
  #windowEnd = 0;
  #endTimer?: ReturnType<typeof setTimeout>;

  constructor(sink: FluxTurnSink, params: FluxParams, timings: FluxTimings) {
    this.#sink = sink;
    this.#params = params;
    this.#timings = timings;
  }

  get eager(): boolean {
    return this.#params.eagerEotThreshold !== undefined;
  }

  /** Quiet that makes the detector report a pause: the first end-of-turn message is due then. */
  get pauseMs(): number {
    return this.eager ? this.#timings.eagerEndOfTurnMs : this.#timings.endOfTurnMs;
  }

  connected(): object {
    return { type: 'Connected', request_id: this.#sink.requestId, sequence_id: this.#next() };
  }

  speechStarted(startSeconds: number): void {
    if (this.#state === 'awaiting-end') {
      clearTimeout(this.#endTimer);
      this.#state = 'speaking';
      this.#sendTurnInfo('TurnResumed', 0);
      return;
    }
    if (this.#state === 'speaking') return;
    this.#state = 'speaking';
    this.#windowStart = startSeconds;
    this.#sendTurnInfo('StartOfTurn', 0);
  }

  /**
   * The caller paused for `pauseMs`: the eager end of turn now, the end of turn after more quiet.
   * `transcribe` gives the turn's words (undefined when nothing intelligible was said).
   */
  paused(
    endSeconds: number,
    record: FluxPauseRecord,
    transcribe: () => string | undefined,
  ): string | undefined {
    if (this.#state === 'idle') this.speechStarted(0);
    this.#windowEnd = endSeconds;
    // The words are decided once per turn: speech that resumes continues the same line.
    this.#transcript ??= transcribe();
    this.#state = 'awaiting-end';
    const transcript = this.#transcript;
    if (this.eager && transcript) {
      this.#sendTurnInfo('EagerEndOfTurn', this.#params.eagerEotThreshold ?? 0);
      record.sentAt = performance.now();
    }
    const remaining = this.eager ? this.#timings.endOfTurnMs - this.#timings.eagerEndOfTurnMs : 0;
    const end = () => {
      if (this.#state !== 'awaiting-end') return;
      this.endTurn();
      record.finalAt = performance.now();
      record.sentAt ??= record.finalAt;
    };
    if (remaining > 0) this.#endTimer = setTimeout(end, remaining);
    else end();
    return transcript;
  }

  /** Ends the current turn now with its transcript (or `transcript`, for a scripted turn). */
  endTurn(transcript?: string): void {
    clearTimeout(this.#endTimer);
    if (transcript !== undefined) {
      this.#transcript = transcript;
      if (this.#state === 'idle') this.#sendTurnInfo('StartOfTurn', 0);
    }
    this.#sendTurnInfo('EndOfTurn', this.#params.eotThreshold);
    this.#turnIndex++;
    this.#state = 'idle';
    this.#transcript = undefined;
  }

  stop(): void {
    clearTimeout(this.#endTimer);
  }

  #next(): number {
    return this.#sequenceId++;
  }

  #sendTurnInfo(event: FluxTurnEvent, endOfTurnConfidence: number): void {
    const withWords = event === 'EagerEndOfTurn' || event === 'EndOfTurn';
    const transcript = withWords ? (this.#transcript ?? '') : '';
    this.#sink.send({
      type: 'TurnInfo',
      request_id: this.#sink.requestId,
      sequence_id: this.#next(),
      event,
      turn_index: this.#turnIndex,
      audio_window_start: this.#windowStart,
      audio_window_end: this.#windowEnd,
      transcript,
      words: wordsOf(transcript),
      end_of_turn_confidence: endOfTurnConfidence,
    });
  }
}
