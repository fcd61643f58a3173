/**
 * The edge API's services for tests, built from the real adapters: a fresh seeded PostgreSQL
 * database, the in-memory cache, the in-process log queue and the memory rate limiter, with the
 * dev-default configuration. Override any service to swap in another backend or a fixed clock.
 */
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { createMemoryCache } from '../../workers/adapters/cache/memory.ts';
import {
  createInProcessLogQueue,
  type InProcessLogQueue,
} from '../../workers/adapters/queue/in-process.ts';
import { createCallbackVerifier } from '../../workers/adapters/queue/index.ts';
import { createMemoryRateLimiter } from '../../workers/adapters/rate-limit/memory.ts';
import type { Services } from '../../workers/app-env.ts';
import { loadApiConfig } from '../../workers/config.ts';
import type { AnyPgDatabase } from '../../workers/db/repository.ts';
import { silentLogger } from '../../workers/logger.ts';
import { deliverLogs } from '../../workers/logs/deliver.ts';
import { systemClock } from '../../workers/ports.ts';
import { SESSION_RATE_LIMIT_PERIOD_SECONDS } from '../../workers/routes/sessions.ts';
import { createTestDatabase } from './postgres.ts';

export interface TestServices {
  services: Services;
  /** The test's own database, for arranging and inspecting rows directly. */
  db: AnyPgDatabase;
  /** The in-process queue behind `services.queue` (unless overridden), to await its deliveries. */
  queue: InProcessLogQueue;
  cleanup(): Promise<void>;
}

export async function createTestServices(overrides: Partial<Services> = {}): Promise<TestServices> {
  const database = await createTestDatabase({ seed: true });
  const config = overrides.config ?? loadApiConfig(withDevDefaults({}));
  const repository = overrides.repository ?? database.repository;
  const clock = overrides.clock ?? systemClock;
  const logger = overrides.logger ?? silentLogger;
  const queue = createInProcessLogQueue({
    deliver: (entries) => deliverLogs(repository, entries, logger),
    logger,
  });
  const services: Services = {
    config,
    repository,
    cache: createMemoryCache({ clock }),
    queue,
    callbackVerifier: createCallbackVerifier(config.queue),
    sessionRateLimiter: createMemoryRateLimiter({
      limit: config.sessionRateLimitPerMinute,
      periodSeconds: SESSION_RATE_LIMIT_PERIOD_SECONDS,
      clock,
    }),
    orchestrator: null,
    clock,
    logger,
    ...overrides,
  };
  return {
    services,
    db: database.db,
    queue,
    async cleanup() {
      await queue.drain();
      await database.drop();
    },
  };
}
