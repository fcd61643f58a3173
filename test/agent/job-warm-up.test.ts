/**
 * The job process's warm-up (agent/job-warm-up.ts): its samples must take every branch of the
 * schemas a session parses first, or the warm-up leaves those paths cold; and it never fails a
 * prewarm, whether or not the API answers.
 */
import { initializeLogger } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { WARM_UP_CONTEXT, WARM_UP_METADATA, warmUpJobProcess } from '../../agent/job-warm-up.ts';
import type { CreateWarmUpModel } from '../../agent/model-warm-up.ts';
import { createLlm } from '../../agent/providers.ts';
import { createApiClient } from '../../shared/api-client.ts';
import { coachingContextSchema } from '../../shared/schemas.ts';
import { parseSessionMetadata } from '../../shared/session-metadata.ts';
import { freeTcpPort } from '../support/net.ts';

/** The configured model as prewarm makes it: the OpenAI plugin, pointed at the loopback server. */
const openaiModel: CreateWarmUpModel = (baseUrl) =>
  createLlm({
    provider: 'openai',
    model: 'gpt-4o-mini',
    apiKey: 'warm-up',
    baseUrl,
    maxResponseTokens: 150,
  });

beforeAll(() => {
  // The framework's model stream logs through its own logger, which a job process initialises.
  initializeLogger({ pretty: false, level: 'silent' });
});

describe('job process warm-up', () => {
  it('has a session metadata sample the agent accepts', () => {
    expect(parseSessionMetadata(JSON.stringify(WARM_UP_METADATA))).toEqual({
      success: true,
      data: WARM_UP_METADATA,
    });
  });

  it('has a context sample that fills every optional part of the schema', () => {
    const parsed = coachingContextSchema.safeParse(JSON.parse(JSON.stringify(WARM_UP_CONTEXT)));
    // Parsed as it is: no default filled in, nothing stripped.
    expect(parsed).toEqual({ success: true, data: WARM_UP_CONTEXT });
    const context = WARM_UP_CONTEXT;
    expect(context.workout_plan?.days.length).toBeGreaterThan(0);
    expect(context.todays_workout?.exercises.some((e) => e.notes !== undefined)).toBe(true);
    expect(context.todays_workout?.exercises.some((e) => e.load_kg === null)).toBe(true);
    expect(context.todays_meals?.meals.length).toBeGreaterThan(0);
    expect(context.recent_training.some((h) => h.last_session && h.best_recent_set)).toBe(true);
    expect(context.recent_training.some((h) => !h.last_session && !h.best_recent_set)).toBe(true);
    expect(context.todays_sets.length).toBeGreaterThan(0);
    expect(context.last_session?.ended_at).not.toBeNull();
    expect(context.last_session?.summary.note).toBeDefined();
    expect(context.last_session?.summary.new_bests.length).toBeGreaterThan(0);
  });

  it("asks the API's liveness probe and says whether it answered", async () => {
    const asked: string[] = [];
    const api = createApiClient({
      baseUrl: 'http://edge.test',
      serviceToken: 'service-token-for-this-test-only',
      fetch: async (input: RequestInfo | URL) => {
        asked.push(new URL(input instanceof Request ? input.url : input).pathname);
        return Response.json({ status: 'ok' });
      },
    });
    expect(await warmUpJobProcess(api, openaiModel)).toEqual({
      apiLive: true,
      modelAnswered: true,
    });
    expect(asked).toEqual(['/health/live']);
  });

  it('finishes without throwing when the API cannot be reached or answers an error', async () => {
    const unreachable = createApiClient({
      baseUrl: `http://127.0.0.1:${await freeTcpPort()}`,
      serviceToken: 'service-token-for-this-test-only',
    });
    expect(await warmUpJobProcess(unreachable, openaiModel)).toEqual({
      apiLive: false,
      modelAnswered: true,
    });
    const failing = createApiClient({
      baseUrl: 'http://edge.test',
      serviceToken: 'service-token-for-this-test-only',
      fetch: async () => new Response('<html>Bad gateway</html>', { status: 502 }),
    });
    expect(await warmUpJobProcess(failing, openaiModel)).toEqual({
      apiLive: false,
      modelAnswered: true,
    });
  });
});
