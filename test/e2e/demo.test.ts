/**
 * `npm run demo` as a user runs it: the script in its own process, with no keys and nothing set up
 * beforehand but the livekit-server binary. A short run holds the whole scripted conversation and
 * exits 0; Ctrl-C (SIGINT) in the middle stops everything and exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { livekitServerAvailability } from '../support/livekit-server.ts';

const availability = livekitServerAvailability();
if (!availability.available) console.warn(`skipping the demo test: ${availability.reason}`);

const DEMO = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface DemoRun {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  waitFor(text: string, timeoutMs: number): Promise<void>;
}

function runDemo(): DemoRun {
  const child = spawn(process.execPath, [DEMO], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => text,
    exited,
    async waitFor(wanted, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!text.includes(wanted)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`the demo did not print "${wanted}"; it printed:\n${text}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

describe.skipIf(!availability.available)('npm run demo', () => {
  it('holds the scripted conversation with a timeline per turn and exits 0', async () => {
    const demo = runDemo();
    const code = await demo.exited;
    const output = demo.output();
    expect(code, output).toBe(0);
    expect(output).toContain('coach: Hey Demo!');
    expect(output).toContain("you:   What's my workout today?");
    expect(output).toMatch(/coach: Today is /);
    expect(output).toContain('coach: Logged 10 reps of squat at 60 kg');
    expect(output).toContain('goblet squats');
    // Three answered turns, each with its own timeline.
    expect(output.match(/end of speech 0 .* first audio heard \+\d+ ms/g), output).toHaveLength(3);
    // Each with the moment the agent committed the turn, from its per-turn log line.
    expect(output.match(/turn committed \+\d+/g), output).toHaveLength(3);
    expect(output).toContain('Stopped.');
  }, 300_000);

  it('stops cleanly on Ctrl-C in the middle of the conversation', async () => {
    const demo = runDemo();
    await demo.waitFor('Caller joined room', 180_000);
    demo.child.kill('SIGINT');
    const code = await demo.exited;
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).toContain('Stopped.');
  }, 300_000);
});
