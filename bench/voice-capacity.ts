/**
 * What a call costs the agent server, and how many calls this machine holds, on the voice rig
 * (test/support/voice-rig.ts): real livekit-server, the real agent server process, simulated
 * callers speaking real speech over WebRTC, provider stand-ins at published latencies
 * (PUBLISHED_PROVIDER_LATENCIES in test/support/voice-rig.ts). Merges its keys into
 * bench/results/voice.json (the latency bench writes the others).
 *
 * - Greeting at full load: as many callers as the coach has job slots (the production default,
 *   every slot prewarmed) join at once, in a few bursts with the slots warm again in between;
 *   each times its joining to the coach's first sound.
 * - Cost per call, the coach and the defaults-only agent (bench/defaults-agent.ts) in the same
 *   run: one caller takes turns; the CPU time of the agent's process tree (the main process and
 *   every job process, from /proc) per second of conversation, beyond what the same tree uses
 *   idle, and the resident memory the tree gains while the call is active.
 * - Concurrent callers: 1, 2, 3, ... callers at once, each taking turns with the same line, until
 *   a level's turn p95 (end of the caller's speech to the first coach sound) is 2 s or more, or
 *   one of its callers hears nothing at all (`concurrent_N_caller_unanswered`).
 *   The bench's own callers (WebRTC, audio) share the machine's CPU with the agent, as they did
 *   in the measurement.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SESSION_START_QUIET_MS } from '../agent/job-process-start.ts';
import { STALL_CAUSES } from '../agent/metrics/loop-stall-cause.ts';
import { DEMO_USER_ID } from '../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../shared/dev-defaults.ts';
import { roundToTenth } from '../shared/round.ts';
import type { AgentProcess, LogLine } from '../test/e2e/agent-process.ts';
import { CALLER_LINES } from '../test/support/coach-script.ts';
import { CallerError, type VoiceCaller } from '../test/support/voice-caller.ts';
import {
  callDefaultsAgent,
  DEFAULTS_AGENT_MAIN,
  DEFAULTS_AGENT_NAME,
  type LocalVoiceStack,
  PUBLISHED_PROVIDER_LATENCIES,
  setProviderLatencies,
  startLocalVoiceStack,
  startVoiceAgent,
  temporarySpoolDir,
} from '../test/support/voice-rig.ts';
import { fragmentsSince, wholeLineTranscriber } from '../test/support/whole-line-transcriber.ts';
import { MB, sampleTree, type TreeSample } from './process-tree.ts';
import { mergeVoiceResults, percentile } from './voice-results.ts';

export const VOICE_CAPACITY_SETTINGS = {
  /** The production default of AGENT_MAX_CONCURRENT_JOBS (agent/config.ts). */
  slots: 4,
  /**
   * Bursts of `slots` callers joining at once for the greeting figures: one burst of four is too
   * few samples on a machine whose speed drifts (paired runs spread from 1.0 to 2.4 s p50).
   */
  greetingBursts: 3,
  /** Wait after a burst before checking the tree has settled: past the start gate's hold. */
  burstGapMs: 2 * SESSION_START_QUIET_MS,
  /** Turns of the one caller whose cost is measured. */
  costTurns: 8,
  /** Turns each caller takes at every concurrency level. */
  rampTurns: 5,
  /** The most callers at once tried (the ramp stops at the first level over the bar). */
  rampMaxCallers: 8,
  /** The bar: turn p95 under this. */
  p95BarMs: 2000,
  /** Quiet the coach must keep after an answer before the next question. */
  settleMs: 800,
  /** A caller who hears no greeting this long after joining counts as unheard. */
  greetingTimeoutMs: 30_000,
  /** How long the idle tree is watched for its own CPU use. */
  idleWindowMs: 5000,
} as const;

/** The API's per-user session limit for the bench (production's default is 10 a minute). */
const SESSIONS_PER_MINUTE = 600;

/** Less resident memory change than this in a second: nothing is loading any more. */
const STEADY_RSS_BYTES = 3 * 1024 * 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pidOf(agent: AgentProcess): number {
  const { pid } = agent.child;
  if (pid === undefined) throw new Error('the agent server has no process id');
  return pid;
}

/**
 * Waits until the tree has `processes` processes and its memory holds still: the processes the
 * framework started (a warm one in place of one a job took) have finished loading.
 */
async function settledTree(agent: AgentProcess, processes: number): Promise<TreeSample> {
  const deadline = performance.now() + 90_000;
  let before = await sampleTree(pidOf(agent));
  for (;;) {
    await sleep(1000);
    const after = await sampleTree(pidOf(agent));
    const growth = Math.abs(after.rssBytes - before.rssBytes);
    if (after.processes.length >= processes && growth < STEADY_RSS_BYTES) return after;
    if (performance.now() > deadline) {
      throw new Error(
        `the agent tree did not settle: ${after.processes.length} of ${processes} processes, RSS moving ${roundToTenth(growth / MB)} MB/s`,
      );
    }
    before = after;
  }
}

/** CPU milliseconds the tree uses per second while nobody calls. */
async function idleCpuRate(agent: AgentProcess): Promise<number> {
  const start = await sampleTree(pidOf(agent));
  await sleep(VOICE_CAPACITY_SETTINGS.idleWindowMs);
  const end = await sampleTree(pidOf(agent));
  return (end.cpuMs - start.cpuMs) / ((end.at - start.at) / 1000);
}

/** One turn: the line said, the first coach sound after it, then the coach's quiet. */
async function turn(caller: VoiceCaller): Promise<number> {
  const spoken = await caller.say(CALLER_LINES.progress);
  const heardAt = await caller.waitForCoachSound(spoken.endedAt, 30_000);
  await caller.waitForCoachSilence(VOICE_CAPACITY_SETTINGS.settleMs);
  return heardAt - spoken.endedAt;
}

async function greeted(caller: VoiceCaller): Promise<void> {
  await caller.waitForCoachSound(0, 60_000);
  await caller.waitForCoachSilence(VOICE_CAPACITY_SETTINGS.settleMs);
}

/**
 * A caller whose room an agent joined. The defaults-only agent keeps the framework's CPU-based
 * load report, so on a busy machine it may call itself full and LiveKit drops that dispatch
 * (the very silence agent-check.ts reports); the bench then calls again.
 */
async function joinedByAgent(join: () => Promise<VoiceCaller>, attempts = 3): Promise<VoiceCaller> {
  for (let attempt = 1; ; attempt++) {
    const caller = await join();
    const deadline = performance.now() + 20_000;
    while (!caller.agent() && performance.now() < deadline) await sleep(100);
    if (caller.agent()) return caller;
    await caller.hangUp();
    if (attempt === attempts) throw new Error(`no agent joined in ${attempts} calls`);
  }
}

interface CallCost {
  cpuMsPerCallSecond: number;
  rssMbPerActiveCall: number;
  pssMbPerActiveCall: number;
}

/** One caller's conversation on `agent`, and what it cost the agent's process tree. */
async function costOfOneCall(
  agent: AgentProcess,
  warmProcesses: number,
  join: () => Promise<VoiceCaller>,
): Promise<CallCost> {
  const idle = await settledTree(agent, warmProcesses + 1);
  const idleRate = await idleCpuRate(agent);
  const caller = await joinedByAgent(join);
  try {
    await greeted(caller);
    const start = await sampleTree(pidOf(agent));
    for (let i = 0; i < VOICE_CAPACITY_SETTINGS.costTurns; i++) await turn(caller);
    const end = await sampleTree(pidOf(agent));
    const seconds = (end.at - start.at) / 1000;
    // The job took a warm process and the framework started another in its place: once that one
    // is warm the tree holds as many idle processes as before, plus the call.
    const active = await settledTree(agent, warmProcesses + 2);
    return {
      cpuMsPerCallSecond: roundToTenth((end.cpuMs - start.cpuMs) / seconds - idleRate),
      rssMbPerActiveCall: roundToTenth((active.rssBytes - idle.rssBytes) / MB),
      pssMbPerActiveCall: roundToTenth((active.pssBytes - idle.pssBytes) / MB),
    };
  } finally {
    await caller.hangUp();
  }
}

/**
 * Callers joining at once; each one's time from joining the room to the coach's first sound, or
 * undefined for a caller who heard nothing within `greetingTimeoutMs` (an overloaded machine
 * leaves a caller in silence: recorded, not the end of the run).
 */
async function greetingsAtOnce(
  stack: LocalVoiceStack,
  callers: number,
): Promise<Array<number | undefined>> {
  const joined = await Promise.all(
    Array.from({ length: callers }, async () => {
      const caller = await stack.call(DEMO_USER_ID, 'general');
      return { caller, joinedAt: performance.now() };
    }),
  );
  try {
    return await Promise.all(
      joined.map(async ({ caller, joinedAt }) => {
        try {
          const heardAt = await caller.waitForCoachSound(
            0,
            VOICE_CAPACITY_SETTINGS.greetingTimeoutMs,
          );
          return heardAt - joinedAt;
        } catch (error) {
          if (error instanceof CallerError && error.code === 'timeout') return undefined;
          throw error;
        }
      }),
    );
  } finally {
    await Promise.all(joined.map(({ caller }) => caller.hangUp()));
  }
}

/** `callers` at once, each taking the ramp's turns; every turn's time, all callers together. */
async function turnsAtOnce(stack: LocalVoiceStack, callers: number): Promise<number[]> {
  const joined = await Promise.all(
    Array.from({ length: callers }, () => stack.call(DEMO_USER_ID, 'general')),
  );
  try {
    await Promise.all(joined.map(greeted));
    const perCaller = await Promise.all(
      joined.map(async (caller) => {
        const times: number[] = [];
        for (let i = 0; i < VOICE_CAPACITY_SETTINGS.rampTurns; i++) times.push(await turn(caller));
        return times;
      }),
    );
    return perCaller.flat();
  } finally {
    await Promise.all(joined.map((caller) => caller.hangUp()));
  }
}

/** The longest stall the framework's event-loop monitor logged (0 when none passed its 100 ms bar). */
function longestLoopStall(lines: readonly LogLine[]): number {
  const stalls = lines
    .filter(
      (line) => typeof line.msg === 'string' && /^event loop (blocked|stalled)/.test(line.msg),
    )
    .map((line) => (typeof line.duration === 'number' ? line.duration : 0));
  return roundToTenth(Math.max(0, ...stalls));
}

/**
 * The stalls the agent explained (agent/metrics/loop-stall-cause.ts): how many were mostly each
 * cause, and the most any one of them was the agent's own work or a wait for a CPU.
 */
function explainedStalls(lines: readonly LogLine[]): Record<string, number> {
  const explained = lines.filter((line) => line.event === 'event_loop_stall_explained');
  const most = (field: string) =>
    roundToTenth(Math.max(0, ...explained.map((line) => Number(line[field]) || 0)));
  const results: Record<string, number> = {
    session_start_loop_own_work_max_ms: most('own_work_ms'),
    session_start_loop_cpu_wait_max_ms: most('cpu_wait_ms'),
  };
  for (const cause of STALL_CAUSES) {
    results[`session_start_loop_stalls_${cause}`] = explained.filter(
      (line) => line.cause === cause,
    ).length;
  }
  return results;
}

export async function runVoiceCapacityBench(): Promise<Record<string, number>> {
  const settings = VOICE_CAPACITY_SETTINGS;
  const results: Record<string, number> = {};
  // Production settings for the coach: four slots, each prewarmed (the AGENT_IDLE_PROCESSES default).
  let stack = await startLocalVoiceStack({
    maxConcurrentJobs: settings.slots,
    idleProcesses: settings.slots,
    // The ramp alone starts 1 + 2 + ... callers, all the demo user, well within a minute.
    sessionsPerMinute: SESSIONS_PER_MINUTE,
  });
  const spool = await temporarySpoolDir();
  try {
    // Every caller says the same line, so one transcript serves every stream at once.
    stack.standins.deepgram.setTranscriber(await wholeLineTranscriber(CALLER_LINES.progress));
    setProviderLatencies(stack.standins, PUBLISHED_PROVIDER_LATENCIES);

    // The main process, the framework's inference process and a warm process per slot.
    const idleCoachTree = settings.slots + 2;
    const warm = await settledTree(stack.agent, idleCoachTree);
    results.agent_rss_mb_idle_server = roundToTenth(warm.rssBytes / MB);
    results.agent_pss_mb_idle_server = roundToTenth(warm.pssBytes / MB);
    const logsBefore = stack.agent.logs.length;
    const greetings: Array<number | undefined> = [];
    for (let burst = 0; burst < settings.greetingBursts; burst++) {
      // Every slot warm again: the processes that took the last burst's jobs have been replaced
      // (replacements wait out the start gate first, and a held one keeps its memory still).
      if (burst > 0) {
        await sleep(settings.burstGapMs);
        await settledTree(stack.agent, idleCoachTree);
      }
      greetings.push(...(await greetingsAtOnce(stack, settings.slots)));
    }
    const heard = greetings.filter((ms) => ms !== undefined);
    if (heard.length > 0) {
      results.greeting_at_full_load_p50_ms = percentile(heard, 50);
      results.greeting_at_full_load_max_ms = percentile(heard, 100);
    }
    results.greeting_at_full_load_callers = settings.slots;
    results.greeting_at_full_load_unheard = greetings.length - heard.length;
    console.error(JSON.stringify(results));
    const sessionStartLogs = stack.agent.logs.slice(logsBefore);
    results.session_start_loop_blocked_max_ms = longestLoopStall(sessionStartLogs);
    Object.assign(results, explainedStalls(sessionStartLogs));

    const coach = await costOfOneCall(stack.agent, settings.slots, () =>
      stack.call(DEMO_USER_ID, 'general'),
    );
    results.agent_cpu_ms_per_call_second = coach.cpuMsPerCallSecond;
    results.agent_rss_mb_per_active_call = coach.rssMbPerActiveCall;
    results.agent_pss_mb_per_active_call = coach.pssMbPerActiveCall;
    console.error(JSON.stringify(results));

    const defaults = await startVoiceAgent({
      server: stack.server,
      apiUrl: stack.api.url,
      standins: stack.standins,
      spoolDir: spool.dir,
      main: DEFAULTS_AGENT_MAIN,
      agentName: DEFAULTS_AGENT_NAME,
    });
    try {
      // The framework's production default: min(CPUs, 4) warm processes.
      const warmDefaults = Math.min(4, availableParallelism());
      const yardstick = await costOfOneCall(defaults, warmDefaults, () =>
        callDefaultsAgent(stack.server, DEMO_USER_ID),
      );
      results.defaults_agent_cpu_ms_per_call_second = yardstick.cpuMsPerCallSecond;
      results.defaults_agent_rss_mb_per_active_call = yardstick.rssMbPerActiveCall;
      results.defaults_agent_pss_mb_per_active_call = yardstick.pssMbPerActiveCall;
    } finally {
      await defaults.stop();
    }

    // The ramp needs more slots than production has, so the machine, not the limit, says stop.
    await stack.agent.stop();
    stack = {
      ...stack,
      agent: await startVoiceAgent({
        server: stack.server,
        apiUrl: stack.api.url,
        standins: stack.standins,
        spoolDir: spool.dir,
        maxConcurrentJobs: settings.rampMaxCallers,
        idleProcesses: settings.slots,
        agentName: DEV_DEFAULTS.LIVEKIT_AGENT_NAME,
      }),
    };
    await settledTree(stack.agent, idleCoachTree);
    let held = 0;
    for (let callers = 1; callers <= settings.rampMaxCallers; callers++) {
      let times: number[];
      const heardBefore = stack.standins.deepgram.utterances.length;
      try {
        times = await turnsAtOnce(stack, callers);
      } catch (error) {
        if (!(error instanceof CallerError) || error.code !== 'timeout') throw error;
        // Past what the machine holds, a caller can hear nothing at all: over the bar, recorded.
        results[`concurrent_${callers}_caller_unanswered`] = 1;
        console.error(JSON.stringify(results));
        break;
      }
      const p95 = percentile(times, 95);
      // Pieces of a line cut off at a gap in a starved caller's audio (wholeLineTranscriber).
      results[`concurrent_${callers}_line_fragments`] = fragmentsSince(
        stack.standins.deepgram,
        heardBefore,
      );
      results[`concurrent_${callers}_turn_p50_ms`] = percentile(times, 50);
      results[`concurrent_${callers}_turn_p95_ms`] = p95;
      console.error(JSON.stringify(results));
      if (p95 >= settings.p95BarMs) break;
      held = callers;
      await settledTree(stack.agent, idleCoachTree);
    }
    results.concurrent_callers_p95_under_2s = held;
    // The ramp's keys are this run's: a level an earlier run reached and this one did not is gone.
    await mergeVoiceResults(results, ['concurrent_', 'greeting_at_full_load_']);
    return results;
  } finally {
    await stack.agent.stop();
    await stack.close();
    await spool.remove();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runVoiceCapacityBench(), null, 2));
  // The LiveKit client keeps native handles open; the measurement is done and written.
  process.exit(0);
}
