/**
 * One Analytics Engine data point per request: the route pattern (never the raw path, which holds
 * user ids), the status class and the duration; for specialist questions also the specialist,
 * how it was chosen (direct or classified) and the outcome (ok, fallback, timeout).
 *
 * Layout (the SQL API's column names):
 *   index1   route pattern (the sampling key: each route keeps its own sample)
 *   blob1    route pattern, e.g. /v1/users/:user_id/context (`unmatched` for a 404 of no route)
 *   blob2    method
 *   blob3    status class: 2xx, 3xx, 4xx or 5xx
 *   blob4    specialist (workout, diet, ... or `unclassified`); empty for other routes
 *   blob5    specialist route: direct or classified; empty for other routes
 *   blob6    specialist outcome: ok, fallback or timeout; empty for other routes
 *   double1  duration in milliseconds
 *   double2  status code
 *
 * The p50/p95 per route over the last hour (SQL API, weighted by the sampling interval):
 *   SELECT blob1 AS route, SUM(_sample_interval) AS requests,
 *     quantileExactWeighted(0.50, double1, _sample_interval) AS p50_ms,
 *     quantileExactWeighted(0.95, double1, _sample_interval) AS p95_ms
 *   FROM fitness_coach_api WHERE timestamp > NOW() - INTERVAL '1' HOUR
 *   GROUP BY route ORDER BY requests DESC
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import type { SPECIALISTS } from '../../shared/schemas.ts';
import type { AppEnv } from '../app-env.ts';
import type { AnalyticsDataPoint } from './sink.ts';

export const SPECIALIST_ROUTES = ['direct', 'classified'] as const;
export const SPECIALIST_OUTCOMES = ['ok', 'fallback', 'timeout'] as const;

/** What the specialist route reports about its call (set with `c.set('specialistCall', ...)`). */
export interface SpecialistCall {
  /** The specialist who answered, or the one asked for; `unclassified` when none was chosen. */
  specialist: (typeof SPECIALISTS)[number] | 'unclassified';
  route: (typeof SPECIALIST_ROUTES)[number];
  outcome: (typeof SPECIALIST_OUTCOMES)[number];
}

export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The pattern of the route that answered. Middleware registered with `use` matches every method
 * (`ALL`); the last route with a method is the handler's. A request no route matched gets
 * `unmatched`, so a scan of random paths adds one series, not one per path.
 */
export function routePattern(c: Context): string {
  const handler = matchedRoutes(c).findLast((route) => route.method !== 'ALL');
  return handler?.path ?? UNMATCHED_ROUTE;
}

export function statusClass(status: number): string {
  return `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;
}

export function requestDataPoint(
  route: string,
  method: string,
  status: number,
  durationMs: number,
  specialist: SpecialistCall | undefined,
): AnalyticsDataPoint {
  return {
    indexes: [route],
    blobs: [
      route,
      method,
      statusClass(status),
      specialist?.specialist ?? '',
      specialist?.route ?? '',
      specialist?.outcome ?? '',
    ],
    doubles: [Math.round(durationMs * 1000) / 1000, status],
  };
}

/** Writes the request's data point once it is answered; does nothing without a sink. */
export const recordRequest = createMiddleware<AppEnv>(async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const sink = c.var.services?.analytics;
    if (sink) {
      sink.writeDataPoint(
        requestDataPoint(
          routePattern(c),
          c.req.method,
          c.res.status,
          performance.now() - started,
          c.var.specialistCall,
        ),
      );
    }
  }
});
