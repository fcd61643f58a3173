/** Liveness of the API's dependencies, for load balancers, uptime checks and the ops team. */
import { createRoute } from '@hono/zod-openapi';
import { errorName } from '../../shared/runtime.ts';
import { type Health, healthSchema } from '../../shared/schemas.ts';
import type { Logger } from '../ports.ts';
import { createRouter } from '../router.ts';

/** A check slower than this counts as down: a health probe must answer quickly. */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;

type CheckStatus = Health['checks']['database'];

async function check(
  name: string,
  ping: () => Promise<void>,
  logger: Logger,
): Promise<CheckStatus> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), HEALTH_CHECK_TIMEOUT_MS);
  });
  try {
    const outcome = await Promise.race([ping().then(() => 'ok' as const), timedOut]);
    if (outcome === 'ok') return 'ok';
    logger.warn('health_check_down', { check: name, reason: 'timeout' });
  } catch (error) {
    logger.warn('health_check_down', {
      check: name,
      reason: errorName(error),
    });
  } finally {
    clearTimeout(timer);
  }
  return 'down';
}

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Health of the API and its dependencies',
  responses: {
    200: {
      description: 'Every dependency answered',
      content: { 'application/json': { schema: healthSchema } },
    },
    503: {
      description: 'At least one dependency is down',
      content: { 'application/json': { schema: healthSchema } },
    },
  },
});

export const healthRoutes = createRouter().openapi(healthRoute, async (c) => {
  const { repository, cache, queue, logger } = c.var.services;
  const [database, cacheStatus, queueStatus] = await Promise.all([
    check('database', () => repository.ping(), logger),
    check('cache', () => cache.ping(), logger),
    check('queue', () => queue.ping(), logger),
  ]);
  const checks = { database, cache: cacheStatus, queue: queueStatus };
  const ok = Object.values(checks).every((status) => status === 'ok');
  const body: Health = { status: ok ? 'ok' : 'degraded', checks };
  return ok ? c.json(body, 200) : c.json(body, 503);
});
