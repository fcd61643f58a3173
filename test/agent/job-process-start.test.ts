/**
 * The start gate that holds back a replacement job process while sessions start
 * (agent/job-process-start.ts): when the main process closes and opens it, how a waiting process
 * reads it, and a real forked Node process held back by the preload.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRequest } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVoiceAgentConfig } from '../../agent/config.ts';
import {
  createStartGate,
  type GateClock,
  gateOpensAt,
  SESSION_START_QUIET_MS,
  START_GATE_ENV,
  START_GATE_IMPORT,
  waitForStartGate,
} from '../../agent/job-process-start.ts';
import { serverOptions } from '../../agent/main.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'start-gate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A clock that only moves when the gate sleeps, so the waits are exact. */
function steppedClock(start: number, onSleep: (now: number) => void = () => {}) {
  let now = start;
  const clock: GateClock = {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
      onSleep(now);
    },
  };
  return { clock, now: () => now };
}

describe('the job process start gate', () => {
  it('stays closed for the quiet period while every accepted job had a warm process', () => {
    expect(gateOpensAt(1000, 1, 4)).toBe(1000 + SESSION_START_QUIET_MS);
    expect(gateOpensAt(1000, 4, 4)).toBe(1000 + SESSION_START_QUIET_MS);
    // More jobs than warm processes: one of them waits for the fork, so it loads at once.
    expect(gateOpensAt(1000, 3, 2)).toBe(1000);
  });

  it('is closed by the agent server as it accepts a job, and opened once jobs outnumber the warm processes', async () => {
    const config = loadVoiceAgentConfig(
      withDevDefaults({
        DEEPGRAM_API_KEY: 'k',
        CARTESIA_API_KEY: 'k',
        OPENAI_API_KEY: 'k',
        AGENT_MAX_CONCURRENT_JOBS: '3',
        AGENT_IDLE_PROCESSES: '1',
      }),
    );
    const opensAt: number[] = [];
    const { requestFunc } = serverOptions(config, {}, { openAt: (at) => opensAt.push(at) });
    const offer = (id: string) =>
      ({ id, accept: async () => {}, reject: async () => {} }) as unknown as JobRequest;
    const before = Date.now();
    // The first job takes the one warm process: its replacement can wait.
    await requestFunc?.(offer('a'));
    // The second has no warm process left and waits for that replacement: the gate opens.
    await requestFunc?.(offer('b'));
    const after = Date.now();
    expect(opensAt).toHaveLength(2);
    expect(opensAt[0]).toBeGreaterThanOrEqual(before + SESSION_START_QUIET_MS);
    expect(opensAt[0]).toBeLessThanOrEqual(after + SESSION_START_QUIET_MS);
    expect(opensAt[1]).toBeLessThanOrEqual(after);
  });

  it('lets a fork load at once when no job was accepted or the gate is unreadable', async () => {
    const gate = createStartGate(dir, 'fresh');
    expect(await waitForStartGate(gate.env, steppedClock(5000).clock)).toBe(0);
    expect(await waitForStartGate({}, steppedClock(5000).clock)).toBe(0);
    expect(
      await waitForStartGate({ [START_GATE_ENV]: join(dir, 'missing') }, steppedClock(0).clock),
    ).toBe(0);
    gate.remove();
  });

  it('holds a fork until the gate opens, and releases it early when the gate is reopened', async () => {
    const gate = createStartGate(dir, 'reopen');
    gate.openAt(10_000 + 2000);
    expect(await waitForStartGate(gate.env, steppedClock(10_000).clock)).toBe(2000);

    // Closed again; after 300 ms a burst outgrows the warm processes and the gate opens.
    gate.openAt(20_000 + SESSION_START_QUIET_MS);
    const { clock } = steppedClock(20_000, (now) => {
      if (now >= 20_300) gate.openAt(now);
    });
    expect(await waitForStartGate(gate.env, clock)).toBe(300);
    gate.remove();
  });

  it('never holds a fork longer than the quiet period, whatever the file says', async () => {
    const gate = createStartGate(dir, 'far');
    gate.openAt(Number.MAX_SAFE_INTEGER);
    expect(await waitForStartGate(gate.env, steppedClock(0).clock)).toBe(SESSION_START_QUIET_MS);
    gate.remove();
  });

  it('holds back a real Node process until the gate opens, through the NODE_OPTIONS preload', async () => {
    const gate = createStartGate(dir, 'fork');
    const opensAt = Date.now() + 400;
    gate.openAt(opensAt);
    const ranAt = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', 'process.stdout.write(String(Date.now()))'], {
        env: { ...process.env, ...gate.env, NODE_OPTIONS: `--import=${START_GATE_IMPORT}` },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(Number(out)) : reject(new Error(`exited with ${code}`)),
      );
    });
    // The main script ran only once the gate was open.
    expect(ranAt).toBeGreaterThanOrEqual(opensAt);
    gate.remove();
  });
});
