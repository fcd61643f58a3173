/**
 * The Analytics Engine writer inside workerd: the deployed Worker (workers/index.ts) with the
 * `API_ANALYTICS` binding that wrangler.toml declares, and the same Worker handed a memory sink
 * as that binding, so the data points it writes can be read back.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { UNMATCHED_ROUTE } from '../../workers/analytics/request-metrics.ts';
import { ANALYTICS_BINDING, createMemorySink } from '../../workers/analytics/sink.ts';
import worker from '../../workers/index.ts';
import { serviceHeaders } from '../support/auth.ts';

const userId = inject('workerdUserId');

/** One request through the Worker's own fetch with `bindings` as its env. */
async function fetchWith(bindings: Record<string, unknown>, path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://api.test${path}`, { headers: serviceHeaders() }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe('request analytics in workerd', () => {
  it('binds the Analytics Engine dataset that wrangler.toml declares, and serves with it', async () => {
    const dataset = env[ANALYTICS_BINDING] as { writeDataPoint?: unknown } | undefined;
    expect(typeof dataset?.writeDataPoint).toBe('function');
    const response = await exports.default.fetch(`https://api.test/v1/users/${userId}/context`, {
      headers: serviceHeaders(),
    });
    expect(response.status).toBe(200);
  });

  it('writes one point per request with the route pattern, status class and duration', async () => {
    const sink = createMemorySink();
    const bindings = { ...env, [ANALYTICS_BINDING]: sink };
    expect((await fetchWith(bindings, `/v1/users/${userId}/context`)).status).toBe(200);
    expect((await fetchWith(bindings, `/v1/users/${userId}/no-such-thing`)).status).toBe(404);

    expect(sink.points.map((point) => point.blobs?.slice(0, 3))).toEqual([
      ['/v1/users/:user_id/context', 'GET', '2xx'],
      [UNMATCHED_ROUTE, 'GET', '4xx'],
    ]);
    expect(sink.points.map((point) => point.indexes)).toEqual([
      ['/v1/users/:user_id/context'],
      [UNMATCHED_ROUTE],
    ]);
    for (const point of sink.points) {
      const [duration, status] = point.doubles ?? [];
      expect(duration).toBeGreaterThanOrEqual(0);
      expect([200, 404]).toContain(status);
    }
    expect(JSON.stringify(sink.points)).not.toContain(userId);
  });

  it('serves as before when the binding is not declared', async () => {
    const { [ANALYTICS_BINDING]: _unbound, ...withoutDataset } = env;
    expect((await fetchWith(withoutDataset, `/v1/users/${userId}/context`)).status).toBe(200);
  });
});
