/**
 * What an event-loop stall was made of, from the kernel's own account of the loop's thread.
 *
 * The framework's loop monitor reports a tick 100 ms late or more as "event loop blocked;
 * synchronous work on the agent loop", unless its watchdog thread was kept from running too.
 * On a machine short of CPU that watchdog, asleep nearly all the time, is scheduled at once
 * while the loop's thread, which has work to do, waits its turn for a core: at full load on the
 * voice rig every session-start stall was reported as blocking code while Linux counted 60 to
 * 85% of it as the loop's thread waiting to run. Linux keeps, per thread, the time it ran and
 * the time it waited while runnable (/proc/thread-self/schedstat), so a stall splits into
 * - own_work: the process's own code on the loop (a fix in the code),
 * - cpu_wait: waiting for a CPU (the machine is over capacity: scale out or take fewer jobs),
 * - blocking_call: neither, the thread slept in a blocking call (synchronous I/O, a lock).
 */
import { readFileSync } from 'node:fs';

export const STALL_CAUSES = ['own_work', 'cpu_wait', 'blocking_call'] as const;
export type StallCause = (typeof STALL_CAUSES)[number];

/** The loop thread's running and waiting time so far, as of `at` (epoch milliseconds). */
export interface ThreadClock {
  at: number;
  ranMs: number;
  waitedMs: number;
}

export interface StallParts {
  durationMs: number;
  ownWorkMs: number;
  cpuWaitMs: number;
  blockingCallMs: number;
  /** The largest part. */
  cause: StallCause;
}

/** What the framework's monitor reports of a stall (its BlockedReport, the fields used here). */
export interface StallReport {
  /** How late the tick was, in milliseconds. */
  duration: number;
  /** Epoch milliseconds; the stall began no earlier. */
  startedAt: number;
}

/** The framework's EventLoopMonitor as seen here: one report callback. */
export interface StallMonitor<Report extends StallReport> {
  onReport?: (report: Report) => void;
}

const SCHEDSTAT = /^(\d+) (\d+) \d+\s*$/;

/** The calling thread's clock, or undefined where the kernel has no schedstat (not Linux). */
export function readThreadClock(
  read: () => string = () => readFileSync('/proc/thread-self/schedstat', 'utf8'),
  now: () => number = Date.now,
): ThreadClock | undefined {
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  const match = SCHEDSTAT.exec(text);
  if (!match) return undefined;
  // Nanoseconds on the CPU, nanoseconds runnable on a run queue.
  return { at: now(), ranMs: Number(match[1]) / 1e6, waitedMs: Number(match[2]) / 1e6 };
}

/**
 * A stall of `durationMs` split by the thread's clock before and after it. The two readings may
 * span a little more than the stall (the loop is idle there), so each part is capped by what is
 * left of the stall: own work first, then the wait for a CPU, the rest a blocking call.
 */
export function stallParts(
  durationMs: number,
  before: ThreadClock,
  after: ThreadClock,
): StallParts {
  const duration = Math.max(0, durationMs);
  const ownWorkMs = clamp(after.ranMs - before.ranMs, duration);
  const cpuWaitMs = clamp(after.waitedMs - before.waitedMs, duration - ownWorkMs);
  const blockingCallMs = duration - ownWorkMs - cpuWaitMs;
  const parts: Array<[StallCause, number]> = [
    ['own_work', ownWorkMs],
    ['cpu_wait', cpuWaitMs],
    ['blocking_call', blockingCallMs],
  ];
  const [cause] = parts.reduce((largest, part) => (part[1] > largest[1] ? part : largest));
  return { durationMs: duration, ownWorkMs, cpuWaitMs, blockingCallMs, cause };
}

function clamp(value: number, most: number): number {
  return Math.min(Math.max(0, value), Math.max(0, most));
}

/** Readings kept: 10 s at the default rate, longer than any stall worth explaining. */
const READINGS_KEPT = 512;

/** The loop thread's clock, read in the background so that a stall has a reading from before it. */
export interface ThreadClockReadings {
  /** The last reading taken at or before `at` (epoch milliseconds). */
  before(at: number): ThreadClock | undefined;
  /** A reading taken now. */
  now(): ThreadClock | undefined;
  stop(): void;
}

/**
 * Reads the calling thread's clock now and every `sampleEveryMs` (a small file read, about
 * 14 µs, 50 a second at the default). Start it before the stalls to explain: a job process
 * starts it in prewarm, so the stall that begins as its job arrives has a reading from before.
 * Undefined where there is no schedstat.
 */
export function startThreadClockReadings(
  readClock: () => ThreadClock | undefined = () => readThreadClock(),
  sampleEveryMs = 20,
): ThreadClockReadings | undefined {
  const first = readClock();
  if (!first) return undefined;
  const readings: ThreadClock[] = [first];
  const timer = setInterval(() => {
    const reading = readClock();
    if (!reading) return;
    readings.push(reading);
    if (readings.length > READINGS_KEPT) readings.shift();
  }, sampleEveryMs);
  timer.unref();
  return {
    before: (at) => readings.findLast((reading) => reading.at <= at),
    now: readClock,
    stop: () => clearInterval(timer),
  };
}

/**
 * Splits every stall the monitor reports (see the module comment) by the readings from before
 * it and one taken when it is reported. Returns a function that stops, or undefined when there is
 * nothing to explain with: no monitor (a process the framework does not watch, such as a test's)
 * or no readings. A stall from before the oldest reading kept is left unexplained.
 */
export function explainLoopStalls<Report extends StallReport>(options: {
  monitor: StallMonitor<Report> | undefined;
  readings: ThreadClockReadings | undefined;
  onStall: (parts: StallParts) => void;
}): (() => void) | undefined {
  const { monitor, readings, onStall } = options;
  if (!monitor || !readings) return undefined;
  const previous = monitor.onReport;
  monitor.onReport = (report: Report) => {
    previous?.(report);
    const before = readings.before(report.startedAt);
    const after = readings.now();
    if (!before || !after) return;
    onStall(stallParts(report.duration, before, after));
  };
  return () => {
    monitor.onReport = previous;
  };
}
