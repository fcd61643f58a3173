/**
 * The voice agent's whole configuration, read once at start. Every missing or bad variable is
 * named in one ConfigError (shared/config.ts) and no value ever appears in that message.
 *
 * Two shapes: `voice` (the LiveKit agent server: LiveKit, Deepgram and Cartesia are required) and
 * `text` (the console coach: only the API and the LLM are needed).
 */
import { z } from 'zod';
import { type EnvSource, parseConfig } from '../shared/config.ts';
import {
  LLM_PROVIDERS,
  type LlmProvider,
  PROVIDER_KEY_VARIABLES,
} from '../shared/llm-providers.ts';

/** Used when VOICE_LLM_MODEL is unset: fast, tool-calling models of each provider. */
export const DEFAULT_LLM_MODELS = {
  openai: 'gpt-4o',
  anthropic: 'claude-sonnet-4-5',
  google: 'gemini-2.0-flash',
} as const satisfies Record<LlmProvider, string>;

/**
 * ANTHROPIC_BASE_URL is the API's root, as Anthropic's own SDK and the orchestrator read it, so
 * one value serves both processes. Anthropic serves an OpenAI-compatible Chat Completions
 * endpoint under `v1/` of that root, so the OpenAI plugin (with its streaming tool calls) drives
 * Claude without a separate plugin.
 */
export const ANTHROPIC_API_ROOT = 'https://api.anthropic.com';

export function anthropicOpenAICompatibleUrl(apiRoot: string): string {
  return new URL('v1/', apiRoot.endsWith('/') ? apiRoot : `${apiRoot}/`).toString();
}

/**
 * Four sessions fit the Fly machine in agent/fly.toml (2 performance CPUs, 4 GB) with headroom:
 * each job is a child process with Node, WebRTC and audio buffers of roughly 250-400 MB.
 */
export const DEFAULT_MAX_CONCURRENT_JOBS = 4;

/**
 * Deepgram Flux: its eager end of turn lets the coach ask the model before the user's turn is
 * final, about 150 ms sooner than Nova's transcript (README, "Turn-taking and voice latency").
 * Any other Deepgram model (`nova-3`, `nova-2-general`) runs on the v1 API.
 */
export const DEFAULT_DEEPGRAM_MODEL = 'flux-general-en';

const url = z.url({ error: 'must be a URL' });
const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int().positive().default(fallback);
const tcpPort = (fallback: number) =>
  z.coerce.number({ error: 'must be a number' }).int().min(1).max(65535).default(fallback);

const envSchema = z.object({
  LIVEKIT_URL: url.optional(),
  LIVEKIT_API_KEY: z.string().optional(),
  LIVEKIT_API_SECRET: z.string().optional(),
  LIVEKIT_AGENT_NAME: z.string().default('fitness-coach'),

  API_BASE_URL: url,
  SERVICE_API_TOKEN: z
    .string({ error: 'is required' })
    .min(24, { error: 'must be at least 24 characters' }),

  DEEPGRAM_API_KEY: z.string().optional(),
  DEEPGRAM_BASE_URL: url.optional(),
  DEEPGRAM_MODEL: z.string().default(DEFAULT_DEEPGRAM_MODEL),
  DEEPGRAM_LANGUAGE: z.string().default('en-US'),
  /**
   * Flux models only: how sure Flux must be before its eager end of turn (`EagerEndOfTurn`), on
   * which the coach starts its answer; `off` waits for the end of turn. Deepgram's range.
   */
  DEEPGRAM_EAGER_EOT_THRESHOLD: z
    .union([
      z.literal('off'),
      z.coerce
        .number({ error: 'must be a number or off' })
        .min(0.3, { error: 'must be between 0.3 and 0.9, or off' })
        .max(0.9, { error: 'must be between 0.3 and 0.9, or off' }),
    ])
    .default(0.4),

  CARTESIA_API_KEY: z.string().optional(),
  CARTESIA_BASE_URL: url.optional(),
  /** The design named `sonic-english`; Cartesia's current model is `sonic-3`. */
  CARTESIA_MODEL: z.string().default('sonic-3'),
  CARTESIA_VOICE_ID: z.string().optional(),
  CARTESIA_SAMPLE_RATE: positiveInt(24000),
  CARTESIA_SPEED: z.coerce
    .number({ error: 'must be a number' })
    .min(0.6, { error: 'must be between 0.6 and 2.0' })
    .max(2, { error: 'must be between 0.6 and 2.0' })
    .default(1.1),

  VOICE_LLM_PROVIDER: z.enum(LLM_PROVIDERS).default('openai'),
  VOICE_LLM_MODEL: z.string().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: url.optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: url.default(ANTHROPIC_API_ROOT),
  GOOGLE_API_KEY: z.string().optional(),
  GOOGLE_BASE_URL: url.optional(),
  VOICE_MAX_RESPONSE_TOKENS: positiveInt(150),
  /** Seconds before a rest ends at which the coach says so; 0 (the default) for no warning. */
  COACH_REST_WARNING_SECONDS: z.coerce
    .number({ error: 'must be a number' })
    .int()
    .min(0)
    .max(60)
    .default(0),

  LOG_SPOOL_DIR: z.string().default('.data/agent-spool'),
  AGENT_HEALTH_PORT: tcpPort(8081),
  /** The Prometheus endpoint (GET /metrics), declared under [metrics] in agent/fly.toml. */
  AGENT_METRICS_PORT: tcpPort(9091),
  /** Sessions one agent server takes at once; see agent/capacity.ts. */
  AGENT_MAX_CONCURRENT_JOBS: positiveInt(DEFAULT_MAX_CONCURRENT_JOBS),
  /**
   * Job processes kept started and prewarmed, waiting for a job (default: one per job slot, so a
   * burst that fills every slot never waits for a process to start).
   */
  AGENT_IDLE_PROCESSES: z.coerce.number({ error: 'must be a number' }).int().positive().optional(),
});

type Env = z.infer<typeof envSchema>;

export type ConfigMode = 'voice' | 'text';

export interface LlmConfig {
  provider: LlmProvider;
  model: string;
  apiKey: string;
  baseUrl: string | undefined;
  maxResponseTokens: number;
}

export interface CoachConfig {
  api: { baseUrl: string; serviceToken: string };
  llm: LlmConfig;
  spoolDir: string;
  /** Null when the coach gives no warning before a rest ends. */
  restWarningSeconds: number | null;
}

export interface SttConfig {
  apiKey: string;
  baseUrl: string | undefined;
  model: string;
  language: string;
  /** Flux only; undefined when eager end of turn is off. */
  eagerEotThreshold: number | undefined;
}

export interface TtsConfig {
  apiKey: string;
  baseUrl: string | undefined;
  model: string;
  voiceId: string | undefined;
  sampleRate: number;
  speed: number;
}

export interface VoiceAgentConfig extends CoachConfig {
  livekit: { url: string; apiKey: string; apiSecret: string; agentName: string };
  stt: SttConfig;
  tts: TtsConfig;
  healthPort: number;
  metricsPort: number;
  maxConcurrentJobs: number;
  idleProcesses: number;
}

const API_KEY_VARIABLE = PROVIDER_KEY_VARIABLES satisfies Record<LlmProvider, keyof Env>;

const VOICE_ONLY_VARIABLES = [
  'LIVEKIT_URL',
  'LIVEKIT_API_KEY',
  'LIVEKIT_API_SECRET',
  'DEEPGRAM_API_KEY',
  'CARTESIA_API_KEY',
] as const satisfies readonly (keyof Env)[];

function schemaFor(mode: ConfigMode) {
  return envSchema.superRefine(
    (env, ctx) => {
      const require = (key: keyof Env, why: string) => {
        if (env[key] === undefined) {
          ctx.addIssue({ code: 'custom', path: [key], message: `is required ${why}` });
        }
      };
      const provider = env.VOICE_LLM_PROVIDER;
      // An invalid provider is reported by the enum itself; only a known one names its key.
      if (Object.hasOwn(API_KEY_VARIABLE, provider)) {
        require(API_KEY_VARIABLE[provider], `with VOICE_LLM_PROVIDER=${provider}`);
      }
      if (mode === 'voice') {
        for (const key of VOICE_ONLY_VARIABLES) require(key, 'to run the voice agent');
      }
      if (env.AGENT_METRICS_PORT === env.AGENT_HEALTH_PORT) {
        ctx.addIssue({
          code: 'custom',
          path: ['AGENT_METRICS_PORT'],
          message: 'must differ from AGENT_HEALTH_PORT',
        });
      }
      // More warm processes than slots only hold memory: no job could ever take them.
      if (
        env.AGENT_IDLE_PROCESSES !== undefined &&
        env.AGENT_IDLE_PROCESSES > env.AGENT_MAX_CONCURRENT_JOBS
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['AGENT_IDLE_PROCESSES'],
          message: 'must not exceed AGENT_MAX_CONCURRENT_JOBS',
        });
      }
      // Run even when other variables are bad, so one message names every problem.
    },
    { when: () => true },
  );
}

function llmConfig(env: Env): LlmConfig {
  const provider = env.VOICE_LLM_PROVIDER;
  const baseUrls = {
    openai: env.OPENAI_BASE_URL,
    anthropic: anthropicOpenAICompatibleUrl(env.ANTHROPIC_BASE_URL),
    google: env.GOOGLE_BASE_URL,
  } as const;
  return {
    provider,
    model: env.VOICE_LLM_MODEL ?? DEFAULT_LLM_MODELS[provider],
    apiKey: env[API_KEY_VARIABLE[provider]] ?? '',
    baseUrl: baseUrls[provider],
    maxResponseTokens: env.VOICE_MAX_RESPONSE_TOKENS,
  };
}

function coachConfig(env: Env): CoachConfig {
  return {
    api: { baseUrl: env.API_BASE_URL, serviceToken: env.SERVICE_API_TOKEN },
    llm: llmConfig(env),
    spoolDir: env.LOG_SPOOL_DIR,
    restWarningSeconds: env.COACH_REST_WARNING_SECONDS || null,
  };
}

/** The text console's configuration: the API and the LLM only. */
export function loadCoachConfig(env: EnvSource): CoachConfig {
  return coachConfig(parseConfig('Voice agent (text mode)', schemaFor('text'), env));
}

/** The agent server's configuration: everything a voice session needs. */
export function loadVoiceAgentConfig(env: EnvSource): VoiceAgentConfig {
  const e = parseConfig('Voice agent', schemaFor('voice'), env);
  // The refinement above guarantees these are set; `?? ''` only satisfies the type checker.
  return {
    ...coachConfig(e),
    livekit: {
      url: e.LIVEKIT_URL ?? '',
      apiKey: e.LIVEKIT_API_KEY ?? '',
      apiSecret: e.LIVEKIT_API_SECRET ?? '',
      agentName: e.LIVEKIT_AGENT_NAME,
    },
    stt: {
      apiKey: e.DEEPGRAM_API_KEY ?? '',
      baseUrl: e.DEEPGRAM_BASE_URL,
      model: e.DEEPGRAM_MODEL,
      language: e.DEEPGRAM_LANGUAGE,
      eagerEotThreshold:
        e.DEEPGRAM_EAGER_EOT_THRESHOLD === 'off' ? undefined : e.DEEPGRAM_EAGER_EOT_THRESHOLD,
    },
    tts: {
      apiKey: e.CARTESIA_API_KEY ?? '',
      baseUrl: e.CARTESIA_BASE_URL,
      model: e.CARTESIA_MODEL,
      voiceId: e.CARTESIA_VOICE_ID,
      sampleRate: e.CARTESIA_SAMPLE_RATE,
      speed: e.CARTESIA_SPEED,
    },
    healthPort: e.AGENT_HEALTH_PORT,
    metricsPort: e.AGENT_METRICS_PORT,
    maxConcurrentJobs: e.AGENT_MAX_CONCURRENT_JOBS,
    idleProcesses: e.AGENT_IDLE_PROCESSES ?? e.AGENT_MAX_CONCURRENT_JOBS,
  };
}
