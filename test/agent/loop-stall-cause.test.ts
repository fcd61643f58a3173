/**
 * Event-loop stalls split by the kernel's account of the loop's thread
 * (agent/metrics/loop-stall-cause.ts): the arithmetic on readings, then the real thing in child
 * processes, with the framework's own loop monitor and Linux's schedstat: a stall of computation,
 * one asleep in a blocking call, and one of computation on a core shared with busier processes,
 * which the framework's monitor itself calls blocking code.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  explainLoopStalls,
  readThreadClock,
  type StallParts,
  stallParts,
  startThreadClockReadings,
  type ThreadClock,
} from '../../agent/metrics/loop-stall-cause.ts';

const CHILD = fileURLToPath(new URL('./loop-stall-child.ts', import.meta.url));
const clock = (at: number, ranMs: number, waitedMs: number): ThreadClock => ({
  at,
  ranMs,
  waitedMs,
});

describe('splitting a stall', () => {
  it('names the largest part', () => {
    expect(stallParts(200, clock(0, 1_000, 50), clock(260, 1_170, 60))).toEqual({
      durationMs: 200,
      ownWorkMs: 170,
      cpuWaitMs: 10,
      blockingCallMs: 20,
      cause: 'own_work',
    });
    expect(stallParts(200, clock(0, 1_000, 50), clock(260, 1_040, 200)).cause).toBe('cpu_wait');
    expect(stallParts(200, clock(0, 1_000, 50), clock(260, 1_010, 55))).toMatchObject({
      blockingCallMs: 185,
      cause: 'blocking_call',
    });
  });

  it('caps the parts at the stall, since the readings may span a little more of it', () => {
    const parts = stallParts(150, clock(0, 0, 0), clock(300, 120, 90));
    expect(parts).toMatchObject({ ownWorkMs: 120, cpuWaitMs: 30, blockingCallMs: 0 });
    expect(stallParts(100, clock(0, 50, 50), clock(10, 40, 40))).toMatchObject({
      ownWorkMs: 0,
      cpuWaitMs: 0,
      blockingCallMs: 100,
    });
  });
});

describe("reading the thread's clock", () => {
  it('reads schedstat in nanoseconds', () => {
    expect(
      readThreadClock(
        () => '2500000000 125000000 42\n',
        () => 7,
      ),
    ).toEqual({
      at: 7,
      ranMs: 2_500,
      waitedMs: 125,
    });
  });

  it('gives nothing where there is no schedstat or it is not understood', () => {
    const missing = () => {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    };
    expect(readThreadClock(missing)).toBeUndefined();
    expect(readThreadClock(() => 'garbage')).toBeUndefined();
    expect(readThreadClock(() => '-1 2 3')).toBeUndefined();
  });

  it("reads this thread's on Linux", () => {
    const startedAt = performance.now();
    const first = readThreadClock();
    expect(first).toBeDefined();
    // Busy until the thread's own clock shows 20 ms of running, however long a machine short of
    // CPU takes to give it that (a fixed 30 ms of wall time got less than 20 ms beside a CI run).
    let second = readThreadClock();
    const ran = () => (second && first ? second.ranMs - first.ranMs : 0);
    while (ran() <= 20 && performance.now() < startedAt + 10_000) {
      const until = performance.now() + 5;
      while (performance.now() < until);
      second = readThreadClock();
    }
    expect(ran()).toBeGreaterThan(20);
    // Time the thread ran, not time that passed. The kernel brings a running thread's figure up
    // to date at its scheduler ticks, so a reading can lag by one tick (10 ms at HZ=100, the
    // coarsest): the first reading's lag shows up here as time run before the test began.
    expect(ran()).toBeLessThanOrEqual(performance.now() - startedAt + 10);
  });
});

describe('reading the clock in the background', () => {
  it('keeps the readings, so a stall finds the last one from before it', async () => {
    let read = 0;
    const readings = startThreadClockReadings(() => {
      read += 1;
      return clock(1_000 * read, read, 0);
    }, 5);
    try {
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(readings?.before(999)).toBeUndefined();
      expect(readings?.before(1_000)).toEqual(clock(1_000, 1, 0));
      expect(readings?.before(2_500)).toEqual(clock(2_000, 2, 0));
      const taken = read;
      expect(readings?.now()).toEqual(clock(1_000 * (taken + 1), taken + 1, 0));
    } finally {
      readings?.stop();
    }
  });

  it('gives nothing without a clock', () => {
    expect(startThreadClockReadings(() => undefined)).toBeUndefined();
  });
});

describe('watching a monitor', () => {
  const readings = {
    before: (at: number) => (at >= 1_000 ? clock(1_000, 10, 10) : undefined),
    now: () => clock(1_400, 30, 200),
    stop: () => undefined,
  };

  it('explains what the monitor reports and stops, leaving its callback as it was', () => {
    const seen: string[] = [];
    const monitor = { onReport: () => seen.push('framework') } as {
      onReport?: (report: { duration: number; startedAt: number }) => void;
    };
    const original = monitor.onReport;
    const explained: StallParts[] = [];
    const stop = explainLoopStalls({
      monitor,
      readings,
      onStall: (parts) => explained.push(parts),
    });
    monitor.onReport?.({ duration: 250, startedAt: 1_100 });
    // From before the oldest reading: left unexplained.
    monitor.onReport?.({ duration: 250, startedAt: 900 });
    expect(seen).toEqual(['framework', 'framework']);
    expect(explained).toEqual([
      { durationMs: 250, ownWorkMs: 20, cpuWaitMs: 190, blockingCallMs: 40, cause: 'cpu_wait' },
    ]);
    stop?.();
    expect(monitor.onReport).toBe(original);
  });

  it('does nothing without a monitor or readings', () => {
    const onStall = () => undefined;
    expect(explainLoopStalls({ monitor: undefined, readings, onStall })).toBeUndefined();
    const monitor = {};
    expect(explainLoopStalls({ monitor, readings: undefined, onStall })).toBeUndefined();
    expect(monitor).toEqual({});
  });
});

interface ChildReport {
  explaining: boolean;
  stalls: StallParts[];
}

async function stallIn(kind: string, command: string[] = []): Promise<ChildReport> {
  const [program = process.execPath, ...args] = [...command, process.execPath];
  const child = spawn(program, [...args, CHILD, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(0);
  return JSON.parse(out) as ChildReport;
}

/**
 * Processes that keep core 0 busy, so a thread there runs about a quarter of the time. Each
 * ends by itself after 30 s should the test be torn down before it kills them.
 */
function busyCoreZero(count: number): ChildProcess[] {
  const spin = 'const end = Date.now() + 30_000; while (Date.now() < end);';
  return Array.from({ length: count }, () =>
    spawn('taskset', ['-c', '0', process.execPath, '-e', spin], { stdio: 'ignore' }),
  );
}

describe('with the framework monitor and the kernel', () => {
  it('calls computation on the loop own work', async () => {
    const report = await stallIn('own-work');
    expect(report.explaining).toBe(true);
    expect(report.stalls).toHaveLength(1);
    expect(report.stalls[0]?.cause).toBe('own_work');
  });

  it('calls a thread asleep in a blocking call a blocking call', async () => {
    const report = await stallIn('blocking-call');
    expect(report.stalls).toHaveLength(1);
    expect(report.stalls[0]?.cause).toBe('blocking_call');
  });

  it('calls computation on a core shared with busier processes a wait for the CPU', async () => {
    const hogs = busyCoreZero(3);
    try {
      const report = await stallIn('cpu-work', ['taskset', '-c', '0']);
      const longest = report.stalls.reduce((a, b) => (b.durationMs > a.durationMs ? b : a));
      expect(longest.cause).toBe('cpu_wait');
      expect(longest.ownWorkMs).toBeGreaterThan(150);
    } finally {
      for (const hog of hogs) hog.kill('SIGKILL');
    }
  });
});
