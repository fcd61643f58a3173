/**
 * No personal detail in a log line: a text-mode session (the real AgentSession and OpenAI plugin
 * against the OpenAI stand-in, the real edge API behind the context and the spool) logs through
 * the framework's real pino logger at debug level, and this test reads every line it writes to
 * stdout. Without agent/log-redaction.ts the framework writes the user's exercise and question
 * into its lines; with it, neither they nor anything else the user said appear, while the lines
 * themselves (tool calls, outcomes, ids) still do.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger, voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FitnessVoiceAgent } from '../../agent/coach.ts';
import { loadCoachingContext } from '../../agent/context-loader.ts';
import { redactFrameworkLogs } from '../../agent/log-redaction.ts';
import { LogSpool } from '../../agent/log-spool.ts';
import { createAgentLogger } from '../../agent/logger.ts';
import { SessionStats, type SessionSummary } from '../../agent/session-stats.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { createApiClient, type EdgeApi } from '../../shared/api-client.ts';
import { systemClock } from '../../shared/runtime.ts';
import type { CoachingContext } from '../../shared/schemas.ts';
import { type OpenAIStandin, startOpenAIStandin } from '../support/openai-standin.ts';
import { type EdgeApiServer, startEdgeApi } from './edge-api.ts';

const EXERCISE = 'Zercher squat';
const UTTERANCE = 'log twelve Zercher squats at seventy kilos';
const QUERY = 'Can I take ashwagandha with my thyroid medication?';
const ANSWER = 'Ashwagandha can interact with thyroid medication; ask your doctor first.';
const BAD_EXERCISE = 'Jefferson curl';

let llm: OpenAIStandin;
let edge: EdgeApiServer;
let api: EdgeApi;
let context: CoachingContext;
let spoolRoot: string;
let output: string[] = [];

beforeAll(async () => {
  llm = await startOpenAIStandin();
  edge = await startEdgeApi();
  api = createApiClient({ baseUrl: edge.baseUrl, serviceToken: edge.serviceToken });
  context = (await loadCoachingContext(api, DEMO_USER_ID)) as CoachingContext;
  spoolRoot = await mkdtemp(join(tmpdir(), 'privacy-spool-'));
  // Debug is the most the framework ever writes, and what `npm run agent -- dev` uses.
  initializeLogger({ pretty: false, level: 'debug' });
  // The framework's JSON lines go to process.stdout; keep them instead of printing them.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
});

afterEach(() => {
  output = [];
});

afterAll(async () => {
  vi.restoreAllMocks();
  await edge?.close();
  await llm?.close();
  await rm(spoolRoot, { recursive: true, force: true });
});

/** A session wired as agent/session.ts does, with the agent's own lines in the same logger. */
async function runSession(turns: { userInput: string }[]): Promise<SessionSummary> {
  const logger = createAgentLogger('agent', {
    job_id: 'AJ_privacy',
    user_id: DEMO_USER_ID,
    agent_type: 'workout',
  });
  const spool = await LogSpool.open({
    dir: spoolRoot,
    send: (entries, signal) => api.ingestLogs(entries, signal),
    logger,
  });
  const agent = new FitnessVoiceAgent({
    agentType: 'workout',
    context,
    logSink: spool,
    specialists: { askSpecialist: async () => ({ specialist: 'supplement', answer: ANSWER }) },
    logger,
    clock: systemClock,
  });
  const session = new voice.AgentSession({
    llm: new openai.LLM({ model: 'gpt-4o-mini', apiKey: 'standin-key', baseURL: llm.baseUrl }),
    vad: null,
  });
  const stats = new SessionStats();
  stats.attach(session);
  await session.start({ agent });
  for (const turn of turns) await session.run(turn).wait();
  expect((await spool.drain(5000)).remaining).toBe(0);
  await session.close();
  await spool.close();
  return stats.summary();
}

function logLines(): Record<string, unknown>[] {
  return output
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('framework log lines', () => {
  it('carry the exercise the user logged unless the agent redacts them', async () => {
    llm.enqueue(
      {
        toolCalls: [
          {
            name: 'log_workout_set',
            arguments: JSON.stringify({ exercise: EXERCISE, reps: 12, weight: 70 }),
          },
        ],
      },
      // No reply: the tool says its confirmation itself.
    );
    await runSession([{ userInput: UTTERANCE }]);
    // The control: the framework's own "Executing LLM tool call" line holds the arguments.
    const executing = logLines().find((line) => line.msg === 'Executing LLM tool call');
    expect(executing?.['lk.pii.arguments']).toMatchObject({ exercise: EXERCISE });
  });

  it('carry no user utterance, exercise, query, answer or name once the agent redacts them', async () => {
    redactFrameworkLogs();
    llm.enqueue(
      {
        toolCalls: [
          {
            name: 'log_workout_set',
            arguments: JSON.stringify({ exercise: EXERCISE, reps: 12, weight: 70 }),
          },
        ],
      },
      // No reply: the tool says its confirmation itself.
      {
        toolCalls: [
          {
            name: 'ask_specialist_agent',
            arguments: JSON.stringify({ query: QUERY, specialist: 'supplement' }),
          },
        ],
      },
      // No reply: the specialist's answer is said as it comes.
      // Arguments the tool's schema refuses: the framework logs them at error level.
      {
        toolCalls: [
          {
            name: 'log_workout_set',
            arguments: JSON.stringify({ exercise: BAD_EXERCISE, reps: 'lots' }),
          },
        ],
      },
      { content: 'How many reps was that?' },
    );
    const summary = await runSession([
      { userInput: UTTERANCE },
      { userInput: 'is ashwagandha safe with my thyroid pills' },
      { userInput: 'I did a Jefferson curl, lots of them' },
    ]);

    const text = output.join('');
    for (const personal of [
      EXERCISE,
      BAD_EXERCISE,
      'Zercher',
      'Jefferson',
      'ashwagandha',
      'Ashwagandha',
      'thyroid',
      context.profile.name,
    ]) {
      expect(text).not.toContain(personal);
    }
    expect(text).not.toContain('lk.pii');

    const lines = logLines();
    // The lines are still written: the framework's tool and error lines, without their arguments.
    const executed = lines.filter((line) => line.msg === 'Executing LLM tool call');
    expect(executed.map((line) => line.function)).toEqual([
      'log_workout_set',
      'ask_specialist_agent',
    ]);
    expect(lines.some((line) => /invalid arguments/.test(String(line.msg)))).toBe(true);
    // Our tool lines name the tool, its outcome and duration, and ids only.
    const toolCalls = lines.filter((line) => line.event === 'tool_call');
    expect(toolCalls.map((line) => [line.tool, line.outcome])).toEqual([
      ['log_workout_set', 'ok'],
      ['ask_specialist_agent', 'ok'],
    ]);
    const allowed = new Set([
      'level',
      'time',
      'pid',
      'hostname',
      'msg',
      'component',
      'event',
      'job_id',
      'user_id',
      'agent_type',
      'tool',
      'outcome',
      'duration_ms',
    ]);
    for (const line of toolCalls) {
      expect(Object.keys(line).filter((key) => !allowed.has(key))).toEqual([]);
    }
    // What the session summary line reports: counts and latencies, numbers only.
    expect(summary).toMatchObject({ turns: 3, tool_calls: 3 });
    const leaves = JSON.stringify(summary).match(/:("[^"]*"|[^,{}[\]]+)/g) ?? [];
    expect(leaves.filter((leaf) => !/^:(-?[\d.]+|null)$/.test(leaf))).toEqual([]);
  });
});
