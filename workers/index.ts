/**
 * The Cloudflare Workers entry. The configuration is parsed once per isolate (Workers hands the
 * same env object to every request of an isolate) and a bad one answers every request with a 503
 * naming the variables, so a deployment missing a secret fails loudly without leaking a value.
 * Only Workers-safe adapters are reachable from here: never pg or PGlite. Durable, shared backends
 * (Neon, Upstash, QStash) are required, since isolates share no memory and may stop at any time.
 */
import type { ExecutionContext } from 'hono';
import { ConfigError, collectConfigProblems } from '../shared/config.ts';
import { ANALYTICS_BINDING, analyticsEngineBinding } from './analytics/sink.ts';
import { type App, createApp } from './app.ts';
import { type ApiConfig, loadApiConfig } from './config.ts';
import { openDatabase } from './db/open.ts';
import { createRequestScopedDatabase } from './db/request-scoped.ts';
import { errorBody } from './errors.ts';
import { createJsonLogger } from './logger.ts';
import type { CoachingRepository, Logger, RateLimiter } from './ports.ts';
import { createServices, createSessionRateLimiter } from './services.ts';

/** Variables from wrangler.toml and secrets, plus bindings such as the rate limiter. */
export type WorkerEnv = Readonly<Record<string, unknown>>;

export type Handler = (request: Request, ctx: ExecutionContext) => Promise<Response>;

const logger = createJsonLogger('edge-api');
const handlers = new WeakMap<WorkerEnv, Handler>();

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let handler = handlers.get(env);
    if (!handler) {
      handler = createHandler(env, logger);
      handlers.set(env, handler);
    }
    return handler(request, ctx);
  },
};

/**
 * The request handler for one isolate's env. `makeServices` is the one place services are built
 * (tests pass a counting wrapper to prove it runs once per isolate, not once per request).
 */
export function createHandler(
  env: WorkerEnv,
  logger: Logger,
  makeServices: typeof createServices = createServices,
): Handler {
  let config: ApiConfig;
  try {
    config = loadWorkersConfig(stringVariables(env));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The message names variables, never their values (shared/config.ts), so it may be shown.
    logger.error('config_invalid', { problems: error.problems });
    const body = JSON.stringify(errorBody('unavailable', error.message));
    return async () =>
      new Response(body, { status: 503, headers: { 'content-type': 'application/json' } });
  }

  // Built once per isolate: a limiter made per request would never refuse anything, and the
  // orchestrator and adapters are costly to build and hold nothing tied to one request.
  const sessionRateLimiter =
    rateLimiterBinding(env.SESSION_RATE_LIMITER) ?? createSessionRateLimiter(config);
  const buildApp = (repository: CoachingRepository): App =>
    createApp(
      makeServices({
        config,
        repository,
        logger,
        sessionRateLimiter,
        analytics: analyticsEngineBinding(env[ANALYTICS_BINDING]),
      }),
    );

  if (config.database.driver === 'neon-http') {
    // Each query is its own fetch, so one database serves every request of the isolate.
    const app = buildApp(openDatabase(config.database, { logger }).repository);
    return async (request, ctx) => app.fetch(request, {}, ctx);
  }
  // Workers ties a WebSocket to the request that opened it, so each request gets its own pool,
  // closed once the response is out; the app on top of it is still built once.
  const database = createRequestScopedDatabase(() => openDatabase(config.database, { logger }));
  const app = buildApp(database.repository);
  return (request, ctx) =>
    database.run(
      () => Promise.resolve(app.fetch(request, {}, ctx)),
      (closing) => ctx.waitUntil(closing),
    );
}

const NEON_DRIVERS: readonly string[] = ['neon-http', 'neon-websocket'];

/** The shared configuration rules plus the Worker's own, all problems named in one error. */
function loadWorkersConfig(variables: Record<string, string>): ApiConfig {
  const problems: string[] = [];
  const config = collectConfigProblems(() => loadApiConfig(variables), problems);
  const named = new Set(problems.map((problem) => problem.split(':')[0]));
  for (const problem of workersProblems(variables)) {
    if (!named.has(problem.split(':')[0])) problems.push(problem);
  }
  if (!config || problems.length > 0) throw new ConfigError('Edge API', problems);
  return config;
}

/**
 * A Worker may be stopped as soon as it has answered and its isolates share no memory, so it
 * needs the durable, shared backends: no embedded database, memory cache or in-process queue.
 */
function workersProblems(variables: Record<string, string>): string[] {
  const unset = (name: string) => !variables[name]?.trim();
  const problems: string[] = [];
  const driver = variables.DATABASE_DRIVER?.trim();
  if (driver && !NEON_DRIVERS.includes(driver)) {
    problems.push('DATABASE_DRIVER: must be neon-http or neon-websocket on Workers');
  }
  if (unset('DATABASE_URL')) problems.push('DATABASE_URL: is required on Workers (Neon)');
  for (const name of ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN', 'QSTASH_TOKEN']) {
    if (unset(name)) problems.push(`${name}: is required on Workers`);
  }
  return problems;
}

function stringVariables(env: WorkerEnv): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (typeof value === 'string') variables[name] = value;
  }
  return variables;
}

function rateLimiterBinding(binding: unknown): RateLimiter | undefined {
  const isLimiter =
    typeof binding === 'object' &&
    binding !== null &&
    typeof (binding as Partial<RateLimiter>).limit === 'function';
  return isLimiter ? (binding as RateLimiter) : undefined;
}
