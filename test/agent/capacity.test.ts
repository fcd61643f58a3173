/**
 * The agent server's job slots: offers beyond AGENT_MAX_CONCURRENT_JOBS are refused when they
 * arrive, and the load the framework reports to LiveKit is the share of slots in use. The real
 * dispatch across two agent servers is in test/e2e/agent-session.test.ts.
 */
import type { RunningJobInfo } from '@livekit/agents';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  ACCEPTED_JOB_START_TIMEOUT_MS,
  ACCEPTED_JOB_WATCH_MS,
  FULL_LOAD,
  jobLoad,
  jobSlots,
} from '../../agent/capacity.ts';
import { loadVoiceAgentConfig } from '../../agent/config.ts';
import { jobProcessEnv } from '../../agent/job-process-env.ts';
import { START_GATE_IMPORT } from '../../agent/job-process-start.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';

/** What the framework's AgentServer hands the load function: the jobs its processes run. */
const serverRunning = (...ids: string[]) => ({
  activeJobs: ids.map((id) => ({ job: { id } }) as RunningJobInfo),
});

/** A job offer as the framework makes it, remembering how it was answered. */
function offer(id: string) {
  const answer: { value?: 'accepted' | 'rejected' } = {};
  return {
    id,
    answer,
    accept: async () => {
      answer.value = 'accepted';
    },
    reject: async () => {
      answer.value = 'rejected';
    },
  };
}

describe('agent server capacity', () => {
  it('reports the share of job slots in use, full exactly when every slot is taken', async () => {
    const slots = jobSlots({ maxConcurrentJobs: 4 });
    expect(await slots.loadFunc(serverRunning())).toBe(0);
    expect(await slots.loadFunc(serverRunning('a'))).toBe(0.25);
    expect(await slots.loadFunc(serverRunning('a', 'b', 'c'))).toBeLessThan(FULL_LOAD);
    expect(await slots.loadFunc(serverRunning('a', 'b', 'c', 'd'))).toBe(FULL_LOAD);
  });

  it('refuses a burst of offers beyond its slots before any load report, counting each refusal', async () => {
    const rejected: string[] = [];
    const inUse: number[] = [];
    const accepted: number[] = [];
    const slots = jobSlots({
      maxConcurrentJobs: 2,
      onRejected: (id) => rejected.push(id),
      onInUse: (count) => inUse.push(count),
      onAccepted: (count) => accepted.push(count),
    });
    const burst = ['j1', 'j2', 'j3', 'j4'].map(offer);
    // All four offered together, as LiveKit does within one 2.5 s load period.
    await Promise.all(burst.map((o) => slots.requestFunc(o)));
    expect(burst.map((o) => o.answer.value)).toEqual([
      'accepted',
      'accepted',
      'rejected',
      'rejected',
    ]);
    expect(rejected).toEqual(['j3', 'j4']);
    expect(inUse).toEqual([1, 2]);
    // Each acceptance is heard with the slots in use counting it (the start gate decides on it).
    expect(accepted).toEqual([1, 2]);
    // Accepted but not yet running still counts, so the load is full before any job started.
    expect(await slots.loadFunc(serverRunning())).toBe(FULL_LOAD);
  });

  it('frees a slot when its job ends, and one whose accepted job never started', async () => {
    let now = 0;
    const slots = jobSlots({ maxConcurrentJobs: 2, now: () => now });
    const [a, b, c, d] = [offer('a'), offer('b'), offer('c'), offer('d')];
    await slots.requestFunc(a);
    await slots.requestFunc(b);
    // `a` runs; `b` was accepted but its process has not started it yet.
    await slots.loadFunc(serverRunning('a'));
    expect(slots.inUse()).toBe(2);
    await slots.requestFunc(c);
    expect(c.answer.value).toBe('rejected');

    // `a` ended: its slot is free, `b` still holds its own.
    await slots.loadFunc(serverRunning());
    expect(slots.inUse()).toBe(1);
    // `b` never started (its assignment timed out): its slot comes back after the timeout.
    now += ACCEPTED_JOB_START_TIMEOUT_MS + 1;
    expect(slots.inUse()).toBe(0);
    await slots.requestFunc(d);
    expect(d.answer.value).toBe('accepted');
  });

  it('frees the slot of a call that ended between two load reports', async () => {
    vi.useFakeTimers();
    try {
      const inUse: number[] = [];
      const slots = jobSlots({ maxConcurrentJobs: 1, onInUse: (count) => inUse.push(count) });
      // The framework's AgentServer: the same object at every report, its jobs changing between.
      const server = serverRunning();
      await slots.loadFunc(server);
      const short = offer('short');
      await slots.requestFunc(short);
      // The caller hangs up during the greeting: the job runs and ends before the next report.
      server.activeJobs = serverRunning('short').activeJobs;
      await vi.advanceTimersByTimeAsync(ACCEPTED_JOB_WATCH_MS);
      server.activeJobs = [];
      expect(slots.inUse()).toBe(0);
      expect(inUse.at(-1)).toBe(1);
      const next = offer('next');
      await slots.requestFunc(next);
      expect(next.answer.value).toBe('accepted');
      // Once every accepted job was seen, nothing keeps looking.
      await vi.advanceTimersByTimeAsync(ACCEPTED_JOB_WATCH_MS);
      server.activeJobs = serverRunning('next').activeJobs;
      await vi.advanceTimersByTimeAsync(ACCEPTED_JOB_WATCH_MS);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never has more jobs in its slots than it allows, whatever the order of offers and reports', () => {
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.oneof(fc.constant('offer' as const), fc.constant('end' as const)), {
          maxLength: 40,
        }),
        async (max, steps) => {
          const slots = jobSlots({ maxConcurrentJobs: max });
          const running: string[] = [];
          let next = 0;
          for (const step of steps) {
            if (step === 'offer') {
              const o = offer(`job-${next++}`);
              await slots.requestFunc(o);
              if (o.answer.value === 'accepted') running.push(o.id);
            } else {
              running.shift();
            }
            await slots.loadFunc(serverRunning(...running));
            expect(running.length).toBeLessThanOrEqual(max);
            expect(slots.inUse()).toBe(running.length);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('never reports more than full, even when jobs outnumber the slots', () => {
    // The framework accepts a job that arrives before its next load report, so a fifth can run.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 200 }),
        (slots, running) => {
          const load = jobLoad(running, slots);
          expect(load).toBeGreaterThanOrEqual(0);
          expect(load).toBeLessThanOrEqual(FULL_LOAD);
          expect(load >= FULL_LOAD).toBe(running >= slots);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('takes its slot count from AGENT_MAX_CONCURRENT_JOBS', () => {
    const env = withDevDefaults({
      DEEPGRAM_API_KEY: 'dg',
      CARTESIA_API_KEY: 'ca',
      OPENAI_API_KEY: 'oa',
      AGENT_MAX_CONCURRENT_JOBS: '2',
    });
    expect(loadVoiceAgentConfig(env).maxConcurrentJobs).toBe(2);
    // One warm process per slot unless told otherwise, and never more than slots.
    expect(loadVoiceAgentConfig(env).idleProcesses).toBe(2);
    expect(loadVoiceAgentConfig({ ...env, AGENT_IDLE_PROCESSES: '1' }).idleProcesses).toBe(1);
    for (const bad of ['0', '3', '1.5', 'few']) {
      expect(() => loadVoiceAgentConfig({ ...env, AGENT_IDLE_PROCESSES: bad })).toThrow(
        /AGENT_IDLE_PROCESSES/,
      );
    }
    for (const bad of ['0', '-1', '1.5', 'many']) {
      expect(() => loadVoiceAgentConfig({ ...env, AGENT_MAX_CONCURRENT_JOBS: bad })).toThrow(
        /AGENT_MAX_CONCURRENT_JOBS/,
      );
    }
  });

  it('gives job processes a small young generation, a compile cache, the start gate and no native logs, keeping what the operator set', () => {
    const gate = `--import=${START_GATE_IMPORT}`;
    expect(jobProcessEnv({}, '/cache')).toEqual({
      NODE_OPTIONS: `--max-semi-space-size=2 ${gate}`,
      NODE_COMPILE_CACHE: '/cache',
      RUST_LOG: 'off',
    });
    expect(jobProcessEnv({ NODE_OPTIONS: ' --enable-source-maps ' }, '/cache').NODE_OPTIONS).toBe(
      `--enable-source-maps --max-semi-space-size=2 ${gate}`,
    );
    expect(
      jobProcessEnv({
        NODE_OPTIONS: '--max-semi-space-size=8',
        NODE_COMPILE_CACHE: '/mine',
        RUST_LOG: 'error',
      }),
    ).toEqual({
      NODE_OPTIONS: `--max-semi-space-size=8 ${gate}`,
      NODE_COMPILE_CACHE: '/mine',
      RUST_LOG: 'error',
    });
    // Applied once, however often the server starts in one environment.
    const once = jobProcessEnv({}, '/cache');
    expect(jobProcessEnv(once, '/other')).toEqual(once);
  });
});
