/**
 * The Node entry: the same app as on Workers, served by @hono/node-server. With no DATABASE_URL it
 * runs on the embedded defaults (PGlite under .data/, migrated and seeded here; in-memory cache;
 * in-process log queue). `node workers/server.ts` serves on PORT (8787) until SIGINT or SIGTERM,
 * then stops taking requests, lets queued logs reach the database and closes it.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { z } from 'zod';
import { seedDatabase } from '../drizzle/seed.ts';
import {
  ConfigError,
  collectConfigProblems,
  type EnvSource,
  parseConfig,
} from '../shared/config.ts';
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { createMemorySink } from './analytics/sink.ts';
import { type App, createApp } from './app.ts';
import type { Services } from './app-env.ts';
import { type ApiConfig, loadApiConfig } from './config.ts';
import { openNodeDatabase } from './db/open-node.ts';
import { createJsonLogger } from './logger.ts';
import { servePlayground } from './playground/assets.ts';
import type { Logger } from './ports.ts';
import { createServices } from './services.ts';

const serverEnvSchema = z.object({
  PORT: z.coerce.number({ error: 'must be a number' }).int().min(0).max(65535).default(8787),
  /** Loopback by default: the dev secrets must not be reachable from the network. */
  HOST: z.string().default('127.0.0.1'),
});

/** The API's configuration and the server's own, with every problem of both in one error. */
function loadServerConfig(env: EnvSource): {
  config: ApiConfig;
  server: z.infer<typeof serverEnvSchema>;
} {
  const problems: string[] = [];
  const config = collectConfigProblems(() => loadApiConfig(env), problems);
  const server = collectConfigProblems(
    () => parseConfig('Edge API server', serverEnvSchema, env),
    problems,
  );
  if (!config || !server) throw new ConfigError('Edge API', problems);
  return { config, server };
}

export interface ApiServerOptions {
  logger?: Logger;
}

export interface ApiServer {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  port: number;
  /** The app being served, for in-process requests (`app.request`) next to the HTTP ones. */
  app: App;
  services: Services;
  /** Stops accepting requests, waits for queued logs to be delivered, closes the database. */
  close(): Promise<void>;
}

/** Starts the API on `env` as given (the entry below adds the dev defaults first). */
export async function startApiServer(
  env: EnvSource,
  options: ApiServerOptions = {},
): Promise<ApiServer> {
  const logger = options.logger ?? createJsonLogger('edge-api');
  const { config, server } = loadServerConfig(env);

  const database = await openNodeDatabase(config.database, { logger });
  try {
    if (config.database.driver === 'pglite') {
      // The embedded default has no separate set-up step: it is always current and has demo users.
      await database.migrate();
      await seedDatabase(database.db);
    }
  } catch (error) {
    await database.close();
    throw error;
  }

  // Locally the request data points that Analytics Engine would get are kept in memory.
  const services = createServices({
    config,
    repository: database.repository,
    outbox: database.outbox,
    logger,
    analytics: createMemorySink(),
  });
  const app = createApp(services);
  servePlayground(app);
  const listening = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const httpServer = serve({ fetch: app.fetch, port: server.PORT, hostname: server.HOST }, () =>
      resolve(httpServer),
    );
    httpServer.once('error', reject);
  }).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });

  const { port } = listening.address() as AddressInfo;
  const url = `http://${server.HOST.includes(':') ? `[${server.HOST}]` : server.HOST}:${port}`;
  logger.info('api_listening', {
    url,
    database: config.database.driver,
    cache: config.cache.kind,
    queue: config.queue.kind,
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await new Promise<void>((resolve) => {
        listening.close(() => resolve());
        // Idle keep-alive sockets would otherwise hold the close open until they time out.
        if ('closeIdleConnections' in listening) listening.closeIdleConnections();
      });
      await services.queue.drain();
      await database.close();
      logger.info('api_stopped', {});
    })();
    return closing;
  };
  return { url, port, app, services, close };
}

async function main(): Promise<void> {
  let server: ApiServer;
  try {
    server = await startApiServer(withDevDefaults(process.env));
  } catch (error) {
    // A configuration error already names every bad variable; a stack trace would only bury it.
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

if (import.meta.main) await main();
