import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { SPECIALISTS } from '../../shared/schemas.ts';
import { SPECIALIST_UNAVAILABLE_MESSAGE } from '../../workers/orchestrator/index.ts';
import { SPECIALIST_DEFINITIONS } from '../../workers/orchestrator/specialists.ts';
import type { StandinReply } from '../support/openai-standin.ts';
import { createOrchestratorHarness, type OrchestratorHarness, systemPromptOf } from './harness.ts';

const RUNS = { numRuns: 100 };

const specialistArb = fc.constantFrom(...SPECIALISTS);
/** What a caller may ask: any non-blank text within the limit. */
const queryArb = fc.string({ minLength: 1, maxLength: 300 }).filter((q) => q.trim().length > 0);
/** A plain spoken answer, as the specialists are told to write one. */
const answerArb = fc
  .array(fc.stringMatching(/^[A-Za-z0-9,']{1,12}$/), { minLength: 1, maxLength: 30 })
  .map((words) => `${words.join(' ')}.`);

describe('specialist properties', () => {
  let h: OrchestratorHarness;

  beforeAll(async () => {
    h = await createOrchestratorHarness();
  });
  afterAll(() => h.cleanup());

  it('Feature: livekit-voice-agent, Property 7: Specialist delegation flow', async () => {
    await fc.assert(
      fc.asyncProperty(
        queryArb,
        fc.option(specialistArb, { nil: undefined }),
        answerArb,
        async (query, specialist, answer) => {
          h.standin.reset();
          h.standin.setHandler((req) =>
            req.body.max_tokens === 5 ? { content: specialist ?? 'general' } : { content: answer },
          );
          const response = await h.ask({ user_id: DEMO_USER_ID, query, specialist });
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({ specialist: specialist ?? 'general', answer });
          // The question reached the specialist's model as it was asked (trimmed at the edge).
          const last = h.standin.requests.at(-1)?.body.messages.at(-1);
          expect(last).toEqual({ role: 'user', content: query.trim() });
        },
      ),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 8: All specialist types supported', async () => {
    /** Classifier replies as models actually phrase them. */
    const phrasing = fc.constantFrom(
      (s: string) => s,
      (s: string) => s.toUpperCase(),
      (s: string) => `${s[0]?.toUpperCase()}${s.slice(1)}.`,
      (s: string) => `  ${s}\n`,
      (s: string) => `Specialist: ${s}`,
    );
    await fc.assert(
      fc.asyncProperty(
        specialistArb,
        fc.boolean(),
        phrasing,
        async (specialist, direct, phrase) => {
          h.standin.reset();
          h.standin.setHandler((req) =>
            req.body.max_tokens === 5 ? { content: phrase(specialist) } : { content: 'Answered.' },
          );
          const response = await h.ask({
            user_id: DEMO_USER_ID,
            query: 'A question',
            ...(direct ? { specialist } : {}),
          });
          expect(await response.json()).toEqual({ specialist, answer: 'Answered.' });
          const prompt = systemPromptOf(h.standin.requests.at(-1)?.body ?? { messages: [] });
          expect(prompt.startsWith(SPECIALIST_DEFINITIONS[specialist].instructions)).toBe(true);
          expect(h.standin.requests).toHaveLength(direct ? 1 : 2);
        },
      ),
      RUNS,
    );
  });
});

describe('specialist failure property', () => {
  let h: OrchestratorHarness;
  let failDatabase = false;

  beforeAll(async () => {
    // A short budget keeps hanging cases fast; the behaviour is the same at 1.8 s.
    h = await createOrchestratorHarness({
      timeoutMs: 300,
      wrapRepository: (repository) => ({
        ...repository,
        findCoachingData: (userId) =>
          failDatabase
            ? Promise.reject(new Error('database down'))
            : repository.findCoachingData(userId),
      }),
    });
  });
  afterAll(() => h.cleanup());

  const failureArb: fc.Arbitrary<StandinReply | 'database'> = fc.oneof(
    fc
      .constantFrom(400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504)
      .map((status) => ({ status })),
    fc.constant({ hang: true }),
    fc.constant({ content: 'late', delayMs: 400 }),
    fc.constant({ content: '' }),
    fc.constant({ content: '**  **' }),
    fc
      .string({ maxLength: 20 })
      .filter((args) => {
        try {
          JSON.parse(args);
          return false;
        } catch {
          return true;
        }
      })
      .map((args) => ({ toolCalls: [{ name: 'get_logged_sets', arguments: args }] })),
    fc.constant('database' as const),
  );

  it('Feature: livekit-voice-agent, Property 9: Orchestrator errors return friendly messages', async () => {
    await fc.assert(
      fc.asyncProperty(
        failureArb,
        specialistArb,
        fc.boolean(),
        async (failure, specialist, direct) => {
          h.standin.reset();
          failDatabase = failure === 'database';
          // The failure hits whichever model call the route makes; the classifier's only in its turn.
          h.standin.setHandler((req) =>
            failure !== 'database' && (direct || req.body.max_tokens !== 5)
              ? failure
              : { content: specialist },
          );
          const response = await h.ask({
            user_id: DEMO_USER_ID,
            query: 'Something hard',
            specialist: direct ? specialist : undefined,
          });
          expect(response.status).toBe(503);
          expect(await response.json()).toEqual({
            error: { code: 'specialist_unavailable', message: SPECIALIST_UNAVAILABLE_MESSAGE },
          });
        },
      ),
      RUNS,
    );
    failDatabase = false;
    h.standin.reset();
    const next = await h.ask({
      user_id: DEMO_USER_ID,
      query: 'Still there?',
      specialist: 'general',
    });
    expect(next.status).toBe(200);
  });
});
