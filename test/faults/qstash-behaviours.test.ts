/**
 * What the real QStash does to a callback, produced by the stand-in against the real API over
 * HTTP on PostgreSQL: every message delivered twice, messages out of publish order, a callback
 * that times out after the row was written, and 5xx answers (before and after the write) that
 * QStash retries. Each time the row count stays exact: every set once, no dead letters.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import type { CoachingRepository } from '../../workers/ports.ts';
import { type LogsHarness, startLogsHarness } from '../logs/harness.ts';
import { serviceHeaders } from '../support/auth.ts';
import type { QStashStandinOptions } from '../support/qstash-standin.ts';
import { reportFigures } from './figures.ts';

const SETS = 300;
const BATCH = 25;

let h: LogsHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function makeSets(count: number): LogEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    log_id: randomUUID(),
    user_id: (SEED_USERS[i % SEED_USERS.length] as (typeof SEED_USERS)[number]).user.id,
    exercise: `qstash behaviour set ${i}`,
    reps: 1 + (i % 12),
    weight_kg: 40 + (i % 60),
    logged_at: new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString(),
  }));
}

/** Posts the sets in batches, one after the other as an agent's spool does, and waits for QStash. */
async function sendAndSettle(harness: LogsHarness, sets: readonly LogEntry[]): Promise<void> {
  for (let start = 0; start < sets.length; start += BATCH) {
    const response = await harness.app.request('/v1/logs', {
      method: 'POST',
      headers: { ...serviceHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ entries: sets.slice(start, start + BATCH) }),
    });
    expect(response.status).toBe(202);
  }
  await harness.settle();
}

/** Rows stored for these sets, and how many of them share a log_id (a duplicate). */
async function countRows(harness: LogsHarness, sets: readonly LogEntry[]) {
  const rows = await harness.storedLogs(sets.map((s) => s.log_id));
  return { rows: rows.length, duplicates: rows.length - new Set(rows.map((r) => r.id)).size };
}

async function run(
  behaviour: string,
  qstash: QStashStandinOptions,
  wrapRepository?: (repository: CoachingRepository) => CoachingRepository,
) {
  h = await startLogsHarness({ queue: 'qstash', qstash, wrapRepository });
  const qstashStandin = h.qstash;
  if (!qstashStandin) throw new Error('this suite runs on the QStash stand-in');
  const sets = makeSets(SETS);
  await sendAndSettle(h, sets);
  const counted = await countRows(h, sets);
  const deliveries = qstashStandin.deliveries;
  reportFigures(`qstash ${behaviour}`, {
    sets_sent: SETS,
    delivery_attempts: deliveries.length,
    attempts_2xx: deliveries.filter((d) => d.status !== null && d.status < 300).length,
    attempts_5xx: deliveries.filter((d) => d.status !== null && d.status >= 500).length,
    attempts_timed_out: deliveries.filter((d) => d.timedOut).length,
    rows_stored: counted.rows,
    duplicates: counted.duplicates,
    dead_letters: qstashStandin.deadLetters.length,
  });
  expect(counted).toEqual({ rows: SETS, duplicates: 0 });
  expect(qstashStandin.deadLetters).toEqual([]);
  return { sets, deliveries };
}

const logIdOf = (body: string) => (JSON.parse(body) as { entries: LogEntry[] }).entries[0]?.log_id;

describe('QStash behaviours against the deliver callback', () => {
  it('stores each set once when every message is delivered twice', async () => {
    const { deliveries } = await run('duplicate deliveries', { duplicateDeliveries: true });
    const ok = deliveries.filter((d) => d.status === 200);
    expect(ok).toHaveLength(SETS * 2);
  }, 120_000);

  it('stores each set once when messages arrive out of publish order', async () => {
    const { sets, deliveries } = await run('out-of-order deliveries', { reorderWithinMs: 300 });
    const published = new Map(sets.map((s, i) => [s.log_id, i]));
    const arrival = deliveries
      .filter((d) => d.status === 200)
      .map((d) => published.get(logIdOf(d.body) ?? '') ?? -1);
    const inversions = arrival.filter((index, i) => i > 0 && index < (arrival[i - 1] ?? 0)).length;
    expect(inversions).toBeGreaterThan(0);
  }, 120_000);

  it('stores each set once when the callback times out after the row was written', async () => {
    const slowOnce = new Set<string>();
    const { deliveries } = await run(
      'callback timeout after the write',
      { callbackTimeoutMs: 500 },
      (repository) => ({
        ...repository,
        async insertWorkoutLogs(entries) {
          const stored = await repository.insertWorkoutLogs(entries);
          // The row is written; the answer comes too late for QStash the first time.
          const first = entries.some((e) => !slowOnce.has(e.log_id));
          for (const e of entries) slowOnce.add(e.log_id);
          if (first) await new Promise((resolve) => setTimeout(resolve, 1000));
          return stored;
        },
      }),
    );
    // Every message's first attempt timed out (a retry may too, on a busy machine).
    expect(deliveries.filter((d) => d.timedOut && d.retried === 0)).toHaveLength(SETS);
    // Each retry found its row already there and answered 200.
    expect(deliveries.filter((d) => d.status === 200 && d.retried > 0).length).toBeGreaterThan(0);
  }, 120_000);

  it('stores each set once when callbacks answer 5xx before or after the write and QStash retries', async () => {
    const failedOnce = new Set<string>();
    let calls = 0;
    const { deliveries } = await run(
      'retries after 5xx',
      { retryDelayMs: () => 10 },
      (repository) => ({
        ...repository,
        async insertWorkoutLogs(entries) {
          const first = entries.some((e) => !failedOnce.has(e.log_id));
          for (const e of entries) failedOnce.add(e.log_id);
          if (!first) return repository.insertWorkoutLogs(entries);
          // Alternately: the database fails before the write, or after it (the row stays).
          calls++;
          if (calls % 2 === 0) throw new Error('connection reset before the write');
          await repository.insertWorkoutLogs(entries);
          throw new Error('connection reset after the write');
        },
      }),
    );
    expect(deliveries.filter((d) => d.status === 503)).toHaveLength(SETS);
    expect(deliveries.filter((d) => d.status === 200)).toHaveLength(SETS);
  }, 120_000);
});
