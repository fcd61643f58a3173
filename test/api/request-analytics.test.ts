/**
 * The edge API's Analytics Engine data points, written to the memory sink by the real app with
 * the real orchestrator (talking to the OpenAI stand-in) over a seeded PostgreSQL database. The
 * same writer runs inside workerd in test/workerd/analytics.test.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { UNMATCHED_ROUTE } from '../../workers/analytics/request-metrics.ts';
import {
  type AnalyticsDataPoint,
  createMemorySink,
  type MemorySink,
} from '../../workers/analytics/sink.ts';
import { createApp } from '../../workers/app.ts';
import { createOrchestratorHarness, type OrchestratorHarness } from '../orchestrator/harness.ts';
import { serviceHeaders } from '../support/auth.ts';

let h: OrchestratorHarness;
let sink: MemorySink;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  // The orchestrator's budget is short, so the timeout case stays quick.
  h = await createOrchestratorHarness({ timeoutMs: 400 });
});
afterAll(async () => {
  await h?.cleanup();
});
beforeEach(() => {
  h.standin.reset();
  sink = createMemorySink();
  app = createApp({ ...h.services, analytics: sink });
});

/** The one point of the request just made, in the SQL API's column names. */
function onlyPoint(): Record<string, string | number> {
  expect(sink.points).toHaveLength(1);
  const point = sink.points[0] as AnalyticsDataPoint;
  const [blob1, blob2, blob3, blob4, blob5, blob6] = point.blobs ?? [];
  const [double1, double2] = point.doubles ?? [];
  return {
    index1: point.indexes?.[0] ?? '',
    blob1: blob1 ?? '',
    blob2: blob2 ?? '',
    blob3: blob3 ?? '',
    blob4: blob4 ?? '',
    blob5: blob5 ?? '',
    blob6: blob6 ?? '',
    double1: double1 ?? Number.NaN,
    double2: double2 ?? Number.NaN,
  };
}

const ask = (body: Record<string, unknown>) =>
  app.request('/v1/specialists/query', {
    method: 'POST',
    headers: { ...serviceHeaders(), 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: DEMO_USER_ID, query: 'How do I progress my squat?', ...body }),
  });

describe('request data points', () => {
  it('records the route pattern, never the path with the user id, with status class and duration', async () => {
    const response = await app.request(`/v1/users/${DEMO_USER_ID}/context`, {
      headers: serviceHeaders(),
    });
    expect(response.status).toBe(200);
    const point = onlyPoint();
    expect(point).toMatchObject({
      index1: '/v1/users/:user_id/context',
      blob1: '/v1/users/:user_id/context',
      blob2: 'GET',
      blob3: '2xx',
      blob4: '',
      double2: 200,
    });
    expect(point.double1).toBeGreaterThan(0);
    expect(JSON.stringify(sink.points)).not.toContain(DEMO_USER_ID);
  });

  it('records refusals under their route, and a path no route knows as unmatched', async () => {
    await app.request(`/v1/users/${DEMO_USER_ID}/context`);
    expect(onlyPoint()).toMatchObject({
      blob1: '/v1/users/:user_id/context',
      blob3: '4xx',
      double2: 401,
    });

    sink = createMemorySink();
    app = createApp({ ...h.services, analytics: sink });
    const probe = `/v1/users/${DEMO_USER_ID}/secret-admin-page`;
    expect((await app.request(probe, { headers: serviceHeaders() })).status).toBe(404);
    expect(onlyPoint()).toMatchObject({ blob1: UNMATCHED_ROUTE, blob3: '4xx', double2: 404 });
    expect(JSON.stringify(sink.points)).not.toContain('secret-admin-page');
  });

  it('records the specialist, the direct route and the ok outcome of an answered question', async () => {
    h.standin.enqueue({ content: 'Add two and a half kilos a week.' });
    expect((await ask({ specialist: 'workout' })).status).toBe(200);
    expect(onlyPoint()).toMatchObject({
      blob1: '/v1/specialists/query',
      blob2: 'POST',
      blob3: '2xx',
      blob4: 'workout',
      blob5: 'direct',
      blob6: 'ok',
    });
  });

  it('records the specialist the classifier chose', async () => {
    h.standin.enqueue({ content: 'diet' }, { content: 'Eat more protein.' });
    expect((await ask({})).status).toBe(200);
    expect(onlyPoint()).toMatchObject({ blob4: 'diet', blob5: 'classified', blob6: 'ok' });
  });

  it('records a failed answer as fallback and a slow one as timeout', async () => {
    h.standin.enqueue({ status: 400 });
    expect((await ask({ specialist: 'supplement' })).status).toBe(503);
    expect(onlyPoint()).toMatchObject({
      blob3: '5xx',
      blob4: 'supplement',
      blob5: 'direct',
      blob6: 'fallback',
    });

    sink = createMemorySink();
    app = createApp({ ...h.services, analytics: sink });
    h.standin.setHandler(() => ({ content: 'diet', delayMs: 2000 }));
    expect((await ask({})).status).toBe(503);
    expect(onlyPoint()).toMatchObject({
      blob4: 'unclassified',
      blob5: 'classified',
      blob6: 'timeout',
    });
  });

  it('writes nothing without a sink, and the memory sink keeps only the newest points', async () => {
    const bare = createApp(h.services);
    expect((await bare.request('/health')).status).toBeLessThan(600);
    expect(sink.points).toHaveLength(0);

    const small = createMemorySink(2);
    const limited = createApp({ ...h.services, analytics: small });
    for (const path of ['/health', '/nope', '/openapi.json']) await limited.request(path);
    expect(small.points.map((p) => p.blobs?.[0])).toEqual([UNMATCHED_ROUTE, '/openapi.json']);
  });
});
