/**
 * `npm run db:seed`: loads the demo users of seed-data.ts into the configured database (PGlite
 * under .data/ when DATABASE_URL is unset). Safe to run again: it resets the demo rows to the
 * seed's values and touches nothing else.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { loadApiConfig } from '../workers/config.ts';
import { openNodeDatabase } from '../workers/db/open-node.ts';
import type { AnyPgDatabase } from '../workers/db/repository.ts';
import { createJsonLogger } from '../workers/logger.ts';
import { mealPlans, userProfiles, users, workoutPlans } from './schema.ts';
import { DEMO_USER_ID, SEED_USERS } from './seed-data.ts';

export { DEMO_USER_ID };

/**
 * Upserts every demo row by its fixed id. Each statement is idempotent on its own, so no
 * transaction is needed (neon-http has none) and a run cut short is finished by the next one.
 */
export async function seedDatabase(db: AnyPgDatabase): Promise<void> {
  for (const { user, profile, workoutPlan, mealPlan } of SEED_USERS) {
    await db
      .insert(users)
      .values(user)
      .onConflictDoUpdate({ target: users.id, set: fromExcluded(users, ['email']) });
    await db
      .insert(userProfiles)
      .values(profile)
      .onConflictDoUpdate({
        target: userProfiles.userId,
        set: fromExcluded(userProfiles, [
          'name',
          'fitnessLevel',
          'goals',
          'injuries',
          'equipment',
          'dietaryPreferences',
          'allergies',
          'units',
          'timeZone',
          'updatedAt',
        ]),
      });
    await db
      .insert(workoutPlans)
      .values(workoutPlan)
      .onConflictDoUpdate({
        target: workoutPlans.id,
        set: fromExcluded(workoutPlans, ['userId', 'name', 'goal', 'days', 'active']),
      });
    await db
      .insert(mealPlans)
      .values(mealPlan)
      .onConflictDoUpdate({
        target: mealPlans.id,
        set: fromExcluded(mealPlans, ['userId', 'name', 'dailyCalorieTarget', 'days', 'active']),
      });
  }
}

/** `SET column = excluded.column` for each key: an upsert that resets the row to the seed. */
function fromExcluded<T extends PgTable, K extends keyof T['$inferInsert'] & keyof T>(
  table: T,
  keys: readonly K[],
): Record<K, SQL> {
  const set = {} as Record<K, SQL>;
  for (const key of keys) {
    const column = table[key] as PgColumn;
    set[key] = sql.raw(`excluded."${column.name}"`);
  }
  return set;
}

async function main(): Promise<void> {
  const logger = createJsonLogger('db');
  const config = loadApiConfig(withDevDefaults(process.env));
  const database = await openNodeDatabase(config.database, { logger });
  try {
    await seedDatabase(database.db);
    logger.info('db_seeded', { driver: config.database.driver, users: SEED_USERS.length });
  } finally {
    await database.close();
  }
}

if (import.meta.main) await main();
