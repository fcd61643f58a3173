/** The one Hono environment type every sub-app and middleware of the edge API shares. */

import type { SpecialistCall } from './analytics/request-metrics.ts';
import type { AnalyticsSink } from './analytics/sink.ts';
import type { ApiConfig } from './config.ts';
import type { ForgetContexts } from './context/context-forgetter.ts';
import type {
  AgentCheckScheduler,
  Cache,
  CallbackVerifier,
  Clock,
  CoachingRepository,
  Logger,
  LogQueue,
  Orchestrator,
  RateLimiter,
} from './ports.ts';

/** Everything a request handler may touch, built once per process (or Workers isolate). */
export interface Services {
  config: ApiConfig;
  repository: CoachingRepository;
  cache: Cache;
  /** Drops users' cached contexts after their new sets or summary are stored. */
  forgetContexts: ForgetContexts;
  queue: LogQueue;
  callbackVerifier: CallbackVerifier;
  /** Schedules the check that a coach joined a user's room (workers/livekit/agent-check.ts). */
  agentChecks: AgentCheckScheduler;
  sessionRateLimiter: RateLimiter;
  /** Null when no LLM provider is configured: the specialist route then answers 503. */
  orchestrator: Orchestrator | null;
  clock: Clock;
  logger: Logger;
  /** Per-request data points (workers/analytics); nothing is written without one. */
  analytics?: AnalyticsSink;
}

export type Principal = { kind: 'user'; userId: string } | { kind: 'service' };

export interface AppEnv {
  Variables: {
    services: Services;
    principal: Principal;
    requestId: string;
    /** Set by the specialist route for its request's data point. */
    specialistCall?: SpecialistCall;
  };
}
