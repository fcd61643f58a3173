/**
 * How loud the coach's audio is as the page plays it, measured with a WebAudio analyser on the
 * received track. The page shows it as a meter and keeps the loudest level seen in the DOM, so a
 * person (and the browser test) can tell audio that plays from silence.
 */

/** Root mean square of samples in [-1, 1]: 0 for silence, about 0.7 for a full-scale sine. */
export function rms(samples: Float32Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  return Math.sqrt(sum / samples.length);
}

export class AudioLevelMeter {
  readonly #context: AudioContext;
  readonly #analyser: AnalyserNode;
  readonly #samples: Float32Array<ArrayBuffer>;
  #source: MediaStreamAudioSourceNode | undefined;

  constructor(context: AudioContext) {
    this.#context = context;
    this.#analyser = context.createAnalyser();
    this.#analyser.fftSize = 1024;
    this.#samples = new Float32Array(this.#analyser.fftSize);
  }

  /** Measures `track` from now on (the coach has one audio track at a time). */
  watch(track: MediaStreamTrack): void {
    this.#source?.disconnect();
    this.#source = this.#context.createMediaStreamSource(new MediaStream([track]));
    // Measured only, not played: the page's audio element plays the track.
    this.#source.connect(this.#analyser);
  }

  /** The level of the last few milliseconds of audio. */
  level(): number {
    if (!this.#source) return 0;
    this.#analyser.getFloatTimeDomainData(this.#samples);
    return rms(this.#samples);
  }

  stop(): void {
    this.#source?.disconnect();
    this.#source = undefined;
  }
}
