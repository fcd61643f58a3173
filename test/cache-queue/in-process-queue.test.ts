import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDatabase } from '../../drizzle/seed.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import { createInProcessLogQueue } from '../../workers/adapters/queue/in-process.ts';
import { type NodeDatabase, openNodeDatabase } from '../../workers/db/open-node.ts';
import { deliverLogs } from '../../workers/logs/deliver.ts';
import type { Logger } from '../../workers/ports.ts';
import { databaseConfig } from '../support/postgres.ts';

const entry = (): LogEntry => ({
  log_id: randomUUID(),
  user_id: DEMO_USER_ID,
  exercise: 'Deadlift',
  reps: 3,
  weight_kg: 140,
  logged_at: '2025-03-01T10:00:00.123456Z',
});

function recordingLogger() {
  const lines: { level: string; event: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (event, fields) => lines.push({ level: 'info', event, fields }),
    warn: (event, fields) => lines.push({ level: 'warn', event, fields }),
    error: (event, fields) => lines.push({ level: 'error', event, fields }),
  };
  return { logger, lines };
}

// The embedded default's own database: PGlite, migrated and seeded as `npm run dev` does.
let database: NodeDatabase;
beforeAll(async () => {
  database = await openNodeDatabase(databaseConfig({ driver: 'pglite' }));
  await database.migrate();
  await seedDatabase(database.db);
});
afterAll(async () => {
  await database?.close();
});

/** The real delivery into workout_logs, failing its first `failures` calls like a database coming back. */
function flakyDelivery(failures: number) {
  const { logger } = recordingLogger();
  let calls = 0;
  return {
    calls: () => calls,
    deliver: async (entries: readonly LogEntry[]) => {
      calls++;
      if (calls <= failures) throw new Error('database unavailable');
      return deliverLogs(database.repository, entries, logger);
    },
  };
}

async function storedCount(logIds: readonly string[]): Promise<number> {
  const logs = await database.repository.listWorkoutLogs(DEMO_USER_ID, { limit: 1000 });
  return logs.filter((log) => logIds.includes(log.log_id)).length;
}

describe('in-process log queue over the outbox table', () => {
  it('keeps the sets in the outbox before publish resolves and delivers them in the background', async () => {
    const target = flakyDelivery(0);
    const { logger } = recordingLogger();
    const queue = createInProcessLogQueue({
      outbox: database.outbox,
      deliver: target.deliver,
      logger,
    });
    const entries = [entry(), entry()];
    await queue.publish(entries);
    await queue.drain();
    expect(await storedCount(entries.map((e) => e.log_id))).toBe(2);
    expect(await database.outbox.next(10)).toEqual([]);
    const [stored] = await database.repository.listWorkoutLogs(DEMO_USER_ID, { limit: 1 });
    expect(stored?.reps).toBe(3);
  });

  it('keeps a set in the outbox while delivery fails and retries with backoff, logging no personal data', async () => {
    const target = flakyDelivery(2);
    const { logger, lines } = recordingLogger();
    const queue = createInProcessLogQueue({
      outbox: database.outbox,
      deliver: target.deliver,
      logger,
      baseDelayMs: 1,
    });
    const e = entry();
    await queue.publish([e]);
    await queue.drain();
    // The first failure leaves the set waiting, exactly as accepted (microseconds included).
    expect(await database.outbox.next(10)).toEqual([e]);
    while (target.calls() < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await queue.drain();
    expect(await storedCount([e.log_id])).toBe(1);
    expect(await database.outbox.next(10)).toEqual([]);
    const retries = lines.filter((l) => l.event === 'log_queue_retrying');
    expect(retries.map((l) => l.fields?.attempt)).toEqual([1, 2]);
    expect(JSON.stringify(lines)).not.toContain('Deadlift');
  });

  it('resumes at start from what an earlier process left in the outbox', async () => {
    const { logger } = recordingLogger();
    const left = [entry(), entry(), entry()];
    // A process that accepted the sets and died before delivering any of them.
    await database.outbox.add(left);
    const next = createInProcessLogQueue({
      outbox: database.outbox,
      deliver: flakyDelivery(0).deliver,
      logger,
    });
    await next.drain();
    expect(await storedCount(left.map((e) => e.log_id))).toBe(3);
    expect(await database.outbox.next(10)).toEqual([]);
  });

  it('stores a set published again, in the same batch or later, once', async () => {
    const { logger } = recordingLogger();
    const queue = createInProcessLogQueue({
      outbox: database.outbox,
      deliver: flakyDelivery(0).deliver,
      logger,
    });
    const [a, b] = [entry(), entry()] as [LogEntry, LogEntry];
    await queue.publish([a, a]);
    await queue.publish([a, b]);
    await queue.drain();
    await queue.publish([a, b]);
    await queue.drain();
    expect(await storedCount([a.log_id, b.log_id])).toBe(2);
    expect(await database.outbox.next(10)).toEqual([]);
  });
});
