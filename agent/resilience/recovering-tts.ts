/**
 * A text-to-speech wrapper that never lets a reply fall silent when the provider's socket drops.
 *
 * Why: when the Cartesia socket drops mid-reply, @livekit/agents-plugin-cartesia 1.8.1 fails the
 * attempt and the framework retries it, but the retry reads the same input queue the first
 * attempt already consumed, so it synthesises nothing and ends as if it had succeeded: the user
 * hears nothing for that turn.
 *
 * How: the wrapper keeps every piece of text it was given and runs the plugin with its own retries
 * off, so a drop surfaces as a stream that ends without its end-of-stream marker. If no audio of
 * the reply reached the user yet, a fresh plugin stream (the plugin dials a fresh socket) gets the
 * whole text again. If some audio already played, repeating the start would sound broken, so the
 * user hears a short apology instead. Either way the next turn starts on a fresh stream.
 */
import { APIConnectionError, type APIConnectOptions, tts } from '@livekit/agents';
import type { Logger } from '../../shared/runtime.ts';
import { AppendOnlyBuffer } from '../append-only-buffer.ts';

/** Said when a reply cannot be finished; short, so it fits where the reply stopped. */
export const SPEECH_APOLOGY = 'Sorry, I lost my voice for a second. Could you ask me that again?';

export interface RecoveringTtsOptions {
  logger: Logger;
  /**
   * Fresh attempts at a reply before any of its audio played, before falling back to the apology.
   * @defaultValue 1
   */
  maxReplyRetries?: number;
  /** @defaultValue SPEECH_APOLOGY */
  apology?: string;
}

export const defaultRecoveringTtsOptions = {
  maxReplyRetries: 1,
  apology: SPEECH_APOLOGY,
} as const satisfies Partial<RecoveringTtsOptions>;

type Settings = Required<RecoveringTtsOptions>;

export class RecoveringTTS extends tts.TTS {
  readonly label: string;
  readonly #inner: tts.TTS;
  readonly #settings: Settings;

  constructor(inner: tts.TTS, options: RecoveringTtsOptions) {
    super(inner.sampleRate, inner.numChannels, inner.capabilities);
    this.#inner = inner;
    this.#settings = { ...defaultRecoveringTtsOptions, ...options };
    this.label = `RecoveringTTS<${inner.label}>`;
    // Failures are handled here and reported once, by class only (messages can quote the text).
    inner.on('error', (event) => {
      this.#settings.logger.warn('tts_provider_error', {
        error: event.error.name,
        recoverable: event.recoverable,
      });
    });
    inner.on('metrics_collected', (metrics) => this.emit('metrics_collected', metrics));
  }

  override get model(): string {
    return this.#inner.model;
  }

  override get provider(): string {
    return this.#inner.provider;
  }

  override _setExpressive(enabled: boolean): void {
    super._setExpressive(enabled);
    this.#inner._setExpressive(enabled);
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal) {
    return this.#inner.synthesize(text, connOptions, abortSignal);
  }

  stream(options?: { connOptions?: APIConnectOptions }): tts.SynthesizeStream {
    return new RecoveringSynthesizeStream(this, this.#inner, this.#settings, options?.connOptions);
  }

  override async close(): Promise<void> {
    await this.#inner.close();
  }
}

type Piece = string | typeof FLUSH;
const FLUSH = Symbol('flush');

/** Text received so far, and a way to wait for more. */
class TextBuffer extends AppendOnlyBuffer<Piece> {
  hasWords(): boolean {
    return this.items.some((piece) => typeof piece === 'string' && piece.trim() !== '');
  }
}

type AttemptResult = 'finished' | 'failed';

class RecoveringSynthesizeStream extends tts.SynthesizeStream {
  label = 'RecoveringSynthesizeStream';
  readonly #inner: tts.TTS;
  readonly #settings: Settings;

  constructor(
    wrapper: RecoveringTTS,
    inner: tts.TTS,
    settings: Settings,
    connOptions?: APIConnectOptions,
  ) {
    super(wrapper, connOptions);
    this.#inner = inner;
    this.#settings = settings;
  }

  protected async run(): Promise<void> {
    const reply = new TextBuffer();
    const reading = this.#readInput(reply);
    let audioPlayed = false;
    for (let retries = 0; ; retries++) {
      const result = await this.#attempt(reply, () => {
        audioPlayed = true;
      });
      if (result === 'finished' || this.abortSignal.aborted) break;
      if (audioPlayed || retries >= this.#settings.maxReplyRetries) {
        this.#settings.logger.warn('tts_reply_apologised', { audio_played: audioPlayed });
        const apology = new TextBuffer();
        apology.add(this.#settings.apology);
        apology.end();
        if ((await this.#attempt(apology, () => undefined)) === 'failed') {
          if (this.abortSignal.aborted) break;
          throw new APIConnectionError({
            message: 'speech synthesis failed for the reply and for the apology',
            options: { retryable: false },
          });
        }
        break;
      }
      this.#settings.logger.warn('tts_reply_retried', { retry: retries + 1 });
    }
    await reading;
  }

  async #readInput(reply: TextBuffer): Promise<void> {
    for await (const piece of this.input) {
      reply.add(piece === RecoveringSynthesizeStream.FLUSH_SENTINEL ? FLUSH : piece);
    }
    reply.end();
  }

  /** Synthesises `text` on a fresh plugin stream; `failed` when it ended without finishing. */
  async #attempt(text: TextBuffer, onAudio: () => void): Promise<AttemptResult> {
    // Retrying inside the plugin would re-read input it already consumed; this class retries.
    const stream = this.#inner.stream({ connOptions: { ...this.connOptions, maxRetry: 0 } });
    let active = true;
    const feeding = (async () => {
      let next = 0;
      while (active) {
        while (next < text.items.length) {
          const piece = text.items[next++];
          if (piece === FLUSH) stream.flush();
          else if (piece !== undefined) stream.pushText(piece);
        }
        if (text.ended) {
          stream.endInput();
          return;
        }
        await text.changed();
      }
    })();
    let heardAudio = false;
    let finished = false;
    try {
      for await (const audio of stream) {
        if (audio === tts.SynthesizeStream.END_OF_STREAM) {
          finished = true;
          break;
        }
        if (!heardAudio) this.markStarted(stream.startedTime);
        heardAudio = true;
        onAudio();
        this.queue.put(audio);
      }
    } finally {
      active = false;
      stream.close();
    }
    // The feeder stops at its next wake-up; nothing waits on it once the attempt is over.
    void feeding;
    // A plugin stream can also "finish" with no audio for real words: that is a lost reply too.
    if (finished && (heardAudio || !text.hasWords())) {
      this.queue.put(tts.SynthesizeStream.END_OF_STREAM);
      return 'finished';
    }
    return 'failed';
  }
}
