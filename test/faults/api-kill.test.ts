/**
 * The edge API killed with SIGKILL and started again, several times, mid-delivery: an agent's
 * spool keeps sending 1,000 sets over three users to the API (its own process, `workers/server.ts`
 * on PostgreSQL with the QStash stand-in), while QStash keeps calling it back. Sets the API had
 * not answered 202 are resent by the spool (QStash deduplicates them by log_id); callbacks that
 * hit the dead API are retried by QStash. At the end: exactly 1,000 rows, none twice.
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
import { silentLogger } from '../../workers/logger.ts';
import { freeTcpPort } from '../support/net.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type QStashStandin, qstashEnv, startQStashStandin } from '../support/qstash-standin.ts';
import { type ApiProcess, createApiProcess } from './api-process.ts';
import { reportFigures } from './figures.ts';
import { seededRandom } from './random.ts';

const SETS = 1000;
const KILLS = 2;

let database: TestDatabase;
let qstash: QStashStandin;
let api: ApiProcess;
let spoolDir: string;

beforeAll(async () => {
  database = await createTestDatabase({ seed: true });
  // QStash backs off 12 s, 2.5 min, then 30 min in production; shortened here, but the three
  // retries still span two back-to-back restarts of the API on a busy machine (up to ~35 s each).
  qstash = await startQStashStandin({
    retryDelayMs: (retried) => [5_000, 30_000, 60_000][retried - 1] ?? 60_000,
  });
  const port = await freeTcpPort();
  api = await createApiProcess(
    {
      DATABASE_DRIVER: 'postgres',
      DATABASE_URL: database.url,
      ...qstashEnv(qstash),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    },
    { port },
  );
  spoolDir = await mkdtemp(join(tmpdir(), 'api-kill-'));
});

afterAll(async () => {
  await api?.stop('SIGKILL');
  await qstash?.close();
  await database?.drop();
  await rm(spoolDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('the edge API killed and restarted mid-delivery', () => {
  it('stores exactly 1,000 sets, none twice', async () => {
    const random = seededRandom('API SIGKILL');
    await api.start();
    const client = createApiClient({
      baseUrl: api.url,
      serviceToken: DEV_DEFAULTS.SERVICE_API_TOKEN,
    });
    const spool = await LogSpool.open({
      dir: spoolDir,
      logger: silentLogger,
      initialBackoffMs: 20,
      maxBackoffMs: 500,
      send: (entries, signal) => client.ingestLogs(entries, signal),
    });
    const sets: LogEntry[] = Array.from({ length: SETS }, (_, i) => ({
      log_id: crypto.randomUUID(),
      user_id: (SEED_USERS[i % SEED_USERS.length] as (typeof SEED_USERS)[number]).user.id,
      exercise: `api kill set ${i}`,
      reps: 1 + (i % 15),
      weight_kg: 30 + (i % 80),
      logged_at: new Date(Date.UTC(2026, 2, 1) + i * 1000).toISOString(),
    }));

    // The coach keeps confirming sets, a few every few milliseconds, for about six seconds...
    const appending = (async () => {
      for (let i = 0; i < SETS; i += 5) {
        await Promise.all(sets.slice(i, i + 5).map((set) => spool.append(set)));
        await sleep(30);
      }
    })();
    // ...while the API is killed at random moments and started again, each time after it has
    // been back for a moment (delivering the backlog: the next kill lands mid-delivery).
    const downtimes: number[] = [];
    const startTimes: number[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(1000 + random.next() * 3000);
      await api.stop('SIGKILL');
      const down = Date.now();
      await sleep(random.next() * 300);
      const starting = Date.now();
      await api.start();
      startTimes.push(Date.now() - starting);
      downtimes.push(Date.now() - down);
    }
    await appending;
    expect((await spool.drain(60_000)).remaining).toBe(0);
    await spool.close();
    await qstash.waitForIdle();

    const result = await database.db.execute(
      sql`select count(*)::int as rows, count(distinct id)::int as distinct from workout_logs`,
    );
    const [counted] = (result as unknown as { rows: { rows: number; distinct: number }[] }).rows;
    const failedCallbacks = qstash.deliveries.filter((d) => d.status !== 200).length;
    reportFigures('edge API SIGKILL mid-delivery', {
      seed: random.seed,
      sets_sent: SETS,
      api_kills: KILLS,
      longest_downtime_ms: Math.max(...downtimes),
      slowest_restart_ms: Math.max(...startTimes),
      qstash_deliveries: qstash.deliveries.length,
      callbacks_failed_and_retried: failedCallbacks,
      rows_stored: counted?.rows ?? -1,
      duplicates: (counted?.rows ?? 0) - (counted?.distinct ?? 0),
      dead_letters: qstash.deadLetters.length,
    });
    expect(api.starts).toBe(KILLS + 1);
    expect(counted).toEqual({ rows: SETS, distinct: SETS });
    const stored = await database.repository.listWorkoutLogs(SEED_USERS[0]?.user.id ?? '', {
      limit: 1000,
    });
    expect(stored.length).toBe(Math.ceil(SETS / SEED_USERS.length));
    expect(qstash.deadLetters).toEqual([]);
  }, 420_000);
});
