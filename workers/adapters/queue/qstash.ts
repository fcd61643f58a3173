/**
 * The production log queue: each set becomes one QStash message to the deliver callback, so QStash
 * retries (and dead-letters) every set on its own and deduplicates by log_id.
 */
import { Client } from '@upstash/qstash';
import type { LogQueue } from '../../ports.ts';

export interface QStashLogQueueOptions {
  /** QStash's base URL (QSTASH_URL). */
  url: string;
  token: string;
  /** Where QStash delivers each message: the API's /v1/logs/deliver. */
  callbackUrl: string;
  /** Delivery retries after a failed callback; QStash's free plan allows at most 3. */
  deliveryRetries?: number;
}

export const DEFAULT_QSTASH_DELIVERY_RETRIES = 3;

export function createQStashLogQueue(options: QStashLogQueueOptions): LogQueue {
  const client = new Client({
    baseUrl: options.url,
    token: options.token,
    // Never let a stray QSTASH_DEV variable swap in the SDK's local dev server.
    devMode: false,
    enableTelemetry: false,
    // Network failures while publishing; the agent also retries whatever did not get its 202.
    retry: { retries: 2, backoff: (attempt) => 100 * 2 ** attempt },
  });
  const retries = options.deliveryRetries ?? DEFAULT_QSTASH_DELIVERY_RETRIES;

  return {
    async publish(entries) {
      if (entries.length === 0) return;
      // One HTTP request for the whole batch: the 202 then costs one round trip, not one per set.
      await client.batchJSON(
        entries.map((entry) => ({
          url: options.callbackUrl,
          body: { entries: [entry] },
          deduplicationId: entry.log_id,
          retries,
        })),
      );
    },
    async ping() {
      // Listing queues is a cheap authenticated read: it proves QStash is reachable and the token works.
      await client.queue().list();
    },
    async drain() {},
  };
}
