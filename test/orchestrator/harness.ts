/**
 * The orchestrator as deployed, for tests and the benchmark: the real app and route, the real
 * LangChain ChatOpenAI client talking to the OpenAI stand-in, and a fresh seeded PostgreSQL
 * database. The clock is fixed so "today" is known.
 */
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import type { SpecialistQueryRequest } from '../../shared/schemas.ts';
import { createApp } from '../../workers/app.ts';
import type { Services } from '../../workers/app-env.ts';
import { loadApiConfig } from '../../workers/config.ts';
import { silentLogger } from '../../workers/logger.ts';
import { createOrchestrator } from '../../workers/orchestrator/index.ts';
import type { Clock, CoachingRepository, Logger } from '../../workers/ports.ts';
import { type AuthHeaders, serviceHeaders } from '../support/auth.ts';
import { type OpenAIStandin, startOpenAIStandin } from '../support/openai-standin.ts';
import { createTestServices, type TestServices } from '../support/services.ts';

/** A Wednesday: 11:00 in Berlin, 02:00 in Los Angeles. */
export const FIXED_NOW = new Date('2026-11-04T10:00:00Z');
export const fixedClock: Clock = { now: () => new Date(FIXED_NOW) };

export interface OrchestratorHarness {
  standin: OpenAIStandin;
  services: Services;
  testServices: TestServices;
  ask(
    body: Partial<SpecialistQueryRequest> & Record<string, unknown>,
    headers?: AuthHeaders,
  ): Promise<Response>;
  cleanup(): Promise<void>;
}

export interface HarnessOptions {
  timeoutMs?: number;
  logger?: Logger;
  /** Leave the provider unset, as on a machine without keys. */
  withoutProvider?: boolean;
  /** Wraps the real repository the orchestrator reads, e.g. to make it fail. */
  wrapRepository?: (repository: CoachingRepository) => CoachingRepository;
}

export async function createOrchestratorHarness(
  options: HarnessOptions = {},
): Promise<OrchestratorHarness> {
  const standin = await startOpenAIStandin();
  const logger = options.logger ?? silentLogger;
  const config = loadApiConfig(
    withDevDefaults(
      options.withoutProvider
        ? {}
        : {
            ORCHESTRATOR_LLM_PROVIDER: 'openai',
            OPENAI_API_KEY: 'sk-standin',
            OPENAI_BASE_URL: standin.baseUrl,
            ORCHESTRATOR_TIMEOUT_MS: options.timeoutMs?.toString(),
          },
    ),
  );
  const testServices = await createTestServices({ config, clock: fixedClock, logger });
  const services: Services = {
    ...testServices.services,
    orchestrator: createOrchestrator({
      config: config.orchestrator,
      repository: (options.wrapRepository ?? ((r) => r))(testServices.services.repository),
      logger,
      clock: fixedClock,
    }),
  };
  const app = createApp(services);
  return {
    standin,
    services,
    testServices,
    async ask(body, headers = serviceHeaders()) {
      return app.request('/v1/specialists/query', {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    },
    async cleanup() {
      await standin.close();
      await testServices.cleanup();
    },
  };
}

/** The text of the system prompt of a recorded request. */
export function systemPromptOf(body: {
  messages: ReadonlyArray<{ role: string; content?: unknown }>;
}): string {
  const system = body.messages.find((m) => m.role === 'system');
  return typeof system?.content === 'string' ? system.content : '';
}
