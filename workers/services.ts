/**
 * Assembles the request handlers' `Services` from the configuration and an opened database. Both
 * entries (workers/index.ts on Workers, workers/server.ts on Node) call this one function, so the
 * two runtimes differ only in how they open the database and which rate limiter they hand in.
 * Nothing here may import a Node-only driver: the Workers bundle includes this file.
 */

import { createAgentCheckScheduler } from './adapters/agent-check/index.ts';
import { createCache } from './adapters/cache/index.ts';
import { createCallbackVerifier, createLogQueue } from './adapters/queue/index.ts';
import { createMemoryRateLimiter } from './adapters/rate-limit/memory.ts';
import type { AnalyticsSink } from './analytics/sink.ts';
import type { Services } from './app-env.ts';
import type { ApiConfig } from './config.ts';
import { createContextForgetter } from './context/context-forgetter.ts';
import { guardRepository } from './db/guard.ts';
import { deliverLogs } from './logs/deliver.ts';
import { createOrchestrator } from './orchestrator/index.ts';
import type { Clock, CoachingRepository, Logger, LogOutbox, RateLimiter } from './ports.ts';
import { systemClock } from './ports.ts';
import { SESSION_RATE_LIMIT_PERIOD_SECONDS } from './routes/sessions.ts';

export interface ServiceOptions {
  config: ApiConfig;
  repository: CoachingRepository;
  /** The database's outbox, for the in-process queue (unused on QStash). */
  outbox?: LogOutbox;
  logger: Logger;
  /** The Workers Rate Limiting binding when bound; otherwise a per-process limiter is made. */
  sessionRateLimiter?: RateLimiter;
  clock?: Clock;
  /** Where per-request data points go (workers/analytics); none are written without it. */
  analytics?: AnalyticsSink;
}

/** The per-process limiter used where no Workers Rate Limiting binding is bound. */
export function createSessionRateLimiter(
  config: ApiConfig,
  clock: Clock = systemClock,
): RateLimiter {
  return createMemoryRateLimiter({
    limit: config.sessionRateLimitPerMinute,
    periodSeconds: SESSION_RATE_LIMIT_PERIOD_SECONDS,
    clock,
  });
}

export function createServices(options: ServiceOptions): Services {
  const { config, logger } = options;
  // Every consumer, the routes and the orchestrator alike, sees a database outage as a 503.
  const repository = guardRepository(options.repository, logger);
  const clock = options.clock ?? systemClock;
  const cache = createCache(config.cache, clock);
  // One per set of services (per isolate on Workers), so bursts of deliveries share invalidations.
  const forgetContexts = createContextForgetter({ cache, logger });
  return {
    config,
    repository,
    cache,
    forgetContexts,
    queue: createLogQueue(
      config.queue,
      (entries) => deliverLogs(repository, entries, logger, forgetContexts),
      logger,
      options.outbox,
    ),
    callbackVerifier: createCallbackVerifier(config.queue),
    agentChecks: createAgentCheckScheduler(config.queue, logger),
    sessionRateLimiter: options.sessionRateLimiter ?? createSessionRateLimiter(config, clock),
    orchestrator: createOrchestrator({ config: config.orchestrator, repository, logger, clock }),
    clock,
    logger,
    ...(options.analytics ? { analytics: options.analytics } : {}),
  };
}
