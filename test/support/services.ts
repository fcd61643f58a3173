/**
 * The edge API's services for tests, wired by the same `createServices` as production on the
 * embedded-default backends (memory cache, in-process log queue, memory rate limiter) over a
 * fresh seeded PostgreSQL database, with the dev-default configuration. Override any service to
 * swap in another backend or a fixed clock.
 */
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import type { Services } from '../../workers/app-env.ts';
import { loadApiConfig } from '../../workers/config.ts';
import type { AnyPgDatabase } from '../../workers/db/repository.ts';
import { silentLogger } from '../../workers/logger.ts';
import type { LogQueue } from '../../workers/ports.ts';
import { createServices } from '../../workers/services.ts';
import { createTestDatabase } from './postgres.ts';

export interface TestServices {
  services: Services;
  /** The test's own database, for arranging and inspecting rows directly. */
  db: AnyPgDatabase;
  /** The queue behind `services.queue`, to await its deliveries. */
  queue: LogQueue;
  cleanup(): Promise<void>;
}

export async function createTestServices(overrides: Partial<Services> = {}): Promise<TestServices> {
  const database = await createTestDatabase({ seed: true });
  // The repository goes in through createServices so it is guarded exactly as in production.
  const { repository, config, logger, clock, ...replacements } = overrides;
  const services: Services = {
    ...createServices({
      config: config ?? loadApiConfig(withDevDefaults({})),
      repository: repository ?? database.repository,
      outbox: database.outbox,
      logger: logger ?? silentLogger,
      clock,
    }),
    ...replacements,
  };
  return {
    services,
    db: database.db,
    queue: services.queue,
    async cleanup() {
      await services.queue.drain();
      await database.drop();
    },
  };
}
