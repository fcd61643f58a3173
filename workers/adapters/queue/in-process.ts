/**
 * The embedded default log queue. `publish` writes the sets to the outbox table in the API's own
 * database before the 202 is sent, and a runner in this process delivers from that table through
 * the same delivery function QStash's callback uses, then forgets what was stored. A set accepted
 * once therefore survives a crash or a kill at any moment: the next start resumes delivery from the
 * outbox, and the idempotent insert makes a redelivery of a set already stored change nothing.
 * Failed deliveries are retried with exponential backoff for as long as it takes; the sets wait in
 * the outbox meanwhile.
 */

import { errorName } from '../../../shared/runtime.ts';
import type { DeliverLogs } from '../../logs/deliver.ts';
import type { Logger, LogOutbox, LogQueue } from '../../ports.ts';

export interface InProcessLogQueueOptions {
  outbox: LogOutbox;
  deliver: DeliverLogs;
  logger: Logger;
  /**
   * Sets delivered per database write.
   * @defaultValue 100
   */
  batchSize?: number;
  /**
   * The first retry after a failed delivery waits this long; each further one twice as long.
   * @defaultValue 200
   */
  baseDelayMs?: number;
  /** @defaultValue 30000 */
  maxDelayMs?: number;
}

export const defaultInProcessLogQueueOptions = {
  batchSize: 100,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
} as const satisfies Partial<InProcessLogQueueOptions>;

export function createInProcessLogQueue(options: InProcessLogQueueOptions): LogQueue {
  const { outbox, deliver, logger } = options;
  const { batchSize, baseDelayMs, maxDelayMs } = { ...defaultInProcessLogQueueOptions, ...options };

  let running: Promise<void> | undefined;
  // Set when sets arrive while a run is under way: its last look at the outbox may predate them.
  let lookAgain = false;
  let failures = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  /** Delivers until the outbox is empty; false when a delivery failed. */
  const deliverWaiting = async (): Promise<boolean> => {
    try {
      for (;;) {
        const batch = await outbox.next(batchSize);
        if (batch.length === 0) return true;
        await deliver(batch);
        await outbox.remove(batch.map((entry) => entry.log_id));
        failures = 0;
      }
    } catch (error) {
      failures++;
      const retryInMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (failures - 1));
      logger.warn('log_queue_retrying', {
        attempt: failures,
        retry_in_ms: retryInMs,
        error: errorName(error),
      });
      retryTimer = setTimeout(() => void run(), retryInMs);
      // The sets wait in the outbox: a pending retry must not keep a stopping process alive.
      retryTimer.unref?.();
      return false;
    }
  };

  /** Starts a run, or asks the one under way to look again; resolves when the runs are over. */
  const run = (): Promise<void> => {
    clearTimeout(retryTimer);
    retryTimer = undefined;
    if (running) {
      lookAgain = true;
      return running;
    }
    running = (async () => {
      let delivered: boolean;
      do {
        lookAgain = false;
        delivered = await deliverWaiting();
      } while (delivered && lookAgain);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  // Sets left by an earlier process (a crash, a kill) are delivered first thing.
  void run();

  return {
    async publish(entries) {
      // Durable before the caller answers 202; delivery follows in the background.
      await outbox.add(entries);
      void run();
    },
    async ping() {},
    async drain() {
      // Delivers everything waiting now; if the database is failing the sets stay in the outbox
      // for the retry (or the next start) rather than holding a shutdown open.
      await run();
    },
  };
}
