/**
 * A fresh, migrated PostgreSQL database per test file on the local server (127.0.0.1:5432, trust
 * auth), so test files running in parallel never see each other's rows. `drop()` removes it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { seedDatabase } from '../../drizzle/seed.ts';
import type { DatabaseConfig } from '../../workers/db/open.ts';
import { openNodeDatabase } from '../../workers/db/open-node.ts';
import type { AnyPgDatabase } from '../../workers/db/repository.ts';
import type { CoachingRepository, LogOutbox } from '../../workers/ports.ts';

export interface TestDatabase {
  /** A plain postgres:// URL of the new database. */
  url: string;
  name: string;
  /** node-postgres on the new database, for arranging and inspecting rows. */
  db: AnyPgDatabase;
  repository: CoachingRepository;
  outbox: LogOutbox;
  drop(): Promise<void>;
}

const SERVER = process.env.TEST_POSTGRES_URL ?? 'postgres://127.0.0.1:5432';
const ADMIN_USERS = ['postgres', 'root'];

let adminUrl: Promise<string> | undefined;

/** A full database configuration from the few settings a test cares about. */
export function databaseConfig(
  settings: Partial<DatabaseConfig> & Pick<DatabaseConfig, 'driver'>,
): DatabaseConfig {
  return {
    url: undefined,
    pgliteDataDir: 'memory://',
    neonWsProxy: undefined,
    neonFetchEndpoint: undefined,
    ...settings,
  };
}

export async function createTestDatabase(
  options: {
    seed?: boolean;
    /** Another server than the shared one (e.g. a private one a test stops), as a postgres:// URL. */
    server?: string;
  } = {},
): Promise<TestDatabase> {
  adminUrl ??= findAdminUrl();
  const admin = options.server ? databaseUrl(options.server, 'postgres') : await adminUrl;
  const name = `fvc_${randomBytes(6).toString('hex')}`;
  await withClient(admin, (client) => client.query(`create database "${name}"`));
  const url = databaseUrl(admin, name);
  const database = await openNodeDatabase(databaseConfig({ driver: 'postgres', url }));
  try {
    await database.migrate();
    if (options.seed) await seedDatabase(database.db);
  } catch (error) {
    await database.close();
    await dropDatabase(admin, name);
    throw error;
  }
  return {
    url,
    name,
    db: database.db,
    repository: database.repository,
    outbox: database.outbox,
    async drop() {
      await database.close();
      await dropDatabase(admin, name);
    },
  };
}

async function dropDatabase(admin: string, name: string): Promise<void> {
  await withClient(admin, (client) =>
    client.query(`drop database if exists "${name}" with (force)`),
  );
}

/** The local server is set up with either a `postgres` or a `root` superuser. */
async function findAdminUrl(): Promise<string> {
  const failures: string[] = [];
  for (const user of ADMIN_USERS) {
    const url = databaseUrl(SERVER, 'postgres', user);
    try {
      await withClient(url, (client) => client.query('select 1'));
      return url;
    } catch (error) {
      failures.push(`${user}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`cannot reach PostgreSQL at ${SERVER}: ${failures.join('; ')}`);
}

function databaseUrl(base: string, database: string, user?: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  if (user) url.username = user;
  return url.toString();
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
