/**
 * The greeting, synthesised while the session is still joining the room.
 *
 * Why: the greeting's words are known as soon as the coaching context is loaded, but
 * `session.say(text)` only asks for speech once the session has started, and a job's main thread
 * is busiest right then (the activity starting, the room's tracks and events arriving): the
 * speech request waited 100 to 200 ms behind that work on one caller, longer with four sessions
 * starting at once. Asked for earlier, the first audio is usually there before the session is.
 *
 * How: a speech stream of the session's own text-to-speech (so a dropped socket gets the same
 * retry or apology as any reply) gets the greeting at once; its frames are kept until the session
 * plays them through `say(text, { audio })`. If the synthesis fails before its first frame, the
 * caller gets no stream and says the greeting the usual way, so a hiccup costs time, not the
 * greeting.
 */

import { ReadableStream } from 'node:stream/web';
import { tts, type voice } from '@livekit/agents';
import type { AudioFrame } from '@livekit/rtc-node';
import { errorName, type Logger } from '../shared/runtime.ts';
import { AppendOnlyBuffer } from './append-only-buffer.ts';

export interface PresynthesizedSpeech {
  /**
   * The audio, once its first frame is there (frames still coming follow in order), or undefined
   * when the synthesis ended before producing any: then the text is to be spoken the usual way.
   */
  audio(): Promise<ReadableStream<AudioFrame> | undefined>;
  /** Stops the synthesis and drops what it kept (the session ended before the greeting). */
  cancel(): void;
}

export function presynthesize(speech: tts.TTS, text: string, logger: Logger): PresynthesizedSpeech {
  const stream = speech.stream();
  stream.pushText(text);
  stream.endInput();
  const kept = new AppendOnlyBuffer<AudioFrame>();
  let cancelled = false;

  void (async () => {
    // By class only: a provider's message can quote the text.
    let failure = 'no_audio';
    try {
      for await (const audio of stream) {
        if (audio === tts.SynthesizeStream.END_OF_STREAM) break;
        kept.add(audio.frame);
      }
    } catch (error) {
      failure = errorName(error);
    } finally {
      kept.end();
    }
    if (kept.items.length === 0 && !cancelled) {
      logger.warn('greeting_presynthesis_failed', { failure });
    }
  })();

  return {
    async audio() {
      while (kept.items.length === 0 && !kept.ended) await kept.changed();
      if (kept.items.length === 0) return undefined;
      let next = 0;
      return new ReadableStream<AudioFrame>({
        async pull(controller) {
          while (next >= kept.items.length && !kept.ended) await kept.changed();
          const frame = kept.items[next++];
          if (frame) controller.enqueue(frame);
          else controller.close();
        },
        cancel() {
          stream.close();
        },
      });
    },
    cancel() {
      cancelled = true;
      stream.close();
      kept.items.length = 0;
    },
  };
}

/**
 * Says the greeting from what `presynthesize` kept (or the usual way when it kept nothing). The
 * caller can hang up while the first audio is awaited: a session already closing says nothing,
 * drops the kept audio and logs it, instead of throwing out of the job.
 */
export async function sayGreeting(
  session: voice.AgentSession,
  text: string,
  greeting: PresynthesizedSpeech,
  logger: Logger,
): Promise<void> {
  const audio = await greeting.audio();
  try {
    session.say(text, { audio });
  } catch (error) {
    await audio?.cancel();
    logger.warn('greeting_not_said', { error: errorName(error) });
  }
}
