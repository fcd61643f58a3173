/**
 * The edge API wired as in production for the log tests: PostgreSQL (reached through a TCP proxy
 * the test can stop), the Upstash stand-in on real Redis, and either the QStash stand-in calling
 * back into the API over real HTTP or the in-process queue of the embedded default.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { inArray } from 'drizzle-orm';
import { workoutLogs } from '../../drizzle/schema.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { type App, createApp } from '../../workers/app.ts';
import type { Services } from '../../workers/app-env.ts';
import { loadApiConfig } from '../../workers/config.ts';
import { type NodeDatabase, openNodeDatabase } from '../../workers/db/open-node.ts';
import { silentLogger } from '../../workers/logger.ts';
import type { CoachingRepository } from '../../workers/ports.ts';
import { createServices } from '../../workers/services.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import {
  type QStashStandin,
  type QStashStandinOptions,
  qstashEnv,
  startQStashStandin,
} from '../support/qstash-standin.ts';
import {
  startUpstashRedisStandin,
  type UpstashRedisStandin,
  upstashRedisEnv,
} from '../support/upstash-redis-standin.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface LogsHarness {
  app: App;
  /** Where the app is served over HTTP (QStash calls back here). */
  url: string;
  services: Services;
  /** Null on the in-process queue. */
  qstash: QStashStandin | null;
  redis: UpstashRedisStandin;
  /** Between the API and PostgreSQL: stop it to take the database down for the API only. */
  databaseProxy: TcpProxy;
  /** A direct connection for assertions, unaffected by the proxy. */
  database: TestDatabase;
  /** Resolves once the queue has nothing left to deliver. */
  settle(): Promise<void>;
  storedLogs(logIds: readonly string[]): Promise<(typeof workoutLogs.$inferSelect)[]>;
  close(): Promise<void>;
}

export async function startLogsHarness(options: {
  queue: 'qstash' | 'in-process';
  qstash?: QStashStandinOptions;
  /** Another PostgreSQL server than the shared one, e.g. a private one the test stops. */
  postgresServer?: string;
  /** Wraps the API's repository, e.g. to make writes slow or failing on purpose. */
  wrapRepository?: (repository: CoachingRepository) => CoachingRepository;
}): Promise<LogsHarness> {
  const database = await createTestDatabase({ seed: true, server: options.postgresServer });
  const databaseServer = new URL(database.url);
  const databaseProxy = await startTcpProxy({
    host: databaseServer.hostname,
    port: Number(databaseServer.port || 5432),
  });
  const proxiedUrl = new URL(database.url);
  proxiedUrl.hostname = '127.0.0.1';
  proxiedUrl.port = String(databaseProxy.port);
  const redis = await startUpstashRedisStandin();
  const qstash = options.queue === 'qstash' ? await startQStashStandin(options.qstash) : null;

  // QStash needs the callback URL before the app exists, so the server forwards to it lazily.
  let app: App | undefined;
  const server = serve({
    fetch: (request) => (app ? app.fetch(request) : new Response('starting', { status: 503 })),
    hostname: '127.0.0.1',
    port: 0,
  }) as Server;
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;

  const config = loadApiConfig(
    withDevDefaults({
      DATABASE_DRIVER: 'postgres',
      DATABASE_URL: proxiedUrl.toString(),
      ...upstashRedisEnv(redis),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      ...(qstash && qstashEnv(qstash)),
    }),
  );
  const apiDatabase: NodeDatabase = await openNodeDatabase(config.database);
  const services = createServices({
    config,
    repository: options.wrapRepository?.(apiDatabase.repository) ?? apiDatabase.repository,
    outbox: apiDatabase.outbox,
    logger: silentLogger,
  });
  app = createApp(services);

  return {
    app,
    url: `http://127.0.0.1:${port}`,
    services,
    qstash,
    redis,
    databaseProxy,
    database,
    async settle() {
      if (qstash) await qstash.waitForIdle();
      else await services.queue.drain();
    },
    storedLogs: (logIds) =>
      logIds.length === 0
        ? Promise.resolve([])
        : database.db
            .select()
            .from(workoutLogs)
            .where(inArray(workoutLogs.id, [...logIds])),
    async close() {
      await qstash?.waitForIdle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await qstash?.close();
      await redis.close();
      await apiDatabase.close();
      await databaseProxy.stop();
      await database.drop();
    },
  };
}
