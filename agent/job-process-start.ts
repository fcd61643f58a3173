/**
 * When a job process the framework forks may start loading.
 *
 * The framework keeps AGENT_IDLE_PROCESSES processes warm and forks a replacement the moment a job
 * takes one. Loading that replacement (the framework, the plugins, the VAD model: about 0.6 s of
 * CPU) is the heaviest thing a process does, and it ran exactly while the sessions that took the
 * warm processes were connecting and speaking their greetings.
 *
 * While there are at least as many warm processes as accepted jobs (always, with the production
 * default of one warm process per slot), no job needs a replacement yet. So after such an
 * acceptance, the main process holds the start gate closed for SESSION_START_QUIET_MS, and a fork
 * made meanwhile waits before it loads: sessions start on a quieter machine. Once accepted jobs
 * outnumber the warm processes, a job may be waiting for the fork itself, so the gate opens at
 * once, also for forks already waiting.
 *
 * The gate is a small file holding the epoch millisecond it opens at: forks read their
 * environment only once, when they are made, and the file lets the main process reopen the gate
 * for a fork already waiting. The preload job-process-start-gate.ts reads it (NODE_OPTIONS
 * `--import`, ahead of the framework's own code). This module imports nothing heavy for that
 * reason.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The variable naming the gate file; the main process sets it before any fork. */
export const START_GATE_ENV = 'AGENT_JOB_PROCESS_START_GATE';

/**
 * How long after accepting a job the machine is left to the starting sessions. Four sessions
 * starting at once on the 2-core rig greeted their callers 2 to 3 s after acceptance (README,
 * "Capacity"); the wait covers that and stays far inside the framework's 10 s limit for a process
 * to load and prewarm.
 */
export const SESSION_START_QUIET_MS = 3000;

/** How often a waiting fork looks at the gate again. */
export const START_GATE_POLL_MS = 100;

/** The preload that holds a fork back, as NODE_OPTIONS names it. */
export const START_GATE_IMPORT = new URL('./job-process-start-gate.ts', import.meta.url).href;

/**
 * When the gate should open after a job is accepted: after the quiet period while every accepted
 * job had a warm process, at once when a job may be waiting for a fork.
 */
export function gateOpensAt(acceptedAt: number, jobsInUse: number, idleProcesses: number): number {
  return jobsInUse <= idleProcesses ? acceptedAt + SESSION_START_QUIET_MS : acceptedAt;
}

export interface StartGate {
  /** What the forks need in their environment to find the gate. */
  env: { [START_GATE_ENV]: string };
  /** Moves the opening time; a past time opens the gate now. */
  openAt(epochMs: number): void;
  /** Removes the file (the main process's exit). */
  remove(): void;
}

/**
 * The main process's gate, open until the first job is accepted. Throws when the file cannot be
 * made (the server then runs without a gate); a later failed write leaves the gate as it was, and
 * a waiting fork still loads within the quiet period.
 */
export function createStartGate(dir = tmpdir(), id = String(process.pid)): StartGate {
  const file = join(dir, `fitness-coach-agent-start-gate-${id}`);
  writeFileSync(file, '0');
  const openAt = (epochMs: number) => {
    try {
      writeFileSync(file, String(epochMs));
    } catch {
      // Best effort: the gate only shapes when forks load, never whether they do.
    }
  };
  return {
    env: { [START_GATE_ENV]: file },
    openAt,
    remove: () => rmSync(file, { force: true }),
  };
}

/** The gate's opening time, or 0 (open) when there is no gate or it cannot be read. */
function readGate(env: Readonly<Record<string, string | undefined>>): number {
  const file = env[START_GATE_ENV];
  if (!file) return 0;
  try {
    const opensAt = Number(readFileSync(file, 'utf8'));
    return Number.isFinite(opensAt) ? opensAt : 0;
  } catch {
    return 0;
  }
}

export interface GateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemGateClock: GateClock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Waits until the gate is open, and never longer than the quiet period in all: a clock step or a
 * bad file cannot hold a process past the framework's limit. Resolves with the time waited.
 */
export async function waitForStartGate(
  env: Readonly<Record<string, string | undefined>>,
  clock: GateClock = systemGateClock,
): Promise<number> {
  const start = clock.now();
  const deadline = start + SESSION_START_QUIET_MS;
  for (;;) {
    const now = clock.now();
    const opensAt = Math.min(readGate(env), deadline);
    if (opensAt <= now) return now - start;
    await clock.sleep(Math.min(START_GATE_POLL_MS, opensAt - now));
  }
}
