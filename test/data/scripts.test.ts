/**
 * `npm run db:migrate` and `npm run db:seed` on the embedded default: with no DATABASE_URL they
 * create, migrate and seed a PGlite directory, and running them again changes nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mealPlans, users, workoutPlans } from '../../drizzle/schema.ts';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import { openNodeDatabase } from '../../workers/db/open-node.ts';
import { databaseConfig } from '../support/postgres.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

describe('db:migrate and db:seed on the embedded PGlite default', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'fvc-pglite-')), 'nested', 'pglite');
  });

  afterAll(async () => {
    await rm(join(dataDir, '..', '..'), { recursive: true, force: true });
  });

  /** Runs a script as npm would, from another directory to prove paths do not depend on it. */
  const script = (file: string) =>
    run(process.execPath, [join(root, file)], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH, PGLITE_DATA_DIR: dataDir },
    });

  it('creates the directory, migrates and seeds, twice over', { timeout: 120_000 }, async () => {
    for (let round = 0; round < 2; round += 1) {
      const migrated = await script('drizzle/migrate.ts');
      expect(JSON.parse(migrated.stdout)).toMatchObject({ event: 'db_migrated', driver: 'pglite' });
      const seeded = await script('drizzle/seed.ts');
      expect(JSON.parse(seeded.stdout)).toMatchObject({ event: 'db_seeded', driver: 'pglite' });
    }

    const database = await openNodeDatabase(
      databaseConfig({ driver: 'pglite', pgliteDataDir: dataDir }),
    );
    try {
      for (const table of [users, workoutPlans, mealPlans]) {
        const [rows] = await database.db.select({ n: count() }).from(table);
        expect(rows).toEqual({ n: SEED_USERS.length });
      }
      const demo = await database.repository.findCoachingData(DEMO_USER_ID);
      expect(demo?.profile.name).toBe('Demo Athlete');
    } finally {
      await database.close();
    }
  });
});
