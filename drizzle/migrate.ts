/**
 * `npm run db:migrate`: applies the committed SQL migrations to the configured database (PGlite
 * under .data/ when DATABASE_URL is unset). Already applied migrations are skipped.
 */
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { loadApiConfig } from '../workers/config.ts';
import { migrateDatabase } from '../workers/db/open-node.ts';
import { createJsonLogger } from '../workers/logger.ts';

const logger = createJsonLogger('db');
const config = loadApiConfig(withDevDefaults(process.env));
await migrateDatabase(config.database);
logger.info('db_migrated', { driver: config.database.driver });
