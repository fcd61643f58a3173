/**
 * The agent server's load: the share of its job slots in use, which the framework reports to
 * LiveKit and compares with the threshold (FULL_LOAD) to mark the worker full.
 */
import type { RunningJobInfo } from '@livekit/agents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FULL_LOAD, jobCountLoad, jobLoad } from '../../agent/capacity.ts';
import { loadVoiceAgentConfig } from '../../agent/config.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';

/** What the framework's AgentServer hands the load function: its running jobs. */
const serverWith = (activeJobs: number) => ({
  activeJobs: Array.from({ length: activeJobs }, () => ({}) as RunningJobInfo),
});

describe('agent server capacity', () => {
  it('reports the share of job slots in use, full exactly when every slot is taken', async () => {
    const load = jobCountLoad(4);
    expect(await load(serverWith(0))).toBe(0);
    expect(await load(serverWith(1))).toBe(0.25);
    expect(await load(serverWith(3))).toBeLessThan(FULL_LOAD);
    expect(await load(serverWith(4))).toBe(FULL_LOAD);
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
    for (const bad of ['0', '-1', '1.5', 'many']) {
      expect(() => loadVoiceAgentConfig({ ...env, AGENT_MAX_CONCURRENT_JOBS: bad })).toThrow(
        /AGENT_MAX_CONCURRENT_JOBS/,
      );
    }
  });
});
