/**
 * PostgreSQL stopped for 10 s and started again while sets keep coming. The database is a private
 * PostgreSQL 15 started for this file (initdb in a temporary directory, a free port), never the
 * shared server. An agent's spool keeps sending to the API (QStash stand-in, real HTTP callbacks):
 * while the database is down the API refuses batches with 503 (the spool keeps them) and the
 * callbacks answer 503 (QStash retries them). Once it is back every set arrives, none twice.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogSpool } from '../../agent/log-spool.ts';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import { createApiClient } from '../../shared/api-client.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import { recordingLogger } from '../agent/fixtures.ts';
import { type LogsHarness, startLogsHarness } from '../logs/harness.ts';
import { reportFigures } from './figures.ts';
import { type PrivateServer, startPrivatePostgres } from './private-servers.ts';

const SETS = 600;
const OUTAGE_MS = 10_000;

let postgres: PrivateServer;
let h: LogsHarness;
let spoolDir: string;

beforeAll(async () => {
  postgres = await startPrivatePostgres();
  h = await startLogsHarness({
    queue: 'qstash',
    postgresServer: postgres.url,
    // QStash backs off 12 s, then 2.5 min in production; shortened, still past the outage.
    qstash: { retryDelayMs: (retried) => [5_000, 15_000, 30_000][retried - 1] ?? 30_000 },
  });
  spoolDir = await mkdtemp(join(tmpdir(), 'postgres-down-'));
}, 120_000);

afterAll(async () => {
  await postgres?.start();
  await h?.close();
  await postgres?.destroy();
  await rm(spoolDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL stopped for 10 s while sets keep coming', () => {
  it('stores every set once the database is back, none twice', async () => {
    const client = createApiClient({
      baseUrl: h.url,
      serviceToken: DEV_DEFAULTS.SERVICE_API_TOKEN,
    });
    const logger = recordingLogger();
    const spool = await LogSpool.open({
      dir: spoolDir,
      logger,
      initialBackoffMs: 50,
      maxBackoffMs: 1000,
      send: (entries, signal) => client.ingestLogs(entries, signal),
    });
    const sets: LogEntry[] = Array.from({ length: SETS }, (_, i) => ({
      log_id: crypto.randomUUID(),
      user_id: (SEED_USERS[i % SEED_USERS.length] as (typeof SEED_USERS)[number]).user.id,
      exercise: `postgres outage set ${i}`,
      reps: 1 + (i % 10),
      weight_kg: 25 + (i % 90),
      logged_at: new Date(Date.UTC(2026, 3, 1) + i * 1000).toISOString(),
    }));

    // Sets keep coming for about 14 s: before, during and after the outage.
    const appending = (async () => {
      for (let i = 0; i < SETS; i += 5) {
        await Promise.all(sets.slice(i, i + 5).map((set) => spool.append(set)));
        await sleep(110);
      }
    })();
    await sleep(1500);
    // A fast shutdown, as `pg_ctl stop -m fast` does: connections are cut, the server is gone.
    await postgres.stop('SIGINT');
    const down = Date.now();
    await sleep(OUTAGE_MS);
    await postgres.start();
    const outageMs = Date.now() - down;
    await appending;

    expect((await spool.drain(90_000)).remaining).toBe(0);
    await spool.close();
    await h.settle();

    const result = await h.database.db.execute(
      sql`select count(*)::int as rows, count(distinct id)::int as distinct from workout_logs`,
    );
    const [counted] = (result as unknown as { rows: { rows: number; distinct: number }[] }).rows;
    const qstash = h.qstash;
    const refusedBatches = logger.lines.filter((l) => l.event === 'log_spool_send_failed').length;
    reportFigures('postgres stopped for 10 s', {
      sets_sent: SETS,
      outage_ms: outageMs,
      ingest_batches_refused_503: refusedBatches,
      callbacks_failed_and_retried: qstash?.deliveries.filter((d) => d.status !== 200).length ?? 0,
      rows_stored: counted?.rows ?? -1,
      duplicates: (counted?.rows ?? 0) - (counted?.distinct ?? 0),
      dead_letters: qstash?.deadLetters.length ?? 0,
    });
    // The outage was felt: the API refused batches while the database was down.
    expect(refusedBatches).toBeGreaterThan(0);
    expect(counted).toEqual({ rows: SETS, distinct: SETS });
    expect(qstash?.deadLetters).toEqual([]);
  }, 300_000);
});
