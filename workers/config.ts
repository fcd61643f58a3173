/**
 * The edge API's configuration, parsed once from the environment (Workers bindings or
 * process.env). Backends are chosen here, by configuration, never by editing code.
 */
import { z } from 'zod';
import { type EnvSource, parseConfig } from '../shared/config.ts';
import {
  LLM_PROVIDERS,
  type LlmProvider,
  PROVIDER_KEY_VARIABLES,
} from '../shared/llm-providers.ts';

const DATABASE_DRIVERS = ['neon-http', 'neon-websocket', 'postgres', 'pglite'] as const;
export type DatabaseDriver = (typeof DATABASE_DRIVERS)[number];

/** Small, fast models by default: a specialist answer has a 2 s budget and is spoken, not read. */
export const DEFAULT_ORCHESTRATOR_MODELS: Record<
  LlmProvider,
  { model: string; classifier: string }
> = {
  openai: { model: 'gpt-4o-mini', classifier: 'gpt-4o-mini' },
  anthropic: { model: 'claude-haiku-4-5', classifier: 'claude-haiku-4-5' },
  google: { model: 'gemini-2.5-flash', classifier: 'gemini-2.5-flash-lite' },
};

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const url = z.url({ error: 'must be a URL' });

const envSchema = z
  .object({
    DATABASE_DRIVER: z.enum(DATABASE_DRIVERS).optional(),
    DATABASE_URL: z.string().optional(),
    /** PGlite's data directory; `memory://` keeps it in memory. */
    PGLITE_DATA_DIR: z.string().default('.data/pglite'),
    /** Local testing only: host:port/path of a WebSocket-to-TCP proxy in front of PostgreSQL. */
    NEON_WS_PROXY: z.string().optional(),
    /** Local testing only: the URL of a Neon-compatible HTTP SQL endpoint. */
    NEON_FETCH_ENDPOINT: url.optional(),

    UPSTASH_REDIS_REST_URL: url.optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().optional(),

    QSTASH_URL: url.default('https://qstash.upstash.io'),
    QSTASH_TOKEN: z.string().optional(),
    QSTASH_CURRENT_SIGNING_KEY: z.string().optional(),
    QSTASH_NEXT_SIGNING_KEY: z.string().optional(),
    PUBLIC_BASE_URL: url.optional(),

    LIVEKIT_URL: url,
    LIVEKIT_API_KEY: z.string(),
    LIVEKIT_API_SECRET: z.string(),
    LIVEKIT_AGENT_NAME: z.string().default('fitness-coach'),
    SESSION_TOKEN_TTL_SECONDS: positiveInt(900),
    /**
     * How long a user may be in a room without a coach before the app shows it and ops count it.
     * A prewarmed agent joins within about a second; a cold one in 3 to 5 s.
     */
    AGENT_JOIN_TIMEOUT_SECONDS: z.coerce
      .number({ error: 'must be a number' })
      .int()
      .min(2, { error: 'must be between 2 and 60' })
      .max(60, { error: 'must be between 2 and 60' })
      .default(8),
    SESSION_RATE_LIMIT_PER_MINUTE: positiveInt(10),

    AUTH_JWT_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
    AUTH_JWKS_URL: url.optional(),
    AUTH_ISSUER: z.string().optional(),
    AUTH_AUDIENCE: z.string().optional(),
    SERVICE_API_TOKEN: z.string().min(24, { error: 'must be at least 24 characters' }),

    VOICE_CONTEXT_CACHE_TTL: positiveInt(3600),

    ORCHESTRATOR_LLM_PROVIDER: z.enum(LLM_PROVIDERS).optional(),
    ORCHESTRATOR_MODEL: z.string().optional(),
    ORCHESTRATOR_CLASSIFIER_MODEL: z.string().optional(),
    ORCHESTRATOR_TIMEOUT_MS: positiveInt(1800),
    OPENAI_API_KEY: z.string().optional(),
    OPENAI_BASE_URL: url.optional(),
    ANTHROPIC_API_KEY: z.string().optional(),
    ANTHROPIC_BASE_URL: url.optional(),
    GOOGLE_API_KEY: z.string().optional(),
    GOOGLE_BASE_URL: url.optional(),
  })
  .superRefine((env, ctx) => {
    const require = (key: keyof typeof env, why: string) => {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
    };
    const driver = env.DATABASE_DRIVER ?? (env.DATABASE_URL ? 'neon-http' : 'pglite');
    if (driver !== 'pglite') require('DATABASE_URL', `with DATABASE_DRIVER=${driver}`);
    if (env.UPSTASH_REDIS_REST_URL || env.UPSTASH_REDIS_REST_TOKEN) {
      require('UPSTASH_REDIS_REST_URL', 'with UPSTASH_REDIS_REST_TOKEN');
      require('UPSTASH_REDIS_REST_TOKEN', 'with UPSTASH_REDIS_REST_URL');
    }
    if (env.QSTASH_TOKEN) {
      require('QSTASH_CURRENT_SIGNING_KEY', 'with QSTASH_TOKEN');
      require('QSTASH_NEXT_SIGNING_KEY', 'with QSTASH_TOKEN');
      require('PUBLIC_BASE_URL', 'with QSTASH_TOKEN (QStash calls back there)');
    }
    if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_SECRET'],
        message: 'set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL to verify user tokens',
      });
    }
    const provider = env.ORCHESTRATOR_LLM_PROVIDER;
    if (provider) {
      require(PROVIDER_KEY_VARIABLES[provider], `with ORCHESTRATOR_LLM_PROVIDER=${provider}`);
    }
  });

export type ApiEnv = z.infer<typeof envSchema>;

export interface ApiConfig {
  database: {
    driver: DatabaseDriver;
    url: string | undefined;
    pgliteDataDir: string;
    neonWsProxy: string | undefined;
    neonFetchEndpoint: string | undefined;
  };
  cache:
    | { kind: 'upstash'; url: string; token: string; ttlSeconds: number }
    | { kind: 'memory'; ttlSeconds: number };
  queue:
    | {
        kind: 'qstash';
        url: string;
        token: string;
        currentSigningKey: string;
        nextSigningKey: string;
        callbackUrl: string;
        /** Where QStash delivers the delayed agent-join checks. */
        agentCheckUrl: string;
      }
    | { kind: 'in-process' };
  livekit: {
    url: string;
    apiKey: string;
    apiSecret: string;
    agentName: string;
    tokenTtlSeconds: number;
    /** After this long in a room with no agent, the user is told and `agent_missing` counted. */
    agentJoinTimeoutSeconds: number;
  };
  sessionRateLimitPerMinute: number;
  auth: {
    jwtSecret: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    serviceToken: string;
  };
  orchestrator: {
    provider: LlmProvider;
    model: string;
    classifierModel: string;
    timeoutMs: number;
    apiKey: string;
    baseUrl: string | undefined;
  } | null;
}

export function loadApiConfig(env: EnvSource): ApiConfig {
  const e = parseConfig('Edge API', envSchema, env);
  const driver = e.DATABASE_DRIVER ?? (e.DATABASE_URL ? 'neon-http' : 'pglite');
  const provider = e.ORCHESTRATOR_LLM_PROVIDER;
  const providerSettings = {
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL },
    anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL },
    google: { apiKey: e.GOOGLE_API_KEY, baseUrl: e.GOOGLE_BASE_URL },
  } as const;
  return {
    database: {
      driver,
      url: e.DATABASE_URL,
      pgliteDataDir: e.PGLITE_DATA_DIR,
      neonWsProxy: e.NEON_WS_PROXY,
      neonFetchEndpoint: e.NEON_FETCH_ENDPOINT,
    },
    cache:
      e.UPSTASH_REDIS_REST_URL && e.UPSTASH_REDIS_REST_TOKEN
        ? {
            kind: 'upstash',
            url: e.UPSTASH_REDIS_REST_URL,
            token: e.UPSTASH_REDIS_REST_TOKEN,
            ttlSeconds: e.VOICE_CONTEXT_CACHE_TTL,
          }
        : { kind: 'memory', ttlSeconds: e.VOICE_CONTEXT_CACHE_TTL },
    queue:
      e.QSTASH_TOKEN &&
      e.QSTASH_CURRENT_SIGNING_KEY &&
      e.QSTASH_NEXT_SIGNING_KEY &&
      e.PUBLIC_BASE_URL
        ? {
            kind: 'qstash',
            url: e.QSTASH_URL,
            token: e.QSTASH_TOKEN,
            currentSigningKey: e.QSTASH_CURRENT_SIGNING_KEY,
            nextSigningKey: e.QSTASH_NEXT_SIGNING_KEY,
            callbackUrl: new URL('/v1/logs/deliver', e.PUBLIC_BASE_URL).toString(),
            agentCheckUrl: new URL('/v1/livekit/agent-check', e.PUBLIC_BASE_URL).toString(),
          }
        : { kind: 'in-process' },
    livekit: {
      url: e.LIVEKIT_URL,
      apiKey: e.LIVEKIT_API_KEY,
      apiSecret: e.LIVEKIT_API_SECRET,
      agentName: e.LIVEKIT_AGENT_NAME,
      tokenTtlSeconds: e.SESSION_TOKEN_TTL_SECONDS,
      agentJoinTimeoutSeconds: e.AGENT_JOIN_TIMEOUT_SECONDS,
    },
    sessionRateLimitPerMinute: e.SESSION_RATE_LIMIT_PER_MINUTE,
    auth: {
      jwtSecret: e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      serviceToken: e.SERVICE_API_TOKEN,
    },
    orchestrator: provider
      ? {
          provider,
          model: e.ORCHESTRATOR_MODEL ?? DEFAULT_ORCHESTRATOR_MODELS[provider].model,
          classifierModel:
            e.ORCHESTRATOR_CLASSIFIER_MODEL ?? DEFAULT_ORCHESTRATOR_MODELS[provider].classifier,
          timeoutMs: e.ORCHESTRATOR_TIMEOUT_MS,
          apiKey: providerSettings[provider].apiKey ?? '',
          baseUrl: providerSettings[provider].baseUrl,
        }
      : null,
  };
}
