/**
 * The embedded defaults keep a confirmed set once, as a new user would try it: `npm run dev`'s
 * server (PGlite on disk, in-process queue) takes 3,000 sets in a burst from several users, is
 * killed with SIGKILL right after the last 202, and is started again on the same data. Every
 * accepted set must be in workout_logs exactly once, and the outbox empty.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import { openNodeDatabase } from '../../workers/db/open-node.ts';
import { serviceHeaders } from '../support/auth.ts';
import { databaseConfig } from '../support/postgres.ts';
import { type ApiProcess, createApiProcess } from './api-process.ts';
import { reportFigures } from './figures.ts';

const SETS = 3000;
const BATCH = 100;

let dataDir: string;
let api: ApiProcess;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'embedded-kill-'));
  api = await createApiProcess({ PGLITE_DATA_DIR: join(dataDir, 'pglite') });
});

afterAll(async () => {
  await api?.stop('SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

/** Rows of these sets in workout_logs and in the outbox, read from the data directory itself. */
async function countOnDisk(logIds: readonly string[]) {
  const database = await openNodeDatabase(
    databaseConfig({ driver: 'pglite', pgliteDataDir: join(dataDir, 'pglite') }),
  );
  try {
    const ids = sql.join(
      logIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    const result = await database.db.execute(sql`select
        (select count(*)::int from workout_logs where id in (${ids})) as rows,
        (select count(distinct id)::int from workout_logs where id in (${ids})) as distinct_ids,
        (select count(*)::int from log_outbox where log_id in (${ids})) as waiting`);
    const [row] = (
      result as unknown as { rows: { rows: number; distinct_ids: number; waiting: number }[] }
    ).rows;
    if (!row) throw new Error('no counts');
    return row;
  } finally {
    await database.close();
  }
}

describe('the embedded default queue across a SIGKILL', () => {
  it('stores all 3,000 sets accepted in a burst exactly once after a kill right after the last 202', async () => {
    await api.start();
    const sets: LogEntry[] = Array.from({ length: SETS }, (_, i) => ({
      log_id: randomUUID(),
      user_id: (SEED_USERS[i % SEED_USERS.length] as (typeof SEED_USERS)[number]).user.id,
      exercise: `kill test set ${i}`,
      reps: 1 + (i % 20),
      weight_kg: 20 + (i % 100),
      logged_at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    }));
    const batches = Array.from({ length: SETS / BATCH }, (_, b) =>
      sets.slice(b * BATCH, (b + 1) * BATCH),
    );

    // The whole burst at once, as a fleet of agents flushing their spools would send it.
    const statuses = await Promise.all(
      batches.map(async (entries) => {
        const response = await fetch(`${api.url}/v1/logs`, {
          method: 'POST',
          headers: { ...serviceHeaders(), 'content-type': 'application/json' },
          body: JSON.stringify({ entries }),
        });
        await response.body?.cancel();
        return response.status;
      }),
    );
    await api.stop('SIGKILL');
    expect(statuses).toEqual(Array(batches.length).fill(202));

    const ids = sets.map((set) => set.log_id);
    const atKill = await countOnDisk(ids);
    // Whatever the queue had not stored yet is still in the outbox: nothing accepted is only in memory.
    expect(atKill.rows + atKill.waiting).toBeGreaterThanOrEqual(SETS);

    // Started again on the same data, the queue resumes; a graceful stop waits for its delivery.
    await api.start();
    await api.stop('SIGTERM');
    const after = await countOnDisk(ids);
    reportFigures('embedded SIGKILL after the last 202', {
      sets_sent: SETS,
      accepted_202: statuses.length * BATCH,
      stored_at_kill: atKill.rows,
      in_outbox_at_kill: atKill.waiting,
      rows_stored: after.rows,
      duplicates: after.rows - after.distinct_ids,
    });
    expect(after).toEqual({ rows: SETS, distinct_ids: SETS, waiting: 0 });
  }, 600_000);
});
