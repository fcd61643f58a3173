/**
 * A job process's event loop in miniature, for loop-stall-cause.test.ts: the framework's own
 * loop monitor (watchdog thread on, as in a job process) with explainLoopStalls on it, then one
 * stall of the kind asked for, and the parts of every stall explained, as one JSON line.
 *
 * argv: `own-work` (250 ms of computation), `blocking-call` (250 ms asleep in Atomics.wait) or
 * `cpu-work` (250 ms of the thread's CPU time, however long that takes: run it on a core shared
 * with busier processes and most of the stall is the wait for that core).
 */
import { initializeLogger, telemetry } from '@livekit/agents';
import {
  explainLoopStalls,
  type StallParts,
  startThreadClockReadings,
} from '../../agent/metrics/loop-stall-cause.ts';

const STALL_MS = 250;
const kind = process.argv[2];
if (kind !== 'own-work' && kind !== 'blocking-call' && kind !== 'cpu-work') {
  throw new Error('usage: loop-stall-child.ts own-work|blocking-call|cpu-work');
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1000;
}

function stall(): void {
  if (kind === 'blocking-call') {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, STALL_MS);
    return;
  }
  if (kind === 'own-work') {
    const until = performance.now() + STALL_MS;
    while (performance.now() < until);
    return;
  }
  const until = threadCpuMs() + STALL_MS;
  while (threadCpuMs() < until);
}

initializeLogger({ pretty: false, level: 'silent' });
const monitor = new telemetry.loopMonitor.EventLoopMonitor({ warnThreshold: 100 });
const stalls: StallParts[] = [];
const readings = startThreadClockReadings();
const stop = explainLoopStalls({ monitor, readings, onStall: (parts) => stalls.push(parts) });
monitor.start();
await sleep(200);
stall();
// The monitor holds a report back one tick (for its garbage-collection figures).
await sleep(300);
stop?.();
readings?.stop();
monitor.stop();
process.stdout.write(`${JSON.stringify({ explaining: stop !== undefined, stalls })}\n`);
