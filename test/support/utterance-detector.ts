/**
 * Endpointing for the Deepgram stand-in: decides from the audio itself when someone started and
 * stopped speaking, the way the live service does (energy for speech, a stretch of quiet for its
 * end). Quiet is measured two ways, whichever ends the utterance first: quiet audio received, and
 * wall-clock time with no loud audio. The second matters because the Deepgram plugin gates its
 * audio with an energy filter and stops sending frames about a second after the caller goes quiet,
 * so a stand-in that only counted quiet frames could wait forever.
 */

export interface UtteranceDetectorOptions {
  /** Quiet that ends an utterance (Deepgram's `endpointing`); read at each use, so it may change. */
  endpointingMs: number;
  /** RMS of a chunk, as a fraction of full scale, above which it is speech. */
  speechRms?: number;
  /** Loud audio needed before it counts as an utterance (a click is not speech). */
  minSpeechMs?: number;
}

export const defaultUtteranceDetectorOptions = {
  // Just above the Deepgram plugin's own energy gate (0.004): quiet consonants still count.
  speechRms: 0.005,
  minSpeechMs: 100,
} as const satisfies Partial<UtteranceDetectorOptions>;

export interface DetectedUtterance {
  /** Seconds of stream audio where the speech started and ended. */
  startSeconds: number;
  endSeconds: number;
  /** performance.now() of the chunk that carried its last loud audio. */
  lastLoudAt: number;
  /** performance.now() when the detector decided the utterance had ended. */
  detectedAt: number;
}

export interface UtteranceEvents {
  onSpeechStarted(startSeconds: number): void;
  onUtteranceEnd(utterance: DetectedUtterance): void;
}

/** RMS of little-endian 16-bit PCM, as a fraction of full scale. */
export function pcmRms(pcm: Buffer): number {
  const samples = Math.floor(pcm.length / 2);
  if (samples === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples; i++) {
    const value = pcm.readInt16LE(i * 2) / 32768;
    sum += value * value;
  }
  return Math.sqrt(sum / samples);
}

export class UtteranceDetector {
  private readonly options: UtteranceDetectorOptions;
  private readonly events: UtteranceEvents;
  private readonly now: () => number;
  private receivedSeconds = 0;
  private speech?: {
    startSeconds: number;
    loudSeconds: number;
    endSeconds: number;
    lastLoudAt: number;
    announced: boolean;
  };
  private quietSeconds = 0;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    options: UtteranceDetectorOptions,
    events: UtteranceEvents,
    now: () => number = () => performance.now(),
  ) {
    this.options = options;
    this.events = events;
    this.now = now;
  }

  private get speechRms(): number {
    return this.options.speechRms ?? defaultUtteranceDetectorOptions.speechRms;
  }

  private get minSpeechMs(): number {
    return this.options.minSpeechMs ?? defaultUtteranceDetectorOptions.minSpeechMs;
  }

  /** Seconds of audio received so far. */
  get audioSeconds(): number {
    return this.receivedSeconds;
  }

  /** Feeds one chunk of audio lasting `seconds`. */
  push(pcm: Buffer, seconds: number): void {
    const chunkStart = this.receivedSeconds;
    this.receivedSeconds += seconds;
    if (pcmRms(pcm) >= this.speechRms) {
      this.onLoud(chunkStart, seconds);
      return;
    }
    if (!this.speech) return;
    this.quietSeconds += seconds;
    if (this.quietSeconds * 1000 >= this.options.endpointingMs) this.end();
  }

  /** Stops the wall-clock check (the stream closed). */
  stop(): void {
    clearTimeout(this.timer);
    this.speech = undefined;
  }

  private onLoud(chunkStart: number, seconds: number): void {
    const now = this.now();
    this.speech ??= {
      startSeconds: chunkStart,
      loudSeconds: 0,
      endSeconds: 0,
      lastLoudAt: now,
      announced: false,
    };
    const speech = this.speech;
    speech.loudSeconds += seconds;
    speech.endSeconds = chunkStart + seconds;
    speech.lastLoudAt = now;
    this.quietSeconds = 0;
    if (!speech.announced && speech.loudSeconds * 1000 >= this.minSpeechMs) {
      speech.announced = true;
      this.events.onSpeechStarted(speech.startSeconds);
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), this.options.endpointingMs);
  }

  private end(): void {
    clearTimeout(this.timer);
    const speech = this.speech;
    this.speech = undefined;
    this.quietSeconds = 0;
    if (!speech?.announced) return;
    this.events.onUtteranceEnd({
      startSeconds: speech.startSeconds,
      endSeconds: speech.endSeconds,
      lastLoudAt: speech.lastLoudAt,
      detectedAt: this.now(),
    });
  }
}
