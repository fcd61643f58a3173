/**
 * The real edge API for agent tests: `createApp` on the test services (fresh seeded PostgreSQL,
 * in-process queue) served over HTTP on an ephemeral port, optionally with the real LangGraph
 * orchestrator talking to an OpenAI stand-in. The agent reaches it only through HTTP, as in
 * production.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { sql } from 'drizzle-orm';
import { DEV_DEFAULTS, withDevDefaults } from '../../shared/dev-defaults.ts';
import type { Clock } from '../../shared/runtime.ts';
import { createApp } from '../../workers/app.ts';
import { loadApiConfig } from '../../workers/config.ts';
import { createOrchestrator } from '../../workers/orchestrator/index.ts';
import { createTestServices, type TestServices } from '../support/services.ts';

export interface EdgeApiServer {
  baseUrl: string;
  serviceToken: string;
  test: TestServices;
  /** Rows in workout_logs with these ids (all rows when omitted). */
  countLogs(logIds?: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

export async function startEdgeApi(
  options: { orchestratorBaseUrl?: string; clock?: Clock } = {},
): Promise<EdgeApiServer> {
  const test = await createTestServices(options.clock ? { clock: options.clock } : {});
  if (options.orchestratorBaseUrl) {
    const config = loadApiConfig(
      withDevDefaults({
        ORCHESTRATOR_LLM_PROVIDER: 'openai',
        OPENAI_API_KEY: 'standin-key',
        OPENAI_BASE_URL: options.orchestratorBaseUrl,
      }),
    );
    test.services.orchestrator = createOrchestrator({
      config: config.orchestrator,
      repository: test.services.repository,
      logger: test.services.logger,
      clock: test.services.clock,
    });
  }
  const app = createApp(test.services);
  const server = createAdaptorServer({ fetch: app.fetch });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    serviceToken: DEV_DEFAULTS.SERVICE_API_TOKEN,
    test,
    async countLogs(logIds) {
      await test.queue.drain();
      const result = logIds
        ? await test.db.execute(
            sql`select count(*)::int as n from workout_logs where id in (${sql.join(
              logIds.map((id) => sql`${id}::uuid`),
              sql`, `,
            )})`,
          )
        : await test.db.execute(sql`select count(*)::int as n from workout_logs`);
      return Number((result as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
    },
    async close() {
      await new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      });
      await test.cleanup();
    },
  };
}
