import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { ConfigError } from '../../shared/config.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { DEFAULT_ORCHESTRATOR_MODELS, loadApiConfig } from '../../workers/config.ts';
import { silentLogger } from '../../workers/logger.ts';
import { MAX_TOOL_ROUNDS } from '../../workers/orchestrator/conversation.ts';
import {
  createOrchestrator,
  SPECIALIST_UNAVAILABLE_MESSAGE,
  SpecialistUnavailableError,
} from '../../workers/orchestrator/index.ts';
import type { CoachingRepository } from '../../workers/ports.ts';
import { createOrchestratorHarness, fixedClock, type OrchestratorHarness } from './harness.ts';

const notUsed = () => Promise.reject(new Error('not used by this test'));
/** A user with a profile and no plans, without a database: enough to reach the model. */
const profileOnlyRepository: CoachingRepository = {
  findCoachingData: async (userId) => ({
    profile: {
      user_id: userId,
      name: 'Test',
      fitness_level: 'beginner',
      goals: [],
      injuries: [],
      equipment: [],
      time_zone: 'UTC',
    },
    preferences: { units: 'metric', dietary_preferences: [], allergies: [] },
    workoutPlan: null,
    mealPlan: null,
  }),
  findExistingUserIds: notUsed,
  insertWorkoutLogs: notUsed,
  endVoiceSession: notUsed,
  listWorkoutLogs: notUsed,
  recordVoiceSession: notUsed,
  storeSessionSummary: notUsed,
  findLastSession: notUsed,
  ping: notUsed,
};

const FRIENDLY = {
  error: { code: 'specialist_unavailable', message: SPECIALIST_UNAVAILABLE_MESSAGE },
};
/** Generous: the budget is 1.8 s; this only catches an answer that waits far past it. */
const WELL_PAST_BUDGET_MS = 5000;

describe('specialist failures', () => {
  let h: OrchestratorHarness;

  beforeAll(async () => {
    h = await createOrchestratorHarness();
  });
  afterAll(() => h.cleanup());
  beforeEach(() => h.standin.reset());

  async function expectFriendly503(body: Record<string, unknown>) {
    const started = performance.now();
    const response = await h.ask({ user_id: DEMO_USER_ID, query: 'How much protein?', ...body });
    const elapsed = performance.now() - started;
    const text = await response.text();
    expect(response.status).toBe(503);
    expect(JSON.parse(text)).toEqual(FRIENDLY);
    expect(text).not.toMatch(/stand-in|sk-|status|stack/i);
    expect(elapsed).toBeLessThan(WELL_PAST_BUDGET_MS);
  }

  async function expectNextQueryWorks() {
    h.standin.reset();
    h.standin.enqueue({ content: 'Back to normal.' });
    const response = await h.ask({
      user_id: DEMO_USER_ID,
      query: 'And now?',
      specialist: 'general',
    });
    expect(await response.json()).toEqual({ specialist: 'general', answer: 'Back to normal.' });
  }

  it('retries a failing provider twice, then gives the friendly error', async () => {
    h.standin.enqueue({ status: 500 }, { status: 502 }, { status: 503 });
    await expectFriendly503({ specialist: 'diet' });
    expect(h.standin.requests).toHaveLength(3);
    await expectNextQueryWorks();
  });

  it('recovers when a retry succeeds', async () => {
    h.standin.enqueue({ status: 429 }, { content: 'About 160 grams a day.' });
    const response = await h.ask({ user_id: DEMO_USER_ID, query: 'Protein?', specialist: 'diet' });
    expect(await response.json()).toEqual({ specialist: 'diet', answer: 'About 160 grams a day.' });
  });

  it('does not retry a request the provider refused', async () => {
    h.standin.enqueue({ status: 401 });
    await expectFriendly503({ specialist: 'diet' });
    expect(h.standin.requests).toHaveLength(1);
  });

  it('gives up on a model that hangs once the budget is gone', async () => {
    h.standin.setHandler(() => ({ hang: true }));
    await expectFriendly503({ specialist: 'workout' });
    await expectNextQueryWorks();
  });

  it('gives up on a classifier that is too slow', async () => {
    h.standin.setHandler(() => ({ content: 'diet', delayMs: 2500 }));
    await expectFriendly503({});
    await expectNextQueryWorks();
  });

  it('gives up on a model that only sends malformed tool calls', async () => {
    h.standin.setHandler(() => ({
      toolCalls: [{ name: 'get_logged_sets', arguments: '{"since":' }],
    }));
    await expectFriendly503({ specialist: 'tracker' });
    expect(h.standin.requests).toHaveLength(MAX_TOOL_ROUNDS + 1);
    await expectNextQueryWorks();
  });

  it('treats an empty reply as malformed', async () => {
    h.standin.enqueue({ content: '   ' });
    await expectFriendly503({ specialist: 'general' });
  });

  it('gives the friendly error when the database fails mid-answer', async () => {
    const broken = await createOrchestratorHarness({
      wrapRepository: (repository) => ({
        ...repository,
        findCoachingData: () => Promise.reject(new Error('connection terminated')),
      }),
    });
    try {
      const response = await broken.ask({
        user_id: DEMO_USER_ID,
        query: 'Hi',
        specialist: 'general',
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual(FRIENDLY);
    } finally {
      await broken.cleanup();
    }
  });
});

describe('orchestrator configuration', () => {
  it('answers 503 naming the variables to set when no provider is configured', async () => {
    const h = await createOrchestratorHarness({ withoutProvider: true });
    try {
      expect(h.services.orchestrator).toBeNull();
      const response = await h.ask({ user_id: DEMO_USER_ID, query: 'Hi' });
      expect(response.status).toBe(503);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unavailable');
      expect(body.error.message).toContain('ORCHESTRATOR_LLM_PROVIDER');
      expect(body.error.message).toContain('OPENAI_API_KEY');
    } finally {
      await h.cleanup();
    }
  });

  it('refuses an unknown provider and a provider without its key at start', () => {
    expect(() => loadApiConfig(withDevDefaults({ ORCHESTRATOR_LLM_PROVIDER: 'mistral' }))).toThrow(
      /ORCHESTRATOR_LLM_PROVIDER/,
    );
    for (const [provider, key] of [
      ['openai', 'OPENAI_API_KEY'],
      ['anthropic', 'ANTHROPIC_API_KEY'],
      ['google', 'GOOGLE_API_KEY'],
    ] as const) {
      const error = (() => {
        try {
          loadApiConfig(withDevDefaults({ ORCHESTRATOR_LLM_PROVIDER: provider }));
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join('\n')).toContain(key);
    }
  });

  it('defaults the model names per provider and keeps explicit ones', () => {
    const google = loadApiConfig(
      withDevDefaults({ ORCHESTRATOR_LLM_PROVIDER: 'google', GOOGLE_API_KEY: 'k' }),
    );
    expect(google.orchestrator).toMatchObject({
      model: DEFAULT_ORCHESTRATOR_MODELS.google.model,
      classifierModel: DEFAULT_ORCHESTRATOR_MODELS.google.classifier,
    });
    const openai = loadApiConfig(
      withDevDefaults({
        ORCHESTRATOR_LLM_PROVIDER: 'openai',
        OPENAI_API_KEY: 'k',
        ORCHESTRATOR_MODEL: 'gpt-4.1',
      }),
    );
    expect(openai.orchestrator).toMatchObject({
      model: 'gpt-4.1',
      classifierModel: 'gpt-4o-mini',
      timeoutMs: 1800,
    });
  });

  it.each([
    ['anthropic', 'ANTHROPIC', '/v1/messages'],
    ['google', 'GOOGLE', ':generateContent'],
  ] as const)(
    'sends %s requests to the configured base URL',
    async (provider, prefix, pathPart) => {
      const paths: string[] = [];
      const server = createServer((req, res) => {
        paths.push(req.url ?? '');
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"stand-in says no"}}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        const config = loadApiConfig(
          withDevDefaults({
            ORCHESTRATOR_LLM_PROVIDER: provider,
            [`${prefix}_API_KEY`]: 'key',
            [`${prefix}_BASE_URL`]: `http://127.0.0.1:${port}`,
            ORCHESTRATOR_TIMEOUT_MS: '1000',
          }),
        );
        const orchestrator = createOrchestrator({
          config: config.orchestrator,
          repository: profileOnlyRepository,
          logger: silentLogger,
          clock: fixedClock,
        });
        const failure = await orchestrator
          ?.answer({ userId: DEMO_USER_ID, query: 'Hi' })
          .catch((e: unknown) => e);
        expect(failure).toBeInstanceOf(SpecialistUnavailableError);
        expect(paths.length).toBeGreaterThan(0);
        expect(paths.every((p) => p.includes(pathPart))).toBe(true);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  );
});
