/**
 * The edge API as its own process (`node workers/server.ts`, the `npm run dev` entry), so fault
 * tests can SIGKILL it and start it again on the same port and data, as an operator or a crash
 * would. Its log lines are kept (not printed) for a failing test to show.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freeTcpPort } from '../support/net.ts';

const SERVER = fileURLToPath(new URL('../../workers/server.ts', import.meta.url));

/** PGlite's migration alone was seen taking 110 s on this shared 2-core machine under load. */
const START_TIMEOUT_MS = 180_000;

export interface ApiProcess {
  url: string;
  port: number;
  /** Starts the server (again) and resolves once /health answers. */
  start(): Promise<void>;
  /** Sends the signal and resolves once the process is gone. */
  stop(signal: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** How many times the process was started. */
  readonly starts: number;
  /** The last lines it wrote, for a failing test's message. */
  tail(): string;
}

/** `env` is the whole environment the server sees (the dev defaults fill the rest in). */
export async function createApiProcess(
  env: Record<string, string>,
  options: { port?: number } = {},
): Promise<ApiProcess> {
  const port = options.port ?? (await freeTcpPort());
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  let child: ChildProcess | undefined;
  let starts = 0;

  const keep = (chunk: Buffer) => {
    output.push(chunk.toString('utf8'));
    if (output.length > 200) output.shift();
  };

  const api: ApiProcess = {
    url,
    port,
    get starts() {
      return starts;
    },
    async start() {
      if (child) throw new Error('the API process is already running');
      starts++;
      const started = spawn(process.execPath, [SERVER], {
        env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      started.stdout?.on('data', keep);
      started.stderr?.on('data', keep);
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Date.now() < deadline) {
        if (started.exitCode !== null || started.signalCode !== null) {
          child = undefined;
          throw new Error(`the API process exited while starting:\n${api.tail()}`);
        }
        const healthy = await fetch(`${url}/health`).then(
          () => true,
          () => false,
        );
        if (healthy) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(
        `the API process did not answer within ${START_TIMEOUT_MS} ms:\n${api.tail()}`,
      );
    },
    async stop(signal) {
      const running = child;
      if (!running) return;
      child = undefined;
      if (running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill(signal);
      await exited;
    },
    tail: () => output.join('').split('\n').slice(-40).join('\n'),
  };
  return api;
}
