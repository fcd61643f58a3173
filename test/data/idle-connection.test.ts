/**
 * The neon-websocket pool warns when an idle connection is lost, but not when its own close ends
 * the connections: in Workers a pool is ended after every request, and that is no loss.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNeon } from '../../workers/db/open.ts';
import type { Logger } from '../../workers/ports.ts';
import { startNeonWsProxy } from '../support/neon-ws-proxy.ts';
import { createTestDatabase, databaseConfig, type TestDatabase } from '../support/postgres.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.drop());

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info() {}, warn: (event) => warnings.push(event), error() {} };
}

/** A pool through its own proxy, with two connections open and idle. */
async function openIdlePool(logger: Logger) {
  const proxy = await startNeonWsProxy();
  const config = databaseConfig({
    driver: 'neon-websocket',
    url: database.url,
    neonWsProxy: proxy.wsProxy,
  });
  const connection = connectNeon(config, { logger });
  await Promise.all([connection.db.execute(sql`select 1`), connection.db.execute(sql`select 1`)]);
  return { connection, proxy };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('neon-websocket idle connections', () => {
  it('warns when the server drops an idle connection', async () => {
    const logger = recordingLogger();
    const { connection, proxy } = await openIdlePool(logger);
    try {
      await database.db.execute(
        sql`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`,
      );
      await settle();
      expect(logger.warnings).toContain('db_idle_connection_lost');
    } finally {
      await connection.close().catch(() => {});
      await proxy.close();
    }
  });

  it('stays quiet about connections cut while the pool is being closed', async () => {
    const logger = recordingLogger();
    const { connection, proxy } = await openIdlePool(logger);
    const closing = connection.close();
    await proxy.close();
    await closing.catch(() => {});
    await settle();
    expect(logger.warnings).toEqual([]);
  });
});
