/**
 * Two public probes. `GET /health/live` says only that this process answers HTTP: it touches no
 * dependency, so load balancers, Fly checks and uptime monitors can call it as often as they
 * like. `GET /health` is readiness: whether the database, cache and queue answer, checked at
 * most once every few seconds however often it is called (workers/health/readiness.ts). Neither
 * says anything about versions, hosts or errors.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { healthSchema } from '../../shared/schemas.ts';
import { defaultReadinessOptions, readiness } from '../health/readiness.ts';
import { createRouter } from '../router.ts';

const livenessSchema = z.strictObject({ status: z.literal('ok') });

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  summary: 'Readiness: the API and its dependencies',
  description:
    'For the ops team and services that need to know whether the database, cache and queue ' +
    `answer. The answer is shared and cached for ${defaultReadinessOptions.cacheSeconds} s.`,
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

const liveRoute = createRoute({
  method: 'get',
  path: '/health/live',
  summary: 'Liveness: this process answers',
  description:
    'For load balancers, Fly checks and uptime monitors: always 200 while the process serves ' +
    'requests, without touching any dependency.',
  responses: {
    200: {
      description: 'The process answers',
      content: { 'application/json': { schema: livenessSchema } },
    },
  },
});

export const healthRoutes = createRouter()
  .openapi(healthRoute, async (c) => {
    const body = await readiness(c.var.services);
    return body.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
  })
  .openapi(liveRoute, (c) => c.json({ status: 'ok' as const }, 200));
