import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import {
  exerciseNameSchema,
  LOG_LIMITS,
  type LogEntry,
  logEntrySchema,
} from '../../shared/schemas.ts';
import { serviceHeaders } from '../support/auth.ts';
import { jsonPost } from './fixtures.ts';
import { type LogsHarness, startLogsHarness } from './harness.ts';

let h: LogsHarness;

beforeAll(async () => {
  h = await startLogsHarness({ queue: 'qstash', qstash: { retryDelayMs: () => 10 } });
});

afterAll(async () => {
  await h?.close();
});

const entryArbitrary: fc.Arbitrary<LogEntry> = fc.record({
  log_id: fc.uuid({ version: 4 }),
  user_id: fc.constantFrom(...SEED_USERS.map((seed) => seed.user.id)),
  // Any Unicode the contract accepts must survive the trip into PostgreSQL unchanged.
  exercise: fc
    .string({ unit: 'binary', minLength: 1, maxLength: LOG_LIMITS.exerciseMaxLength })
    .filter((name) => exerciseNameSchema.safeParse(name).success),
  reps: fc.integer({ min: LOG_LIMITS.repsMin, max: LOG_LIMITS.repsMax }),
  weight_kg: fc.double({
    min: LOG_LIMITS.weightKgMin,
    max: LOG_LIMITS.weightKgMax,
    noNaN: true,
    noDefaultInfinity: true,
  }),
  logged_at: fc
    // The contract accepts sets logged from 1970 up to a day ahead of the server's clock.
    .date({ min: new Date('1970-01-01'), max: new Date(), noInvalidDate: true })
    .map((date) => date.toISOString()),
});

/**
 * Some distinct sets, sent as one to three batches in which any set may appear again (the agent
 * resending what it is not sure was accepted), and QStash sometimes delivering every message twice.
 */
const scenarioArbitrary = fc
  .uniqueArray(entryArbitrary, { minLength: 1, maxLength: 12, selector: (e) => e.log_id })
  .chain((sets) =>
    fc.record({
      sets: fc.constant(sets),
      batches: fc.array(fc.array(fc.constantFrom(...sets), { minLength: 1, maxLength: 15 }), {
        minLength: 0,
        maxLength: 2,
      }),
      duplicateDeliveries: fc.boolean(),
    }),
  );

describe('log ingest through QStash', () => {
  it('Feature: edge-api, Property: any set accepted is stored exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async ({ sets, batches, duplicateDeliveries }) => {
        const qstash = h.qstash;
        if (!qstash) throw new Error('this property runs on the QStash stand-in');
        qstash.duplicateDeliveries = duplicateDeliveries;
        qstash.deliveries.length = 0;

        for (const entries of [sets, ...batches]) {
          const response = await h.app.request('/v1/logs', jsonPost({ entries }, serviceHeaders()));
          expect(response.status).toBe(202);
          expect(await response.json()).toEqual({ accepted: entries.length });
        }
        await h.settle();

        expect(qstash.deliveries.every((delivery) => delivery.status === 200)).toBe(true);
        const rows = await h.storedLogs(sets.map((set) => set.log_id));
        expect(rows).toHaveLength(sets.length);
        const stored = new Map(rows.map((row) => [row.id, row]));
        for (const set of sets) {
          // What the API validated is what must be stored (the schema trims exercise names).
          const expected = logEntrySchema.parse(set);
          const row = stored.get(set.log_id);
          expect(row).toMatchObject({
            userId: expected.user_id,
            exercise: expected.exercise,
            reps: expected.reps,
            weightKg: expected.weight_kg,
          });
          expect(row?.loggedAt.toISOString()).toBe(expected.logged_at);
        }
      }),
      { numRuns: 100 },
    );
  });
});
