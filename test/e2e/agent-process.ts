/**
 * Runs the real agent server (`node agent/main.ts start`) as a child process, the way the
 * container does, and reads its JSON log lines so tests can wait for what it reports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { captureOutput } from '../support/log-capture/capture.ts';

export type LogLine = Record<string, unknown> & { msg?: string };

export interface AgentProcess {
  child: ChildProcess;
  logs: LogLine[];
  /** Lines that were not JSON (stack traces, warnings from native code). */
  rawOutput(): string;
  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  running(): boolean;
  /** SIGTERM (the framework drains), then SIGKILL if it has not exited in time. */
  stop(graceMs?: number): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../agent/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RAW_OUTPUT_LIMIT = 20_000;

export interface AgentProcessOptions {
  /** Where the install lives (the repository by default). */
  cwd?: string;
  /** The entry file (agent/main.ts of the repository by default). */
  main?: string;
  /** CLI arguments after the entry file. */
  args?: readonly string[];
}

interface Waiter {
  match: (line: LogLine) => boolean;
  resolve: (line: LogLine) => void;
  fail: (why: string) => void;
}

export function startAgentProcess(
  env: Record<string, string>,
  options: AgentProcessOptions = {},
): AgentProcess {
  const child = spawn(
    process.execPath,
    [options.main ?? MAIN, ...(options.args ?? ['start', '--log-level', 'info'])],
    {
      cwd: options.cwd ?? ROOT,
      // Only what the test hands in, plus PATH: no developer or CI secrets leak into the agent.
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // A test worker that dies must not leave an agent server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));
  const logs: LogLine[] = [];
  const waiters = new Set<Waiter>();
  let raw = '';

  const onLine = (text: string) => {
    captureOutput(text);
    let line: LogLine | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object') line = parsed as LogLine;
    } catch {
      line = undefined;
    }
    if (!line) {
      raw = `${raw}${text}\n`.slice(-RAW_OUTPUT_LIMIT);
      return;
    }
    logs.push(line);
    for (const waiter of waiters) {
      if (waiter.match(line)) {
        waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) createInterface({ input: stream }).on('line', onLine);
  }
  const running = () => child.exitCode === null && child.signalCode === null;
  const state = () =>
    running() ? 'still running' : `exited with ${child.exitCode ?? child.signalCode}`;
  let closed = false;
  const exited = new Promise<void>((resolve) =>
    child.once('close', () => {
      closed = true;
      // Output is complete once the streams close: nothing more can match.
      for (const waiter of waiters) waiter.fail(state());
      waiters.clear();
      resolve();
    }),
  );

  return {
    child,
    logs,
    rawOutput: () => raw,
    running,
    waitForLog(what, match, timeoutMs = 30_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          match,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
          fail: (why) => {
            clearTimeout(timer);
            const recent = logs.slice(-30).map((line) => JSON.stringify(line));
            reject(
              new Error(
                `agent log "${what}" did not appear (agent ${why}); recent lines:\n` +
                  `${recent.join('\n')}\n${raw}`,
              ),
            );
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          waiter.fail(state());
        }, timeoutMs);
        if (closed) waiter.fail(state());
        else waiters.add(waiter);
      });
    },
    async stop(graceMs = 20_000) {
      if (!running()) return;
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(force);
    },
  };
}
