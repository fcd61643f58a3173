/**
 * The edge API benchmark on the local services: a fresh PostgreSQL database, the Upstash
 * stand-in over real Redis and the QStash stand-in. Latencies of single requests are measured in
 * process (`app.request`, no socket in between); throughput and log persistence go over HTTP to
 * the Node server running in its own process, as a deployed API is reached.
 * Writes bench/results/api.json, a flat object of numbers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { count, inArray } from 'drizzle-orm';
import { workoutLogs } from '../drizzle/schema.ts';
import { SEED_USERS } from '../drizzle/seed-data.ts';
import { DEV_DEFAULTS, withDevDefaults } from '../shared/dev-defaults.ts';
import type { LogEntry } from '../shared/schemas.ts';
import { mintUserToken } from '../shared/user-token.ts';
import { freeTcpPort } from '../test/support/net.ts';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres.ts';
import { qstashEnv, startQStashStandin } from '../test/support/qstash-standin.ts';
import {
  startUpstashRedisStandin,
  upstashRedisEnv,
} from '../test/support/upstash-redis-standin.ts';
import type { App } from '../workers/app.ts';
import { contextCacheKey } from '../workers/context/context-service.ts';
import { silentLogger } from '../workers/logger.ts';
import { startApiServer } from '../workers/server.ts';

const RESULTS = fileURLToPath(new URL('./results/api.json', import.meta.url));
const SERVER_MAIN = fileURLToPath(new URL('../workers/server.ts', import.meta.url));

export const API_BENCH_SETTINGS = {
  warmupRequests: 200,
  sessionRequests: 2000,
  cachedContextRequests: 2000,
  uncachedContextRequests: 300,
  /** Concurrent HTTP clients asking for session tokens, and for how long. */
  httpClients: 32,
  httpSeconds: 5,
  /** Sets per POST /v1/logs: the most the contract allows, as the agent sends a backlog. */
  logBatchSize: 100,
  /** Sets ingested untimed first, so the log path is compiled and its connections open. */
  logWarmupSets: 2000,
  /** Offered load of the persistence measurement: the 1,000 sets/s target, for this long. */
  pacedSetsPerSecond: 1000,
  pacedSeconds: 5,
  /** Sets posted as fast as `logClients` clients can for the throughput measurement. */
  floodSets: 10_000,
  logClients: 8,
} as const;

export type ApiBenchResults = Record<string, number>;

const headersJson = (authorization: string) => ({
  authorization,
  'content-type': 'application/json',
});

/** Nearest-rank percentile, in the samples' unit, rounded to 0.01. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return round(sorted[index] ?? Number.NaN);
}

const round = (value: number) => Math.round(value * 100) / 100;

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  if (response.status !== status) {
    throw new Error(
      `${what}: expected ${status}, got ${response.status}: ${await response.text()}`,
    );
  }
  await response.arrayBuffer();
}

/** Times `count` sequential runs of `request` after `warmup` untimed ones, in milliseconds. */
async function timeSequential(
  count: number,
  warmup: number,
  request: (i: number) => Promise<void>,
  before?: (i: number) => Promise<void>,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) {
    await before?.(i);
    await request(i);
  }
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    await before?.(i);
    const start = performance.now();
    await request(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

/** `node workers/server.ts` in its own process, ready once /health answers. */
export async function startServerProcess(
  env: Record<string, string>,
  url: string,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER_MAIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the API server exited: ${stderr}`);
    try {
      const response = await fetch(`${url}/health`);
      await response.arrayBuffer();
      if (response.ok) return child;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`the API server did not become healthy within 30 s: ${stderr}`);
}

export async function stopServerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

function logEntries(count: number, userIds: readonly string[]): LogEntry[] {
  const loggedAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => ({
    log_id: crypto.randomUUID(),
    user_id: userIds[i % userIds.length] ?? '',
    exercise: 'Bench press',
    reps: 1 + (i % 12),
    weight_kg: 60 + (i % 40),
    logged_at: loggedAt,
  }));
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Waits until every set is stored, then returns each one's commit time (created_at), in ms.
 * While waiting it only counts the table's rows (the bench's database holds no other logs than
 * the `storedBefore` of earlier phases), so the polling steals little CPU from the server it
 * measures; created_at is read once at the end.
 */
async function committedAt(
  database: TestDatabase,
  logIds: readonly string[],
  storedBefore: number,
  timeoutMs: number,
): Promise<Map<string, number>> {
  const expected = storedBefore + logIds.length;
  const deadline = Date.now() + timeoutMs;
  for (let stored = 0; stored < expected; stored = await storedLogCount(database)) {
    if (Date.now() > deadline) {
      throw new Error(`only ${stored} of ${expected} sets were stored in ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const found = new Map<string, number>();
  for (const chunk of batches(logIds, 1000)) {
    const rows = await database.db
      .select({ id: workoutLogs.id, createdAt: workoutLogs.createdAt })
      .from(workoutLogs)
      .where(inArray(workoutLogs.id, chunk));
    for (const row of rows) found.set(row.id, row.createdAt.getTime());
  }
  if (found.size !== logIds.length) {
    throw new Error(`${logIds.length - found.size} sets are missing from the stored rows`);
  }
  return found;
}

async function storedLogCount(database: TestDatabase): Promise<number> {
  const [row] = await database.db.select({ n: count() }).from(workoutLogs);
  return row?.n ?? 0;
}

async function benchSessionsInProcess(app: App, tokens: readonly string[]) {
  const samples = await timeSequential(
    API_BENCH_SETTINGS.sessionRequests,
    API_BENCH_SETTINGS.warmupRequests,
    async (i) => {
      const response = await app.request('/v1/sessions', {
        method: 'POST',
        headers: headersJson(`Bearer ${tokens[i % tokens.length]}`),
        body: JSON.stringify({ agent_type: 'workout' }),
      });
      await expectStatus(response, 201, 'POST /v1/sessions');
    },
  );
  return {
    session_token_p50_ms: percentile(samples, 50),
    session_token_p99_ms: percentile(samples, 99),
  };
}

async function benchContextInProcess(
  app: App,
  userIds: readonly string[],
  evict: (key: string) => Promise<void>,
) {
  const service = `Bearer ${DEV_DEFAULTS.SERVICE_API_TOKEN}`;
  const read = async (i: number) => {
    const userId = userIds[i % userIds.length] ?? '';
    const response = await app.request(`/v1/users/${userId}/context`, {
      headers: { authorization: service },
    });
    await expectStatus(response, 200, 'GET /v1/users/{id}/context');
  };
  const cached = await timeSequential(
    API_BENCH_SETTINGS.cachedContextRequests,
    API_BENCH_SETTINGS.warmupRequests,
    read,
  );
  const uncached = await timeSequential(
    API_BENCH_SETTINGS.uncachedContextRequests,
    API_BENCH_SETTINGS.warmupRequests / 4,
    read,
    (i) => evict(contextCacheKey(userIds[i % userIds.length] ?? '')),
  );
  return {
    context_cached_p50_ms: percentile(cached, 50),
    context_cached_p99_ms: percentile(cached, 99),
    context_uncached_p50_ms: percentile(uncached, 50),
    context_uncached_p99_ms: percentile(uncached, 99),
  };
}

async function benchSessionsOverHttp(url: string, tokens: readonly string[]) {
  const { httpClients, httpSeconds } = API_BENCH_SETTINGS;
  const request = async (i: number) => {
    const response = await fetch(`${url}/v1/sessions`, {
      method: 'POST',
      headers: headersJson(`Bearer ${tokens[i % tokens.length]}`),
      body: JSON.stringify({ agent_type: 'general' }),
    });
    await expectStatus(response, 201, 'POST /v1/sessions over HTTP');
  };
  const runFor = async (ms: number) => {
    const end = performance.now() + ms;
    let done = 0;
    await Promise.all(
      Array.from({ length: httpClients }, async (_, client) => {
        while (performance.now() < end) {
          await request(client);
          done++;
        }
      }),
    );
    return done;
  };
  await runFor(1000);
  const start = performance.now();
  const done = await runFor(httpSeconds * 1000);
  return { session_token_rps: Math.round(done / ((performance.now() - start) / 1000)) };
}

async function postLogBatch(url: string, entries: readonly LogEntry[]): Promise<number> {
  const response = await fetch(`${url}/v1/logs`, {
    method: 'POST',
    headers: headersJson(`Bearer ${DEV_DEFAULTS.SERVICE_API_TOKEN}`),
    body: JSON.stringify({ entries }),
  });
  await expectStatus(response, 202, 'POST /v1/logs');
  return Date.now();
}

/** Posts `entries` from `logClients` concurrent clients, a full batch per request. */
async function postAll(url: string, entries: readonly LogEntry[]): Promise<void> {
  const queue = batches(entries, API_BENCH_SETTINGS.logBatchSize);
  await Promise.all(
    Array.from({ length: API_BENCH_SETTINGS.logClients }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) await postLogBatch(url, batch);
    }),
  );
}

/** Like the other phases' warm-up requests: the measured logs meet a warm server. */
async function warmUpLogs(url: string, database: TestDatabase, userIds: readonly string[]) {
  const entries = logEntries(API_BENCH_SETTINGS.logWarmupSets, userIds);
  const storedBefore = await storedLogCount(database);
  await postAll(url, entries);
  await committedAt(
    database,
    entries.map((entry) => entry.log_id),
    storedBefore,
    60_000,
  );
}

/** The target load (1,000 sets/s) offered at a steady pace: how long until each set is stored. */
async function benchLogPersistence(
  url: string,
  database: TestDatabase,
  userIds: readonly string[],
) {
  const { pacedSetsPerSecond, pacedSeconds, logBatchSize } = API_BENCH_SETTINGS;
  const entries = logEntries(pacedSetsPerSecond * pacedSeconds, userIds);
  const intervalMs = (1000 * logBatchSize) / pacedSetsPerSecond;
  const acceptedAt = new Map<string, number>();
  const storedBefore = await storedLogCount(database);
  const start = performance.now();
  await Promise.all(
    batches(entries, logBatchSize).map(async (batch, i) => {
      const due = start + i * intervalMs - performance.now();
      if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
      const at = await postLogBatch(url, batch);
      for (const entry of batch) acceptedAt.set(entry.log_id, at);
    }),
  );
  const ids = entries.map((entry) => entry.log_id);
  const committed = await committedAt(database, ids, storedBefore, 60_000);
  // created_at is the inserting transaction's start, a hair before its commit: ms resolution.
  const latencies = ids.map((id) =>
    Math.max(0, (committed.get(id) ?? 0) - (acceptedAt.get(id) ?? 0)),
  );
  return {
    log_persist_p50_ms: percentile(latencies, 50),
    log_persist_p99_ms: percentile(latencies, 99),
  };
}

/** Sets posted as fast as the clients can: stored sets per second, from first post to last row. */
async function benchLogThroughput(url: string, database: TestDatabase, userIds: readonly string[]) {
  const { floodSets } = API_BENCH_SETTINGS;
  const entries = logEntries(floodSets, userIds);
  const storedBefore = await storedLogCount(database);
  const start = Date.now();
  await postAll(url, entries);
  const acceptedMs = Date.now() - start;
  const committed = await committedAt(
    database,
    entries.map((entry) => entry.log_id),
    storedBefore,
    120_000,
  );
  const lastCommit = Math.max(...committed.values());
  return {
    log_accept_sets_per_s: Math.round(floodSets / (acceptedMs / 1000)),
    log_ingest_sets_per_s: Math.round(floodSets / (Math.max(1, lastCommit - start) / 1000)),
  };
}

export async function runApiBench(
  log: (line: string) => void = console.log,
): Promise<ApiBenchResults> {
  const database = await createTestDatabase({ seed: true });
  const redis = await startUpstashRedisStandin();
  const qstash = await startQStashStandin();
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    DATABASE_DRIVER: 'postgres',
    DATABASE_URL: database.url,
    ...upstashRedisEnv(redis),
    ...qstashEnv(qstash),
    PUBLIC_BASE_URL: url,
    // Every client is one of a few demo users: the per-user limit would measure only itself.
    SESSION_RATE_LIMIT_PER_MINUTE: '100000000',
  };
  const userIds = SEED_USERS.map((seed) => seed.user.id);
  const tokens = await Promise.all(
    userIds.map((userId) =>
      mintUserToken({ userId, secret: DEV_DEFAULTS.AUTH_JWT_SECRET, ttlSeconds: 3600 }),
    ),
  );

  const results: ApiBenchResults = {};
  try {
    log('api bench: in-process latencies');
    const inProcess = await startApiServer(withDevDefaults({ ...env, PORT: '0' }), {
      logger: silentLogger,
    });
    try {
      Object.assign(results, await benchSessionsInProcess(inProcess.app, tokens));
      Object.assign(
        results,
        await benchContextInProcess(inProcess.app, userIds, (key) =>
          inProcess.services.cache.delete(key),
        ),
      );
    } finally {
      await inProcess.close();
    }

    log('api bench: HTTP throughput and log persistence');
    const server = await startServerProcess(
      withDefinedValues(withDevDefaults({ ...env, PORT: String(port) })),
      url,
    );
    try {
      Object.assign(results, await benchSessionsOverHttp(url, tokens));
      await warmUpLogs(url, database, userIds);
      Object.assign(results, await benchLogPersistence(url, database, userIds));
      Object.assign(results, await benchLogThroughput(url, database, userIds));
    } finally {
      await stopServerProcess(server);
    }
  } finally {
    await qstash.close();
    await redis.close();
    await database.drop();
  }

  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

export function withDefinedValues(env: Record<string, string | undefined>): Record<string, string> {
  const defined: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) defined[key] = value;
  return defined;
}

if (import.meta.main) console.log(JSON.stringify(await runApiBench(), null, 2));
