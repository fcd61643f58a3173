/**
 * The playground on Workers: wrangler.toml's static assets serve the built page under
 * /playground/ while every other path reaches the Worker first, and the demo sign-in route exists
 * only with the dev-default secret, so a production configuration answers it 404.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { DEMO_TOKEN_PATH, demoTokenResponseSchema } from '../../shared/demo-token.ts';
import worker from '../../workers/index.ts';

/** One request through the Worker's own fetch with `bindings` as its env. */
async function postWith(bindings: Record<string, unknown>, path: string): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`https://api.test${path}`, { method: 'POST' }),
    bindings,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

describe('the playground in workerd', () => {
  it('serves the demo token with the dev-default secret the local rig uses', async () => {
    const response = await postWith(env, DEMO_TOKEN_PATH);
    expect(response.status).toBe(200);
    demoTokenResponseSchema.parse(await response.json());
  });

  it('has no demo token route under a production secret', async () => {
    const production = { ...env, AUTH_JWT_SECRET: 'a-production-secret-that-is-long-enough-0123' };
    const response = await postWith(production, DEMO_TOKEN_PATH);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('serves the built page from static assets and leaves the API to the Worker', async () => {
    // Miniflare's socket for the Worker, which routes between assets and Worker as Cloudflare does.
    const origin = `http://127.0.0.1:${inject('workerdPort')}`;
    const page = await fetch(`${origin}/playground/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const script = await fetch(`${origin}/playground/app.js`);
    expect(script.status).toBe(200);
    await script.body?.cancel();
    const live = await fetch(`${origin}/health/live`);
    expect(await live.json()).toEqual({ status: 'ok' });
    const unknown = await fetch(`${origin}/no-such-page`);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
