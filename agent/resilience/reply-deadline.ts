/**
 * Keeps the language model's reply within the voice budget: when the model fails, goes quiet
 * before its first words, or stalls part-way, the reply ends with a short spoken apology instead
 * of silence.
 *
 * Why here and not in connection options: the framework retries a failed or slow model call for
 * up to 3 × 10 s with 2 s pauses before it gives up, and then it says nothing at all; the user
 * would sit in silence far past the 2 s a voice reply may take (ARCHITECTURE.md, guarantee 3).
 * The model's stream is cancelled when the apology is said, which also stops those retries.
 */
import { ReadableStream } from 'node:stream/web';
import { llm } from '@livekit/agents';
import type { Logger } from '../../shared/runtime.ts';

/** Said instead of a reply the model could not give in time. */
export const REPLY_APOLOGY =
  "Sorry, I'm having trouble thinking right now. Could you say that again?";

/** Why a reply ended in the apology. */
export const REPLY_FAILURES = ['error', 'first_token_timeout', 'stalled', 'empty'] as const;
export type ReplyFailure = (typeof REPLY_FAILURES)[number];

export interface ReplyDeadlineOptions {
  logger: Logger;
  /** Told each time the apology is said (the agent's metrics count them). */
  onApology?: (cause: ReplyFailure) => void;
  /**
   * Longest wait for the reply's first words or tool call. Leaves room, within the 2 s budget
   * after the user stops speaking, for end-of-turn detection and the apology's first audio.
   * @defaultValue 1200
   */
  firstTokenTimeoutMs?: number;
  /**
   * Longest pause between two pieces of a reply that has started (a model streams a piece every
   * few tens of milliseconds; the words before a stall may still be waiting for a full sentence
   * in the speech stream, so the user may have heard nothing yet).
   * @defaultValue 1000
   */
  stallTimeoutMs?: number;
  /** @defaultValue REPLY_APOLOGY */
  apology?: string;
}

export const defaultReplyDeadlineOptions = {
  firstTokenTimeoutMs: 1200,
  stallTimeoutMs: 1000,
  apology: REPLY_APOLOGY,
} as const satisfies Partial<ReplyDeadlineOptions>;

/** What the framework's LLM node yields (the flush marker is passed through untouched). */
export type ReplyPiece = llm.ChatChunk | string | symbol;

/** Whether a piece is part of the reply the user will hear or act on. */
function isProgress(piece: ReplyPiece): boolean {
  if (typeof piece === 'string') return piece.length > 0;
  if (typeof piece === 'symbol') return false;
  return llm.hasResponse(piece);
}

const TIMED_OUT = Symbol('timed out');

/** The model's reply stream, guarded by the deadlines above. */
export function withReplyDeadline<T extends ReplyPiece>(
  source: ReadableStream<T>,
  options: ReplyDeadlineOptions,
): ReadableStream<T | string> {
  const settings = { ...defaultReplyDeadlineOptions, ...options };
  const reader = source.getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const readWithin = (ms: number) =>
    Promise.race([
      reader.read(),
      new Promise<typeof TIMED_OUT>((resolve) => {
        // The verdict waits for the event loop's next check phase: after a long task of the
        // process's own (a busy session start, a starved machine) the loop runs its due timers
        // before it polls the sockets, and the model's words may already be waiting there.
        timer = setTimeout(() => setImmediate(() => resolve(TIMED_OUT)), ms);
      }),
    ]).finally(() => clearTimeout(timer));

  let started = false;
  // Set when the session drops the reply (the caller spoke again, or a preemptive reply was
  // discarded). Cancelling the model's stream ends a pending read as if the model had finished,
  // which must not be taken for a reply that ended without a word.
  let dropped = false;
  return new ReadableStream<T | string>({
    async pull(controller) {
      let failure: ReplyFailure;
      try {
        for (;;) {
          const result = await readWithin(
            started ? settings.stallTimeoutMs : settings.firstTokenTimeoutMs,
          );
          if (dropped) return;
          if (result === TIMED_OUT) {
            failure = started ? 'stalled' : 'first_token_timeout';
            break;
          }
          if (result.done) {
            if (started) return controller.close();
            failure = 'empty';
            break;
          }
          controller.enqueue(result.value);
          if (isProgress(result.value)) {
            started = true;
            return;
          }
        }
      } catch (error) {
        if (dropped) return;
        failure = 'error';
        settings.logger.warn('llm_reply_failed', {
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
      settings.logger.warn('llm_reply_apologised', { reason: failure, partial: started });
      settings.onApology?.(failure);
      // Cancelling the model's stream closes the request and ends the framework's retries.
      reader.cancel().catch(() => undefined);
      controller.enqueue(started ? ` ${settings.apology}` : settings.apology);
      controller.close();
    },
    async cancel(reason) {
      dropped = true;
      clearTimeout(timer);
      await reader.cancel(reason);
    },
  });
}
