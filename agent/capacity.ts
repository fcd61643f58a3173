/**
 * How full this agent server tells LiveKit it is.
 *
 * The framework's default load is the machine's CPU use, and LiveKit stops sending jobs to a
 * worker whose load reaches its threshold (0.7 in production) or 1.0. CPU use swings with
 * everything else on the machine, so on a busy host the server could refuse its first session
 * while a quiet one took more sessions than its memory holds. Counting sessions instead makes
 * capacity a number the operator sets (AGENT_MAX_CONCURRENT_JOBS): the load is the share of those
 * slots in use, and the server reports itself full exactly when every slot is taken.
 */
import type { AgentServer } from '@livekit/agents';

/** The worker is full at load 1.0, i.e. once all AGENT_MAX_CONCURRENT_JOBS slots are taken. */
export const FULL_LOAD = 1;

/** The share of the job slots in use, between 0 and 1. */
export function jobLoad(activeJobs: number, maxConcurrentJobs: number): number {
  return Math.min(FULL_LOAD, activeJobs / maxConcurrentJobs);
}

/**
 * The `loadFunc` of ServerOptions: the framework calls it every 2.5 s and reports the result.
 * `onActiveJobs` hears the count each time (the job-slot metrics read it).
 */
export function jobCountLoad(
  maxConcurrentJobs: number,
  onActiveJobs: (count: number) => void = () => undefined,
): (server: Pick<AgentServer, 'activeJobs'>) => Promise<number> {
  return async (server) => {
    onActiveJobs(server.activeJobs.length);
    return jobLoad(server.activeJobs.length, maxConcurrentJobs);
  };
}
