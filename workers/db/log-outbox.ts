/**
 * The embedded queue's outbox on any drizzle Postgres driver (PGlite in `npm run dev`). Each
 * operation is one statement, so it needs no transaction.
 */
import { asc, inArray } from 'drizzle-orm';
import { logOutbox } from '../../drizzle/schema.ts';
import type { LogOutbox } from '../ports.ts';
import type { AnyPgDatabase } from './repository.ts';

export function createLogOutbox(db: AnyPgDatabase): LogOutbox {
  return {
    async add(entries) {
      if (entries.length === 0) return;
      await db
        .insert(logOutbox)
        .values(
          entries.map((entry) => ({
            logId: entry.log_id,
            userId: entry.user_id,
            exercise: entry.exercise,
            reps: entry.reps,
            weightKg: entry.weight_kg,
            loggedAt: entry.logged_at,
          })),
        )
        .onConflictDoNothing({ target: logOutbox.logId });
    },
    async next(limit) {
      const rows = await db
        .select()
        .from(logOutbox)
        .orderBy(asc(logOutbox.queuedAt), asc(logOutbox.logId))
        .limit(limit);
      return rows.map((row) => ({
        log_id: row.logId,
        user_id: row.userId,
        exercise: row.exercise,
        reps: row.reps,
        weight_kg: row.weightKg,
        logged_at: row.loggedAt,
      }));
    },
    async remove(logIds) {
      if (logIds.length === 0) return;
      await db.delete(logOutbox).where(inArray(logOutbox.logId, [...logIds]));
    },
  };
}
