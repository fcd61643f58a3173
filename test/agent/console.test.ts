/**
 * The text console (`npm run coach`, agent/console.ts) as a developer runs it: a Node 24 child
 * process reading turns on stdin, against the real edge API and the OpenAI stand-in, printing
 * the coach's replies on stdout. Bad command lines end with the usage line and exit code 2.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCoachingContext } from '../../agent/context-loader.ts';
import { buildGreeting } from '../../agent/instructions.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { createApiClient } from '../../shared/api-client.ts';
import type { CoachingContext } from '../../shared/schemas.ts';
import { type OpenAIStandin, startOpenAIStandin } from '../support/openai-standin.ts';
import { type EdgeApiServer, startEdgeApi } from './edge-api.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONSOLE = join(ROOT, 'agent/console.ts');
/** The console runs .ts files directly, which needs Node 24; the system node may be older. */
const NODE =
  Number(process.versions.node.split('.')[0]) >= 24
    ? process.execPath
    : join(ROOT, 'node_modules/.bin/node');

let llm: OpenAIStandin;
let edge: EdgeApiServer;
let spoolDir: string;

beforeAll(async () => {
  [llm, edge, spoolDir] = await Promise.all([
    startOpenAIStandin(),
    startEdgeApi(),
    mkdtemp(join(tmpdir(), 'console-spool-')),
  ]);
});

afterAll(async () => {
  await edge?.close();
  await llm?.close();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
});

interface Coach {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout contains `text`; rejects if the process exits first. */
  printed(text: string): Promise<void>;
  exited: Promise<number | null>;
}

function startCoach(args: readonly string[]): Coach {
  const child = spawn(NODE, [CONSOLE, ...args], {
    cwd: ROOT,
    // Only what the console needs, plus PATH: no developer or CI settings leak in.
    env: {
      PATH: process.env.PATH ?? '',
      API_BASE_URL: edge.baseUrl,
      SERVICE_API_TOKEN: edge.serviceToken,
      VOICE_LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'standin-key',
      OPENAI_BASE_URL: llm.baseUrl,
      LOG_SPOOL_DIR: spoolDir,
    },
  });
  // A test worker that dies must not leave a console behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    for (const check of listeners) check();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!out.includes(text)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
        exited.then((code) => {
          if (listeners.delete(check)) {
            reject(
              new Error(`console exited (${code}) before printing "${text}":\n${out}\n${err}`),
            );
          }
        });
      }),
  };
}

describe('the text console', () => {
  it('greets the user, answers typed lines through the coach, prints the lines tools say themselves, and exits at end of input', async () => {
    llm.reset();
    llm.enqueue(
      { toolCalls: [{ name: 'get_todays_workout', arguments: '{}' }] },
      { content: 'You are doing great this week.' },
    );
    const coach = startCoach(['--user', DEMO_USER_ID, '--type', 'workout']);
    await coach.printed('coach: ');
    coach.child.stdin.write("what's my workout today\n");
    // The tool says the day itself (a speech the turn's run does not wait for): printed all the
    // same, before the next line is read.
    await coach.printed('coach: Today is ');
    coach.child.stdin.write('how am I doing\n');
    await coach.printed('coach: You are doing great this week.');
    coach.child.stdin.end();
    expect(await coach.exited).toBe(0);

    // The typed lines reached the model as the user's turns, with the coach's tools on offer, one
    // request each: none after the tool that spoke.
    expect(llm.requests).toHaveLength(2);
    const request = llm.requests[0]?.body;
    expect(JSON.stringify(request?.messages)).toContain("what's my workout today");
    expect(request?.tools?.map((tool) => tool.function.name)).toContain('get_todays_workout');
    // The greeting came first: the workout coach's, built from the user's context; then the day.
    const api = createApiClient({ baseUrl: edge.baseUrl, serviceToken: edge.serviceToken });
    const context = (await loadCoachingContext(api, DEMO_USER_ID)) as CoachingContext;
    const lines = coach
      .stdout()
      .split(/(?:you: )*\n|you: /)
      .filter((line) => line.startsWith('coach: '));
    expect(lines[0]).toBe(`coach: ${buildGreeting('workout', context)}`);
    expect(lines[1]).toMatch(/^coach: Today is /);
    expect(lines[2]).toBe('coach: You are doing great this week.');
    expect(coach.stderr()).toBe('');
  }, 60_000);

  it.each([
    ['an unknown --type', ['--user', DEMO_USER_ID, '--type', 'yoga'], '--type must be one of'],
    ['a malformed --user', ['--user', 'not-a-uuid'], '--user must be a user id'],
    ['no --user', ['--type', 'diet'], '--user is required'],
    ['an unknown option', ['--user', DEMO_USER_ID, '--colour', 'red'], "Unknown option '--colour'"],
  ])('refuses %s with the usage line and exit code 2', async (_what, args, problem) => {
    const coach = startCoach(args);
    expect(await coach.exited).toBe(2);
    expect(coach.stderr()).toContain(problem);
    expect(coach.stderr()).toContain('usage: npm run coach -- --user <uuid>');
    expect(coach.stdout()).toBe('');
    expect(coach.stderr()).not.toMatch(/\bat .+:\d+:\d+\)/);
  });
});
