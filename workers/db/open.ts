/**
 * Opens the database on the drivers that run inside Cloudflare Workers: Neon's serverless driver
 * over HTTP (one fetch per query, the production default) or over WebSockets (a Pool). This file
 * is bundled into the Worker, so it must not import pg, PGlite or anything Node-only; Node adds
 * those drivers in open-node.ts.
 */
import { neon, neonConfig, Pool, type WebSocketConstructor } from '@neondatabase/serverless';
import { drizzle as drizzleNeonHttp, type NeonHttpDatabase } from 'drizzle-orm/neon-http';
import { drizzle as drizzleNeonWebSocket, type NeonDatabase } from 'drizzle-orm/neon-serverless';
import type { ApiConfig } from '../config.ts';
import type { CoachingRepository, Logger, LogOutbox } from '../ports.ts';
import { createLogOutbox } from './log-outbox.ts';
import { type AnyPgDatabase, createRepository } from './repository.ts';

export type DatabaseConfig = ApiConfig['database'];

/** A driver-specific connection: migrators need the concrete database type. */
export type NeonConnection =
  | { driver: 'neon-http'; db: NeonHttpDatabase; close(): Promise<void> }
  | { driver: 'neon-websocket'; db: NeonDatabase; close(): Promise<void> };

export interface OpenDatabase {
  db: AnyPgDatabase;
  repository: CoachingRepository;
  /** The embedded queue's outbox table in this database. */
  outbox: LogOutbox;
  close(): Promise<void>;
}

export interface NeonOptions {
  /** For runtimes without a global WebSocket (Node before 22). */
  webSocketConstructor?: WebSocketConstructor;
  /** Told when an idle pooled connection drops; the next query then reconnects or fails. */
  logger?: Logger;
}

export function openDatabase(config: DatabaseConfig, options: NeonOptions = {}): OpenDatabase {
  if (config.driver !== 'neon-http' && config.driver !== 'neon-websocket') {
    throw new Error(
      `database driver ${config.driver} does not run in Workers: use neon-http or neon-websocket`,
    );
  }
  return withRepository(connectNeon(config, options));
}

export function connectNeon(config: DatabaseConfig, options: NeonOptions = {}): NeonConnection {
  const url = requireUrl(config);
  applyNeonConfig(config, options);
  if (config.driver === 'neon-http') {
    return { driver: 'neon-http', db: drizzleNeonHttp(neon(url)), close: async () => {} };
  }
  const pool = new Pool({ connectionString: url });
  // In Workers the pool lives for one request and is ended after it; the sockets it closes then
  // report errors that are no loss at all.
  let ending = false;
  pool.on('error', () => {
    if (!ending) options.logger?.warn('db_idle_connection_lost', { driver: config.driver });
  });
  return {
    driver: 'neon-websocket',
    db: drizzleNeonWebSocket(pool),
    close: () => {
      ending = true;
      return pool.end();
    },
  };
}

export function withRepository(connection: {
  db: AnyPgDatabase;
  close(): Promise<void>;
}): OpenDatabase {
  return {
    db: connection.db,
    repository: createRepository(connection.db),
    outbox: createLogOutbox(connection.db),
    close: () => connection.close(),
  };
}

export function requireUrl(config: DatabaseConfig): string {
  if (!config.url) throw new Error(`DATABASE_URL is required for driver ${config.driver}`);
  return config.url;
}

/**
 * Neon's driver keeps these settings process-wide. The proxy and endpoint overrides exist only to
 * reach a local PostgreSQL in development and tests, which speaks plain TCP without TLS behind
 * the proxy, hence no secure WebSocket and no pipelining of TLS or the password.
 */
function applyNeonConfig(config: DatabaseConfig, options: NeonOptions): void {
  if (options.webSocketConstructor) neonConfig.webSocketConstructor = options.webSocketConstructor;
  if (config.neonWsProxy) {
    neonConfig.wsProxy = config.neonWsProxy;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  if (config.neonFetchEndpoint) neonConfig.fetchEndpoint = config.neonFetchEndpoint;
}
