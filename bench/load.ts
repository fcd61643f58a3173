/**
 * The edge API under a fleet's mixed traffic: `clients` concurrent HTTP clients for `seconds`
 * against the Node server in its own process, on a fresh PostgreSQL database, the Upstash
 * stand-in over real Redis, the QStash stand-in and the zero-latency OpenAI stand-in. Each client
 * loops over session tokens, coaching contexts, log batches and specialist queries in the mix
 * below. Any answer other than the route's success, or a failed request, counts as an error.
 * Writes bench/results/load.json: requests per second and p50/p99 (ms) per route, and the errors.
 * Run alone with `node bench/load.ts` (it is heavy), or with the rest by `npm run bench`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SEED_USERS } from '../drizzle/seed-data.ts';
import { DEV_DEFAULTS, withDevDefaults } from '../shared/dev-defaults.ts';
import { mintUserToken } from '../shared/user-token.ts';
import { freeTcpPort } from '../test/support/net.ts';
import { startOpenAIStandin } from '../test/support/openai-standin.ts';
import { createTestDatabase } from '../test/support/postgres.ts';
import { qstashEnv, startQStashStandin } from '../test/support/qstash-standin.ts';
import {
  startUpstashRedisStandin,
  upstashRedisEnv,
} from '../test/support/upstash-redis-standin.ts';
import { percentile, startServerProcess, stopServerProcess, withDefinedValues } from './api.ts';

const RESULTS = fileURLToPath(new URL('./results/load.json', import.meta.url));

export interface LoadBenchOptions {
  clients: number;
  seconds: number;
  /** Sets per POST /v1/logs, as an agent flushing a short backlog sends them. */
  logBatchSize: number;
  /** Relative weights of the routes in the traffic. */
  mix: Record<RouteName, number>;
}

export const defaultLoadBenchOptions = {
  clients: 200,
  seconds: 30,
  logBatchSize: 10,
  mix: { session: 2, context: 4, logs: 3, specialist: 1 },
} as const satisfies LoadBenchOptions;

type RouteName = 'session' | 'context' | 'logs' | 'specialist';

const ROUTE_LABELS: Record<RouteName, string> = {
  session: 'POST /v1/sessions',
  context: 'GET /v1/users/{user_id}/context',
  logs: 'POST /v1/logs',
  specialist: 'POST /v1/specialists/query',
};

export interface RouteFigures {
  requests: number;
  errors: number;
  requests_per_second: number;
  p50_ms: number;
  p99_ms: number;
}

export interface LoadBenchResults {
  clients: number;
  seconds: number;
  requests: number;
  errors: number;
  requests_per_second: number;
  /** Every status other than the route's success, with how often it came. */
  error_statuses: Record<string, number>;
  routes: Record<string, RouteFigures>;
}

interface Request {
  route: RouteName;
  path: string;
  init: RequestInit;
  success: number;
}

function requestFactory(url: string, userTokens: readonly string[], batchSize: number) {
  const userIds = SEED_USERS.map((seed) => seed.user.id);
  const service = `Bearer ${DEV_DEFAULTS.SERVICE_API_TOKEN}`;
  const json = (authorization: string, body: unknown): RequestInit => ({
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const queries = ['What should I eat after training?', 'Can I swap squats for lunges today?'];
  let n = 0;
  return (route: RouteName): Request => {
    n++;
    const i = n % userIds.length;
    const userId = userIds[i] ?? '';
    switch (route) {
      case 'session':
        return {
          route,
          path: `${url}/v1/sessions`,
          init: json(`Bearer ${userTokens[i]}`, { agent_type: 'workout' }),
          success: 201,
        };
      case 'context':
        return {
          route,
          path: `${url}/v1/users/${userId}/context`,
          init: { headers: { authorization: service } },
          success: 200,
        };
      case 'logs': {
        const loggedAt = new Date().toISOString();
        const entries = Array.from({ length: batchSize }, (_, k) => ({
          log_id: crypto.randomUUID(),
          user_id: userId,
          exercise: 'Back squat',
          reps: 1 + (k % 10),
          weight_kg: 60 + k,
          logged_at: loggedAt,
        }));
        return { route, path: `${url}/v1/logs`, init: json(service, { entries }), success: 202 };
      }
      case 'specialist':
        return {
          route,
          path: `${url}/v1/specialists/query`,
          init: json(service, { user_id: userId, query: queries[n % queries.length] }),
          success: 200,
        };
    }
  };
}

/** A route drawn by the mix's weights. */
function routePicker(mix: Record<RouteName, number>): () => RouteName {
  const routes = Object.entries(mix) as [RouteName, number][];
  const total = routes.reduce((sum, [, weight]) => sum + weight, 0);
  return () => {
    let draw = Math.random() * total;
    for (const [route, weight] of routes) {
      draw -= weight;
      if (draw < 0) return route;
    }
    return routes[0]?.[0] ?? 'context';
  };
}

export async function runLoadBench(
  options: LoadBenchOptions = defaultLoadBenchOptions,
  log: (line: string) => void = console.log,
): Promise<LoadBenchResults> {
  const database = await createTestDatabase({ seed: true });
  const redis = await startUpstashRedisStandin();
  const qstash = await startQStashStandin();
  const openai = await startOpenAIStandin();
  const port = await freeTcpPort();
  const url = `http://127.0.0.1:${port}`;
  const env = withDefinedValues(
    withDevDefaults({
      PORT: String(port),
      DATABASE_DRIVER: 'postgres',
      DATABASE_URL: database.url,
      ...upstashRedisEnv(redis),
      ...qstashEnv(qstash),
      PUBLIC_BASE_URL: url,
      ORCHESTRATOR_LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-standin',
      OPENAI_BASE_URL: openai.baseUrl,
      // A fleet's clients are a few demo users here: the per-user limit would measure only itself.
      SESSION_RATE_LIMIT_PER_MINUTE: '100000000',
    }),
  );
  const tokens = await Promise.all(
    SEED_USERS.map((seed) =>
      mintUserToken({ userId: seed.user.id, secret: DEV_DEFAULTS.AUTH_JWT_SECRET }),
    ),
  );

  const samples = new Map<RouteName, number[]>();
  const errors = new Map<RouteName, number>();
  const errorStatuses: Record<string, number> = {};
  let elapsedSeconds = options.seconds;
  try {
    const server = await startServerProcess(env, url);
    try {
      const next = requestFactory(url, tokens, options.logBatchSize);
      const pick = routePicker(options.mix);
      log(`load bench: ${options.clients} clients for ${options.seconds} s`);
      const started = performance.now();
      const endAt = started + options.seconds * 1000;
      const client = async () => {
        while (performance.now() < endAt) {
          const request = next(pick());
          const begin = performance.now();
          let status: string;
          try {
            const response = await fetch(request.path, request.init);
            await response.arrayBuffer();
            status = String(response.status);
            if (response.status === request.success) {
              const list = samples.get(request.route) ?? [];
              list.push(performance.now() - begin);
              samples.set(request.route, list);
              continue;
            }
          } catch (error) {
            status = error instanceof Error ? error.name : 'failed';
          }
          errors.set(request.route, (errors.get(request.route) ?? 0) + 1);
          const key = `${ROUTE_LABELS[request.route]} ${status}`;
          errorStatuses[key] = (errorStatuses[key] ?? 0) + 1;
        }
      };
      await Promise.all(Array.from({ length: options.clients }, client));
      elapsedSeconds = (performance.now() - started) / 1000;
    } finally {
      await stopServerProcess(server);
    }
  } finally {
    await openai.close();
    await qstash.close();
    await redis.close();
    await database.drop();
  }

  const round = (value: number) => Math.round(value * 100) / 100;
  const routes: Record<string, RouteFigures> = {};
  let requests = 0;
  let errorCount = 0;
  for (const route of Object.keys(ROUTE_LABELS) as RouteName[]) {
    const ok = samples.get(route) ?? [];
    const failed = errors.get(route) ?? 0;
    requests += ok.length + failed;
    errorCount += failed;
    routes[ROUTE_LABELS[route]] = {
      requests: ok.length + failed,
      errors: failed,
      requests_per_second: round((ok.length + failed) / elapsedSeconds),
      p50_ms: ok.length ? percentile(ok, 50) : Number.NaN,
      p99_ms: ok.length ? percentile(ok, 99) : Number.NaN,
    };
  }
  const results: LoadBenchResults = {
    clients: options.clients,
    seconds: round(elapsedSeconds),
    requests,
    errors: errorCount,
    requests_per_second: round(requests / elapsedSeconds),
    error_statuses: errorStatuses,
    routes,
  };
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

if (import.meta.main) console.log(JSON.stringify(await runLoadBench(), null, 2));
