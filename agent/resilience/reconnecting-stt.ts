/**
 * A speech-to-text wrapper that keeps the coach listening when the provider's socket drops.
 *
 * Why: @livekit/agents-plugin-deepgram 1.9.0 never notices that its WebSocket closed (its close
 * monitor is a bare `Task` inside `Promise.all`, so the rejection is lost): it keeps writing audio
 * to the dead socket and the session hears nothing more. Upstream: livekit/agents-js issue #2469
 * ("deepgram/xai STT plugin: unexpected WebSocket close is never detected, reconnect never
 * fires"). Its Flux stream (STTv2, `/v2/listen`) has the same flaw: its receive task ends on the
 * close while its send task keeps writing (test/agent/reconnecting-stt.test.ts shows both). Drop
 * this wrapper (agent/resilience/reconnecting-stt.ts and socket-close-watch.ts, and its one line
 * in agent/session.ts) once a plugin release fixes that issue.
 *
 * How, without forking the plugin: each wrapper stream runs one plugin stream at a time, opened
 * under a socket-close watch (socket-close-watch.ts). When that stream's socket closes while the
 * session is still sending audio, the plugin stream is retired and a fresh one is opened at once;
 * audio keeps flowing into whichever stream is current. A plugin stream that ends on its own while
 * audio still flows (its retries used up) is replaced the same way, a bounded number of times in a
 * row, after which the failure is reported to the session like any STT error.
 */
import { APIConnectionError, type APIConnectOptions, stt } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import type { Logger } from '../../shared/runtime.ts';
import { runWatched } from './socket-close-watch.ts';

export interface ReconnectingSttOptions {
  /** Path prefix of the provider's streaming socket (Deepgram: `/v1/listen`). */
  socketPath: string;
  logger: Logger;
  /**
   * Fresh streams opened in a row without a final transcript in between before giving up.
   * @defaultValue 5
   */
  maxConsecutiveReopens?: number;
}

export const defaultReconnectingSttOptions = {
  maxConsecutiveReopens: 5,
} as const satisfies Partial<ReconnectingSttOptions>;

type Settings = Required<ReconnectingSttOptions>;

export class ReconnectingSTT extends stt.STT {
  readonly label: string;
  readonly #inner: stt.STT;
  readonly #settings: Settings;

  constructor(inner: stt.STT, options: ReconnectingSttOptions) {
    super(inner.capabilities);
    this.#inner = inner;
    this.#settings = { ...defaultReconnectingSttOptions, ...options };
    this.label = `ReconnectingSTT<${inner.label}>`;
    // The wrapper reports failures itself; the inner plugin's own error events are only logged
    // (by class, never by message, which can quote what the user said).
    inner.on('error', (event) => {
      this.#settings.logger.warn('stt_provider_error', {
        error: event.error.name,
        recoverable: event.recoverable,
      });
    });
  }

  override get model(): string {
    return this.#inner.model;
  }

  override get provider(): string {
    return this.#inner.provider;
  }

  protected _recognize(frame: AudioFrame | AudioFrame[], abortSignal?: AbortSignal) {
    return this.#inner.recognize(frame, abortSignal);
  }

  stream(options?: { connOptions?: APIConnectOptions }): stt.SpeechStream {
    return new ReconnectingSpeechStream(this, this.#inner, this.#settings, options?.connOptions);
  }

  override async close(): Promise<void> {
    await this.#inner.close();
  }
}

/** One plugin stream and whether its socket went away under it. */
interface Attempt {
  stream: stt.SpeechStream;
  /** Resolves when the socket closed while the session was still sending audio. */
  dropped: Promise<'dropped'>;
  /** Set once this wrapper stopped using the stream. */
  retired: boolean;
  /** Whether the stream produced a final transcript, i.e. it really worked. */
  heardFinal: boolean;
}

class ReconnectingSpeechStream extends stt.SpeechStream {
  label = 'ReconnectingSpeechStream';
  readonly #inner: stt.STT;
  readonly #settings: Settings;
  readonly #connOptions?: APIConnectOptions;
  #current?: Attempt;
  #inputEnded = false;
  #speaking = false;
  /** Seconds of audio handed to plugin streams, so a fresh one continues the timeline. */
  #audioSeconds = 0;

  constructor(
    wrapper: ReconnectingSTT,
    inner: stt.STT,
    settings: Settings,
    connOptions?: APIConnectOptions,
  ) {
    super(wrapper, undefined, connOptions);
    this.#inner = inner;
    this.#settings = settings;
    this.#connOptions = connOptions;
  }

  protected async run(): Promise<void> {
    let reopensInARow = 0;
    this.#current = this.#open();
    const pumping = this.#pumpInput();
    for (;;) {
      const attempt = this.#current;
      const outcome = await Promise.race([
        this.#forward(attempt).then(() => 'ended' as const),
        attempt.dropped,
      ]);
      attempt.retired = true;
      attempt.stream.close();
      if (this.#inputEnded || this.abortSignal.aborted) break;
      if (this.#speaking) {
        // The utterance in flight died with its socket; close it so the turn is not stuck open.
        this.#speaking = false;
        this.queue.put({ type: stt.SpeechEventType.END_OF_SPEECH });
      }
      reopensInARow = attempt.heardFinal ? 1 : reopensInARow + 1;
      if (reopensInARow > this.#settings.maxConsecutiveReopens) {
        throw new APIConnectionError({
          message: `speech-to-text stream failed ${reopensInARow} times in a row`,
          options: { retryable: false },
        });
      }
      this.#settings.logger.warn('stt_stream_reopened', {
        reason: outcome === 'dropped' ? 'socket_closed' : 'stream_ended',
        reopens_in_a_row: reopensInARow,
      });
      this.#current = this.#open();
    }
    await pumping;
  }

  /** Opens a plugin stream whose socket closing (while audio still flows) marks it dropped. */
  #open(): Attempt {
    let markDropped: () => void = () => undefined;
    const dropped = new Promise<'dropped'>((resolve) => {
      markDropped = () => resolve('dropped');
    });
    let retired = false;
    const stream = runWatched(
      {
        pathPrefix: this.#settings.socketPath,
        onClose: () => {
          // A close the stream asked for (input ended, or this wrapper retired it) is no fault.
          if (!retired && !this.#inputEnded) markDropped();
        },
      },
      () => this.#inner.stream({ connOptions: this.#connOptions }),
    );
    stream.startTimeOffset = this.startTimeOffset + this.#audioSeconds;
    return {
      stream,
      dropped,
      heardFinal: false,
      get retired() {
        return retired;
      },
      set retired(value: boolean) {
        retired = value;
      },
    };
  }

  /** Passes the plugin stream's events on until it ends or is retired. */
  async #forward(attempt: Attempt): Promise<void> {
    for await (const event of attempt.stream) {
      if (attempt.retired) return;
      if (event.type === stt.SpeechEventType.START_OF_SPEECH) this.#speaking = true;
      if (event.type === stt.SpeechEventType.END_OF_SPEECH) this.#speaking = false;
      if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) attempt.heardFinal = true;
      this.queue.put(event);
    }
  }

  /** Hands the session's audio to whichever plugin stream is current. */
  async #pumpInput(): Promise<void> {
    for await (const data of this.input) {
      const attempt = this.#current;
      if (!attempt || attempt.retired) continue;
      try {
        if (data === ReconnectingSpeechStream.FLUSH_SENTINEL) {
          attempt.stream.flush();
        } else {
          this.#audioSeconds += data.samplesPerChannel / data.sampleRate;
          attempt.stream.pushFrame(data);
        }
      } catch {
        // The plugin stream closed itself (its retries ran out); run() replaces it as soon as
        // its last events are through, and this moment's audio has no one to hear it.
      }
    }
    this.#inputEnded = true;
    const attempt = this.#current;
    if (attempt && !attempt.retired) attempt.stream.endInput();
  }
}
