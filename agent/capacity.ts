/**
 * How many sessions this agent server takes, and how full it tells LiveKit it is.
 *
 * The framework's default load is the machine's CPU use, and LiveKit stops sending jobs to a
 * worker whose load reaches its threshold (0.7 in production) or 1.0. CPU use swings with
 * everything else on the machine, so on a busy host the server could refuse its first session
 * while a quiet one took more sessions than its memory holds. Counting sessions instead makes
 * capacity a number the operator sets (AGENT_MAX_CONCURRENT_JOBS).
 *
 * The load report alone is not a limit: the framework sends it every 2.5 s, so a burst of callers
 * inside one period all reach a server that still looks free. So every job offer is answered
 * here, at request time (ServerOptions.requestFunc): it is accepted only while a slot is free and
 * refused otherwise, and LiveKit offers a refused job to another agent server. A slot is taken
 * from the moment a job is accepted, before its process runs it, so a burst cannot overfill it.
 */
import type { AgentServer, JobRequest } from '@livekit/agents';

/** The worker is full at load 1.0, i.e. once all AGENT_MAX_CONCURRENT_JOBS slots are taken. */
export const FULL_LOAD = 1;

/**
 * How long an accepted job may take to show up as running before its slot is given back. The
 * framework waits 7.5 s for LiveKit's assignment, then for a warm process, which at worst is one
 * started cold (3 to 5 s); a job that has not started by then never will (its assignment timed
 * out or its launch failed, both logged by the framework).
 */
export const ACCEPTED_JOB_START_TIMEOUT_MS = 30_000;

/**
 * How often accepted jobs are looked for among the running ones until each has been seen. The
 * load report alone (every 2.5 s) missed a call shorter than that (a caller who hangs up during
 * the greeting): its job started and ended between two reports, was never seen running, and
 * held its slot for ACCEPTED_JOB_START_TIMEOUT_MS, so the server refused callers while idle. A
 * job runs for at least the half second its process takes to close, far longer than this.
 */
export const ACCEPTED_JOB_WATCH_MS = 100;

/** The share of the job slots in use, between 0 and 1. */
export function jobLoad(activeJobs: number, maxConcurrentJobs: number): number {
  return Math.min(FULL_LOAD, activeJobs / maxConcurrentJobs);
}

/** The part of the framework's AgentServer the slots read: which jobs its processes run. */
export type RunningJobs = Pick<AgentServer, 'activeJobs'>;

export interface JobSlotsOptions {
  maxConcurrentJobs: number;
  /** Hears the number of slots in use after every change and every load report. */
  onInUse?: (count: number) => void;
  /** Hears every refused offer. */
  onRejected?: (jobId: string) => void;
  /** Hears every accepted offer, with the slots in use counting it, before the answer is sent. */
  onAccepted?: (inUse: number) => void;
  now?: () => number;
}

export interface JobSlots {
  /** ServerOptions.requestFunc: accepts the offer while a slot is free, refuses it otherwise. */
  requestFunc(request: Pick<JobRequest, 'id' | 'accept' | 'reject'>): Promise<void>;
  /** ServerOptions.loadFunc: the framework calls it every 2.5 s and reports the share in use. */
  loadFunc(server: RunningJobs): Promise<number>;
  /** Slots taken now: jobs running plus jobs accepted that have not started yet. */
  inUse(): number;
}

export function jobSlots(options: JobSlotsOptions): JobSlots {
  const {
    maxConcurrentJobs,
    onInUse = () => undefined,
    onRejected = () => undefined,
    onAccepted = () => undefined,
  } = options;
  const now = options.now ?? Date.now;
  /** Accepted jobs not yet seen running, with when they were accepted. */
  const accepted = new Map<string, number>();
  // The framework hands its AgentServer only to loadFunc; until its first call (2.5 s after the
  // start) no job can have started without passing through `accepted`. On LiveKit Cloud's hosted
  // agents the framework replaces loadFunc with its CPU measure, so this never learns which jobs
  // run: there each accepted job holds its slot for ACCEPTED_JOB_START_TIMEOUT_MS only, and the
  // limit is LiveKit's own. This deployment runs on Fly.io (agent/fly.toml), where it holds.
  let server: RunningJobs | undefined;

  const inUse = (): number => {
    const running = new Set((server?.activeJobs ?? []).map((info) => info.job.id));
    for (const [id, acceptedAt] of accepted) {
      if (running.has(id) || now() - acceptedAt > ACCEPTED_JOB_START_TIMEOUT_MS) {
        accepted.delete(id);
      }
    }
    return running.size + accepted.size;
  };

  /** Looks at the running jobs until every accepted one was seen (needs the server, see above). */
  let watch: ReturnType<typeof setInterval> | undefined;
  const watchAccepted = () => {
    if (watch || !server || accepted.size === 0) return;
    watch = setInterval(() => {
      const waiting = accepted.size;
      const count = inUse();
      if (accepted.size !== waiting) onInUse(count);
      if (accepted.size === 0) {
        clearInterval(watch);
        watch = undefined;
      }
    }, ACCEPTED_JOB_WATCH_MS);
    // Never what keeps the process alive: the framework's own connections do that.
    watch.unref();
  };

  return {
    inUse,
    async requestFunc(request) {
      // Decided and recorded before the first await, so offers arriving together see each other.
      if (inUse() >= maxConcurrentJobs) {
        onRejected(request.id);
        await request.reject();
        return;
      }
      accepted.set(request.id, now());
      watchAccepted();
      const count = inUse();
      onInUse(count);
      onAccepted(count);
      await request.accept();
    },
    async loadFunc(current) {
      server = current;
      const count = inUse();
      onInUse(count);
      watchAccepted();
      return jobLoad(count, maxConcurrentJobs);
    },
  };
}
