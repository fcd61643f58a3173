/**
 * The embedded default log queue: delivery runs in this process, in the background, through the
 * same delivery function QStash's callback uses, with retries and exponential backoff so a
 * database blip is ridden out. Unlike QStash it keeps nothing across a restart and retries a
 * published batch as a whole for a bounded number of attempts: it is for development, where the
 * agent's spool resends whatever a restart dropped.
 */

import { errorName } from '../../../shared/runtime.ts';
import type { LogEntry } from '../../../shared/schemas.ts';
import type { DeliverLogs } from '../../logs/deliver.ts';
import type { Logger, LogQueue } from '../../ports.ts';

export interface InProcessLogQueueOptions {
  deliver: DeliverLogs;
  logger: Logger;
  /** Attempts per batch before it is given up (and logged). */
  maxAttempts?: number;
  /** The first retry waits this long; each further one twice as long, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How many delivered log_ids are remembered to drop republished duplicates. */
  rememberDelivered?: number;
}

export const IN_PROCESS_QUEUE_DEFAULTS = {
  maxAttempts: 10,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
  rememberDelivered: 10_000,
} as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createInProcessLogQueue(options: InProcessLogQueueOptions): LogQueue {
  const { deliver, logger } = options;
  const maxAttempts = options.maxAttempts ?? IN_PROCESS_QUEUE_DEFAULTS.maxAttempts;
  const baseDelayMs = options.baseDelayMs ?? IN_PROCESS_QUEUE_DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? IN_PROCESS_QUEUE_DEFAULTS.maxDelayMs;
  const rememberDelivered =
    options.rememberDelivered ?? IN_PROCESS_QUEUE_DEFAULTS.rememberDelivered;

  const pending = new Set<string>();
  // Insertion-ordered, so the oldest ids are forgotten first once the bound is reached.
  const delivered = new Set<string>();
  const inFlight = new Set<Promise<void>>();

  const remember = (logId: string) => {
    delivered.add(logId);
    for (const oldest of delivered) {
      if (delivered.size <= rememberDelivered) break;
      delivered.delete(oldest);
    }
  };

  const run = async (entries: LogEntry[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await deliver(entries);
        for (const entry of entries) remember(entry.log_id);
        return;
      } catch (error) {
        const fields = {
          entries: entries.length,
          attempt,
          max_attempts: maxAttempts,
          error: errorName(error),
        };
        if (attempt >= maxAttempts) {
          logger.error('log_queue_gave_up', fields);
          return;
        }
        logger.warn('log_queue_retrying', fields);
        await sleep(Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  };

  return {
    async publish(entries) {
      // Same guarantee as QStash's deduplication id: a set already queued or delivered is dropped.
      const fresh: LogEntry[] = [];
      for (const entry of entries) {
        if (pending.has(entry.log_id) || delivered.has(entry.log_id)) continue;
        pending.add(entry.log_id);
        fresh.push(entry);
      }
      if (fresh.length === 0) return;
      const task = (async () => {
        // Yield first so the caller's 202 is never held up by the database write.
        await Promise.resolve();
        await run(fresh);
      })().finally(() => {
        for (const entry of fresh) pending.delete(entry.log_id);
        inFlight.delete(task);
      });
      inFlight.add(task);
    },
    async ping() {},
    async drain() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}
