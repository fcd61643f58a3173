/**
 * The local services the Worker under test talks to, started in Node: a fresh migrated and seeded
 * PostgreSQL database, the Neon HTTP stand-in and WebSocket proxy in front of it, the Upstash
 * stand-in over real Redis, the QStash stand-in and the OpenAI stand-in (the orchestrator's model,
 * scripted by tests through its control server). Their URLs reach the Worker as bindings (see
 * vitest.config.ts), exactly as wrangler secrets reach it in production.
 *
 * Also a script for trying the Worker with `wrangler dev` on this machine:
 *   node test/workerd/local-services.ts > .dev.vars      (keep it running; Ctrl-C drops the database)
 *   npx wrangler dev --port 8787                          (in another terminal)
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { mealPlans, userProfiles, users, workoutPlans } from '../../drizzle/schema.ts';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import type { AnyPgDatabase } from '../../workers/db/repository.ts';
import { startNeonHttpStandin } from '../support/neon-http-standin.ts';
import { startNeonWsProxy } from '../support/neon-ws-proxy.ts';
import { freeTcpPort } from '../support/net.ts';
import { startOpenAIStandin } from '../support/openai-standin.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { qstashEnv, startQStashStandin } from '../support/qstash-standin.ts';
import { startUpstashRedisStandin, upstashRedisEnv } from '../support/upstash-redis-standin.ts';
import { startOpenAIControl } from './openai-control.ts';

export interface LocalServices {
  /** Every variable and secret of the Worker under test. */
  bindings: Record<string, string>;
  /** Loopback port on which workerd must serve the Worker (its PUBLIC_BASE_URL). */
  port: number;
  /** A user of its own (a copy of a demo user), so no other test file touches its cache entry. */
  userId: string;
  /** Where tests script the OpenAI stand-in and read what it received (see openai-control.ts). */
  openaiControlUrl: string;
  close(): Promise<void>;
}

/** `port`: where the Worker will listen (e.g. `wrangler dev`'s 8787); a free one when omitted. */
export async function startLocalServices(options: { port?: number } = {}): Promise<LocalServices> {
  const database = await createTestDatabase({ seed: true });
  const userId = await insertUserLike(database.db, SEED_USERS[0]);
  const neonHttp = await startNeonHttpStandin();
  const neonWs = await startNeonWsProxy();
  const redis = await startUpstashRedisStandin();
  // Every message is delivered twice, as QStash may: the Worker must still store each set once.
  const qstash = await startQStashStandin({ duplicateDeliveries: true });
  const openai = await startOpenAIStandin();
  const openaiControl = await startOpenAIControl(openai);
  const port = options.port ?? (await freeTcpPort());

  return {
    port,
    userId,
    openaiControlUrl: openaiControl.url,
    bindings: {
      DATABASE_URL: withPassword(database.url),
      NEON_FETCH_ENDPOINT: neonHttp.url,
      NEON_WS_PROXY: neonWs.wsProxy,
      ...upstashRedisEnv(redis),
      ...qstashEnv(qstash),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      LIVEKIT_URL: DEV_DEFAULTS.LIVEKIT_URL,
      LIVEKIT_API_KEY: DEV_DEFAULTS.LIVEKIT_API_KEY,
      LIVEKIT_API_SECRET: DEV_DEFAULTS.LIVEKIT_API_SECRET,
      AUTH_JWT_SECRET: DEV_DEFAULTS.AUTH_JWT_SECRET,
      SERVICE_API_TOKEN: DEV_DEFAULTS.SERVICE_API_TOKEN,
      // Far above wrangler.toml's binding limit (10): a 429 can then only come from the binding.
      SESSION_RATE_LIMIT_PER_MINUTE: '1000',
      ORCHESTRATOR_LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-workerd-standin',
      OPENAI_BASE_URL: openai.baseUrl,
      // The latency budget is measured by the benchmark; here a machine busy with other tests must
      // not turn a slow answer into a failed one.
      ORCHESTRATOR_TIMEOUT_MS: '10000',
    },
    async close() {
      await openaiControl.close();
      await openai.close();
      await qstash.close();
      await redis.close();
      await neonWs.close();
      await neonHttp.close();
      await database.drop();
    },
  };
}

/** Inserts a copy of `template` under fresh ids and returns the new user's id. */
async function insertUserLike(
  db: AnyPgDatabase,
  template: (typeof SEED_USERS)[number] | undefined,
): Promise<string> {
  if (!template) throw new Error('the seed has no demo user to copy');
  const userId = randomUUID();
  await db.insert(users).values({ ...template.user, id: userId, email: `${userId}@workerd.test` });
  await db.insert(userProfiles).values({ ...template.profile, userId });
  await db.insert(workoutPlans).values({ ...template.workoutPlan, id: randomUUID(), userId });
  await db.insert(mealPlans).values({ ...template.mealPlan, id: randomUUID(), userId });
  return userId;
}

/**
 * Neon's driver insists on a password in the connection string; the local server trusts loopback
 * connections and ignores it.
 */
function withPassword(url: string): string {
  const parsed = new URL(url);
  if (!parsed.password) parsed.password = 'local';
  return parsed.toString();
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8787' } } });
  const port = z.coerce.number().int().min(1).max(65535).parse(values.port);
  const services = await startLocalServices({ port });
  for (const [name, value] of Object.entries(services.bindings)) {
    process.stdout.write(`${name}=${JSON.stringify(value)}\n`);
  }
  process.stderr.write(
    `local services are up for a Worker on port ${services.port} (OpenAI stand-in control: ` +
      `${services.openaiControlUrl}); Ctrl-C stops them\n`,
  );
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      services.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
