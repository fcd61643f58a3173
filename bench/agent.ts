/**
 * The voice agent's tool latencies and the memory of one idle job. Writes
 * bench/results/agent.json, a flat object of numbers.
 *
 * - Lookups: `get_todays_workout` / `get_todays_meals` called through the tool's `execute`, as the
 *   framework calls them, 10,000 times each after a warm-up. The meals are rendered once per
 *   session and then served from memory; the workout's line is built on each call from the
 *   session's progress (with no session to speak through, the tool returns it).
 * - Logging: `log_workout_set` 10,000 times, one after another, into a real LogSpool on the local
 *   disk, so each call includes validation, the JSONL append and its fdatasync; the spool's sender
 *   runs meanwhile (into an in-memory receiver, so the network does not count). Every call is a
 *   different set (reps and weight vary), so none is taken for a re-sent one and skipped.
 * - Workout coaching: each quick coaching tool 10,000 times on a session mid-workout (a few sets
 *   logged, a rest running), as the framework calls them; pause and resume alternate.
 * - RSS: bench/agent-idle-job.ts in its own process, after a forced GC (see that file).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initializeLogger } from '@livekit/agents';
import { LogSpool } from '../agent/log-spool.ts';
import { nearestRank } from '../agent/session-stats.ts';
import { createCoachTools } from '../agent/tools.ts';
import { systemClock } from '../shared/runtime.ts';
import { exampleContext } from '../test/agent/fixtures.ts';
import { silentLogger } from '../workers/logger.ts';

const RESULTS = fileURLToPath(new URL('./results/agent.json', import.meta.url));
const IDLE_JOB = fileURLToPath(new URL('./agent-idle-job.ts', import.meta.url));

export const AGENT_BENCH_SETTINGS = { calls: 10_000, warmup: 500 } as const;

type Timed = () => Promise<unknown>;

async function p99Ms(fn: Timed, calls: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = new Array<number>(calls);
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await fn();
    samples[i] = performance.now() - started;
  }
  samples.sort((a, b) => a - b);
  return Math.round(nearestRank(samples, 99) * 1000) / 1000;
}

/** Tools of a session mid-workout: three sets logged (in memory), a rest running. */
async function coachingMidWorkout() {
  const tools = createCoachTools({
    context: exampleContext(),
    logSink: { append: async () => {} },
    specialists: { askSpecialist: () => Promise.reject(new Error('not used')) },
    logger: silentLogger,
    clock: systemClock,
  });
  for (const reps of [10, 10, 9]) {
    await tools.log_workout_set.execute(
      { exercise: 'Back squat', reps, weight: 60 },
      undefined as never,
    );
  }
  return tools;
}

async function coachingToolsP99(
  tools: Awaited<ReturnType<typeof coachingMidWorkout>>,
  calls: number,
  warmup: number,
): Promise<Record<string, number>> {
  const none = undefined as never;
  let paused = false;
  return {
    tool_get_workout_progress_p99_ms: await p99Ms(
      () => tools.get_workout_progress.execute({}, none),
      calls,
      warmup,
    ),
    tool_start_rest_p99_ms: await p99Ms(() => tools.start_rest.execute({}, none), calls, warmup),
    tool_add_rest_time_p99_ms: await p99Ms(
      () => tools.add_rest_time.execute({ seconds: 30 }, none),
      calls,
      warmup,
    ),
    tool_skip_rest_p99_ms: await p99Ms(() => tools.skip_rest.execute({}, none), calls, warmup),
    tool_pause_resume_workout_p99_ms: await p99Ms(
      () => {
        paused = !paused;
        return paused
          ? tools.pause_workout.execute({}, none)
          : tools.resume_workout.execute({}, none);
      },
      calls,
      warmup,
    ),
    tool_repeat_last_p99_ms: await p99Ms(() => tools.repeat_last.execute({}, none), calls, warmup),
    tool_finish_workout_p99_ms: await p99Ms(
      () => tools.finish_workout.execute({}, none),
      calls,
      warmup,
    ),
  };
}

async function idleJobRssMb(): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', IDLE_JOB], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the idle job exited with ${code}`);
  const { rss } = JSON.parse(output.trim()) as { rss: number };
  return Math.round((rss / 1024 / 1024) * 10) / 10;
}

export async function runAgentBench(): Promise<Record<string, number>> {
  initializeLogger({ pretty: false, level: 'silent' });
  const { calls, warmup } = AGENT_BENCH_SETTINGS;
  const dir = await mkdtemp(join(tmpdir(), 'agent-bench-'));
  const spool = await LogSpool.open({ dir, send: async () => {}, logger: silentLogger });
  try {
    const tools = createCoachTools({
      context: exampleContext(),
      logSink: spool,
      specialists: { askSpecialist: () => Promise.reject(new Error('not used')) },
      logger: silentLogger,
      clock: systemClock,
    });
    const noOptions = undefined as never;
    let setNumber = 0;
    const nextSet = () => {
      const n = setNumber++;
      return { exercise: 'back squat', reps: 1 + (n % 1000), weight: 10 * Math.floor(n / 1000) };
    };
    const coaching = await coachingMidWorkout();
    const results = {
      tool_get_todays_workout_p99_ms: await p99Ms(
        () => tools.get_todays_workout.execute({}, noOptions),
        calls,
        warmup,
      ),
      tool_get_todays_meals_p99_ms: await p99Ms(
        () => tools.get_todays_meals.execute({}, noOptions),
        calls,
        warmup,
      ),
      tool_log_workout_set_p99_ms: await p99Ms(
        () => tools.log_workout_set.execute(nextSet(), noOptions),
        calls,
        warmup,
      ),
      ...(await coachingToolsP99(coaching, calls, warmup)),
      tool_calls_per_measurement: calls,
      agent_job_rss_mb: await idleJobRssMb(),
    };
    await mkdir(join(RESULTS, '..'), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runAgentBench(), null, 2));
}
