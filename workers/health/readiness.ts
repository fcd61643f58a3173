/**
 * The readiness answer of `GET /health`: whether the database, the cache and the queue answer.
 * The route is public, so a flood of it must not become a flood on the dependencies: concurrent
 * requests share one check, and its answer is kept for `cacheSeconds` (on the services' clock).
 */
import { errorName } from '../../shared/runtime.ts';
import type { Health } from '../../shared/schemas.ts';
import type { Services } from '../app-env.ts';
import type { Logger } from '../ports.ts';

export interface ReadinessOptions {
  /** A check slower than this counts as down: a health probe must answer quickly. */
  checkTimeoutMs: number;
  /** How long one answer is served to every caller before the dependencies are asked again. */
  cacheSeconds: number;
}

export const defaultReadinessOptions = {
  checkTimeoutMs: 2000,
  cacheSeconds: 5,
} as const satisfies ReadinessOptions;

type CheckStatus = Health['checks']['database'];

async function check(
  name: string,
  ping: () => Promise<void>,
  logger: Logger,
  timeoutMs: number,
): Promise<CheckStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([ping().then(() => 'ok' as const), timedOut]);
    if (outcome === 'ok') return 'ok';
    logger.warn('health_check_down', { check: name, reason: 'timeout' });
  } catch (error) {
    // Only the class: a message can name a host, a version or a credential.
    logger.warn('health_check_down', { check: name, reason: errorName(error) });
  } finally {
    clearTimeout(timer);
  }
  return 'down';
}

async function checkDependencies(services: Services, timeoutMs: number): Promise<Health> {
  const { repository, cache, queue, logger } = services;
  const [database, cacheStatus, queueStatus] = await Promise.all([
    check('database', () => repository.ping(), logger, timeoutMs),
    check('cache', () => cache.ping(), logger, timeoutMs),
    check('queue', () => queue.ping(), logger, timeoutMs),
  ]);
  const checks = { database, cache: cacheStatus, queue: queueStatus };
  const ok = Object.values(checks).every((status) => status === 'ok');
  return { status: ok ? 'ok' : 'degraded', checks };
}

interface CachedReadiness {
  answer: Promise<Health>;
  /** On the services' clock; the answer is reused until then. */
  freshUntilMs: number;
}

// Keyed by the services of one app, so two apps in one process (tests, for one) never share.
const cached = new WeakMap<Services, CachedReadiness>();

export function readiness(
  services: Services,
  options: ReadinessOptions = defaultReadinessOptions,
): Promise<Health> {
  const nowMs = services.clock.now().getTime();
  const current = cached.get(services);
  if (current && nowMs < current.freshUntilMs) return current.answer;
  const answer = checkDependencies(services, options.checkTimeoutMs);
  // Counted from when the check started, so a slow check is not served for longer.
  cached.set(services, { answer, freshUntilMs: nowMs + options.cacheSeconds * 1000 });
  return answer;
}
