/**
 * Opens and migrates the database in Node: adds node-postgres (a plain PostgreSQL URL) and PGlite
 * (the embedded default, a directory under .data/) to the Neon drivers of open.ts. Never bundled
 * into the Worker.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { MigrationConfig } from 'drizzle-orm/migrator';
import { migrate as migrateNeonHttp } from 'drizzle-orm/neon-http/migrator';
import { migrate as migrateNeonWebSocket } from 'drizzle-orm/neon-serverless/migrator';
import { drizzle as drizzleNodePg, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite, type PgliteDatabase } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import WebSocket from 'ws';
import {
  connectNeon,
  type DatabaseConfig,
  type NeonConnection,
  type NeonOptions,
  type OpenDatabase,
  requireUrl,
  withRepository,
} from './open.ts';

type NodeConnection =
  | NeonConnection
  | { driver: 'postgres'; db: NodePgDatabase; close(): Promise<void> }
  | { driver: 'pglite'; db: PgliteDatabase; close(): Promise<void> };

export interface NodeDatabase extends OpenDatabase {
  /** Applies the committed migrations that this database has not seen yet. */
  migrate(): Promise<void>;
}

/** Resolved from this file, so scripts and tests may run from any working directory. */
const MIGRATIONS: MigrationConfig = {
  migrationsFolder: fileURLToPath(new URL('../../drizzle/migrations', import.meta.url)),
};

export async function openNodeDatabase(
  config: DatabaseConfig,
  options: Pick<NeonOptions, 'logger'> = {},
): Promise<NodeDatabase> {
  const connection = await connectNode(config, options);
  return { ...withRepository(connection), migrate: () => migrateConnection(connection) };
}

/** Opens, migrates and closes: the `npm run db:migrate` step. */
export async function migrateDatabase(config: DatabaseConfig): Promise<void> {
  const database = await openNodeDatabase(config);
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
}

async function connectNode(
  config: DatabaseConfig,
  options: Pick<NeonOptions, 'logger'>,
): Promise<NodeConnection> {
  switch (config.driver) {
    case 'neon-http':
    case 'neon-websocket':
      return connectNeon(config, {
        ...options,
        // Node 22+ has a global WebSocket; older runtimes need the ws package.
        ...(globalThis.WebSocket ? {} : { webSocketConstructor: WebSocket }),
      });
    case 'postgres': {
      const pool = new pg.Pool({ connectionString: requireUrl(config) });
      pool.on('error', () =>
        options.logger?.warn('db_idle_connection_lost', { driver: config.driver }),
      );
      return { driver: 'postgres', db: drizzleNodePg(pool), close: () => pool.end() };
    }
    case 'pglite': {
      const dataDir = config.pgliteDataDir;
      if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
      const client = await PGlite.create(dataDir);
      return { driver: 'pglite', db: drizzlePglite(client), close: () => client.close() };
    }
  }
}

function migrateConnection(connection: NodeConnection): Promise<void> {
  switch (connection.driver) {
    case 'neon-http':
      return migrateNeonHttp(connection.db, MIGRATIONS);
    case 'neon-websocket':
      return migrateNeonWebSocket(connection.db, MIGRATIONS);
    case 'postgres':
      return migrateNodePg(connection.db, MIGRATIONS);
    case 'pglite':
      return migratePglite(connection.db, MIGRATIONS);
  }
}
