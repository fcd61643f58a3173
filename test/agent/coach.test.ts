/**
 * The coach in the framework's text mode: the real AgentSession and the real OpenAI plugin,
 * pointed at the OpenAI stand-in, with the context, the specialists and the log ingest served by
 * the real edge API on PostgreSQL. The specialist answers come from the real orchestrator, which
 * talks to a second stand-in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger, voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FitnessVoiceAgent } from '../../agent/coach.ts';
import { WorkoutCoach } from '../../agent/coaching/workout-coach.ts';
import { loadCoachingContext } from '../../agent/context-loader.ts';
import { LogSpool } from '../../agent/log-spool.ts';
import { describeTodaysWorkout } from '../../agent/today.ts';
import { SPECIALIST_FALLBACK, TOOL_NAMES } from '../../agent/tools.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { createApiClient, type EdgeApi } from '../../shared/api-client.ts';
import { systemClock } from '../../shared/runtime.ts';
import type { CoachingContext } from '../../shared/schemas.ts';
import { type OpenAIStandin, startOpenAIStandin } from '../support/openai-standin.ts';
import { type EdgeApiServer, startEdgeApi } from './edge-api.ts';
import { recordingLogger } from './fixtures.ts';

let voiceLlm: OpenAIStandin;
let orchestratorLlm: OpenAIStandin;
let edge: EdgeApiServer;
let api: EdgeApi;
let context: CoachingContext;
let spoolRoot: string;
let spool: LogSpool;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'silent' });
  voiceLlm = await startOpenAIStandin();
  orchestratorLlm = await startOpenAIStandin();
  edge = await startEdgeApi({ orchestratorBaseUrl: orchestratorLlm.baseUrl });
  api = createApiClient({ baseUrl: edge.baseUrl, serviceToken: edge.serviceToken });
  context = (await loadCoachingContext(api, DEMO_USER_ID)) as CoachingContext;
  spoolRoot = await mkdtemp(join(tmpdir(), 'coach-spool-'));
  spool = await LogSpool.open({
    dir: spoolRoot,
    send: (entries, signal) => api.ingestLogs(entries, signal),
    logger: recordingLogger(),
  });
});

afterAll(async () => {
  await spool?.close();
  await edge?.close();
  await voiceLlm?.close();
  await orchestratorLlm?.close();
  await rm(spoolRoot, { recursive: true, force: true });
});

beforeEach(() => {
  voiceLlm.reset();
  orchestratorLlm.reset();
});

async function startCoach(specialists: Pick<EdgeApi, 'askSpecialist'> = api) {
  const agent = new FitnessVoiceAgent({
    agentType: 'workout',
    context,
    logSink: spool,
    specialists,
    logger: recordingLogger(),
    clock: systemClock,
  });
  const session = new voice.AgentSession({
    llm: new openai.LLM({ model: 'gpt-4o-mini', apiKey: 'standin-key', baseURL: voiceLlm.baseUrl }),
    vad: null,
  });
  await session.start({ agent });
  return session;
}

/** The tool outputs the model was sent back, by tool call id, from the last request. */
function toolMessagesOfLastRequest(): { content: string }[] {
  const last = voiceLlm.requests.at(-1);
  return (last?.body.messages ?? [])
    .filter((m) => m.role === 'tool')
    .map((m) => ({
      content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
    }));
}

function calledTools(result: voice.testing.RunResult): string[] {
  return result.events.flatMap((e) => (e.type === 'function_call' ? [e.item.name] : []));
}

/** The outputs as the model gets them: JSON text, or empty for a line the tool said itself. */
function rawToolOutputs(result: voice.testing.RunResult): string[] {
  return result.events.flatMap((e) => (e.type === 'function_call_output' ? [e.item.output] : []));
}

function toolOutputs(result: voice.testing.RunResult): string[] {
  return rawToolOutputs(result).map((output) => JSON.parse(output) as string);
}

/** The coach's last line in the conversation, once it has been said. */
async function saidByCoach(session: voice.AgentSession): Promise<string | undefined> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const last = session.history.items.at(-1);
    if (last?.type === 'message' && last.role === 'assistant') return last.textContent;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('FitnessVoiceAgent in text mode', () => {
  it('answers "what is my workout today" with get_todays_workout saying the day itself, with one model request', async () => {
    const session = await startCoach();
    voiceLlm.enqueue({ toolCalls: [{ name: 'get_todays_workout', arguments: '{}' }] });
    const result = await session.run({ userInput: "what's my workout today" }).wait();
    expect(calledTools(result)).toEqual(['get_todays_workout']);
    expect(rawToolOutputs(result)).toEqual(['']);
    const overview = new WorkoutCoach({ context, clock: systemClock, logger: recordingLogger() });
    const line = await saidByCoach(session);
    expect(line).toBe(overview.overview());
    expect(line).toMatch(/^Today is /);
    expect(voiceLlm.requests).toHaveLength(1);
    // The plan's details are in the instructions, for a narrower question with no tool at all.
    const system = voiceLlm.requests[0]?.body.messages[0];
    expect(system?.role).toBe('system');
    expect(JSON.stringify(system?.content)).toContain(
      JSON.stringify(describeTodaysWorkout(context)).slice(1, -1),
    );
    // The model saw the tools with their schemas.
    const offered = voiceLlm.requests[0]?.body.tools?.map((t) => t.function.name).sort();
    expect(offered).toEqual([...TOOL_NAMES].sort());
    await session.close();
  });

  it('logs "ten squats at sixty kilos" to the spool, says the confirmation itself with no second model turn, and the set reaches PostgreSQL once', async () => {
    const session = await startCoach();
    voiceLlm.enqueue({
      toolCalls: [
        {
          name: 'log_workout_set',
          arguments: '{"exercise":"squat","reps":10,"weight":60,"unit":"kg"}',
        },
      ],
    });
    const before = await edge.countLogs();
    const result = await session.run({ userInput: 'log ten squats at sixty kilos' }).wait();
    expect(calledTools(result)).toEqual(['log_workout_set']);
    // The confirmation went straight to speech: the call's output is empty and the model was
    // asked once, for the call.
    expect(rawToolOutputs(result)).toEqual(['']);
    expect(await saidByCoach(session)).toBe('Logged 10 reps of squat at 60 kg.');
    expect(voiceLlm.requests).toHaveLength(1);
    expect((await spool.drain(5000)).remaining).toBe(0);
    expect(await edge.countLogs()).toBe(before + 1);
    const logs = await edge.test.services.repository.listWorkoutLogs(DEMO_USER_ID, { limit: 1 });
    expect(logs[0]).toMatchObject({ exercise: 'squat', reps: 10, weight_kg: 60 });

    // The next request shows the model the call, its output and the line said, in the order the
    // provider requires (a tool call answered right after it), with nothing dropped.
    await session.run({ userInput: 'thanks' }).wait();
    const messages = voiceLlm.requests.at(-1)?.body.messages ?? [];
    const callAt = messages.findIndex((m) => m.role === 'assistant' && m.tool_calls?.length);
    expect(messages[callAt]?.tool_calls?.[0]?.function.name).toBe('log_workout_set');
    expect(messages[callAt + 1]).toMatchObject({
      role: 'tool',
      tool_call_id: messages[callAt]?.tool_calls?.[0]?.id,
    });
    const said = messages.slice(callAt + 2).filter((m) => m.role === 'assistant');
    expect(said.map((m) => m.content)).toContainEqual('Logged 10 reps of squat at 60 kg.');
    await session.close();
  });

  it('says a workout command\'s line itself ("skip the rest"), with no second model turn', async () => {
    const session = await startCoach();
    voiceLlm.enqueue({ toolCalls: [{ name: 'skip_rest', arguments: '{}' }] });
    const result = await session.run({ userInput: 'skip the rest' }).wait();
    expect(calledTools(result)).toEqual(['skip_rest']);
    expect(await saidByCoach(session)).toMatch(/^No rest is running\./);
    expect(voiceLlm.requests).toHaveLength(1);
    await session.close();
  });

  it('leaves a set it cannot log to the model, which can ask again', async () => {
    const session = await startCoach();
    voiceLlm.enqueue(
      {
        toolCalls: [
          { name: 'log_workout_set', arguments: '{"exercise":"squat","reps":-10,"weight":60}' },
        ],
      },
      { content: 'How many reps was that?' },
    );
    const result = await session.run({ userInput: 'log minus ten squats' }).wait();
    expect(toolOutputs(result)[0]).toMatch(/^I could not log that set/);
    expect(await saidByCoach(session)).toBe('How many reps was that?');
    expect(voiceLlm.requests).toHaveLength(2);
    await session.close();
  });

  it('answers "what should I eat tonight" with get_todays_meals as JSON', async () => {
    const session = await startCoach();
    voiceLlm.enqueue(
      { toolCalls: [{ name: 'get_todays_meals', arguments: '{}' }] },
      { content: 'Tonight you have dinner planned.' },
    );
    const result = await session.run({ userInput: 'what should I eat tonight' }).wait();
    expect(calledTools(result)).toEqual(['get_todays_meals']);
    const meals = JSON.parse(toolOutputs(result)[0] as string) as { meals: { name: string }[] };
    expect(meals.meals.map((m) => m.name)).toEqual(context.todays_meals?.meals.map((m) => m.name));
    expect(toolMessagesOfLastRequest()[0]?.content).toContain('meals');
    await session.close();
  });

  it('sends "is creatine safe for me" to the supplement specialist through the edge API and says its answer, with no second model turn', async () => {
    orchestratorLlm.setHandler(() => ({
      content: 'Creatine is well studied and generally safe for you.',
    }));
    const session = await startCoach();
    voiceLlm.enqueue(
      {
        toolCalls: [
          {
            name: 'ask_specialist_agent',
            arguments: '{"query":"Is creatine safe for me?","specialist":"supplement"}',
          },
        ],
      },
      { content: 'A reply the model must not be asked for.' },
    );
    const result = await session.run({ userInput: 'is creatine safe for me' }).wait();
    expect(calledTools(result)).toEqual(['ask_specialist_agent']);
    expect(rawToolOutputs(result)).toEqual(['']);
    expect(await saidByCoach(session)).toBe('Creatine is well studied and generally safe for you.');
    expect(voiceLlm.requests).toHaveLength(1);
    // The orchestrator really was asked, with the user's question.
    expect(JSON.stringify(orchestratorLlm.requests.map((r) => r.body.messages))).toContain(
      'Is creatine safe for me?',
    );
    await session.close();
  });

  it('says the friendly rephrase line for a failing specialist, with no second model turn', async () => {
    orchestratorLlm.setHandler(() => ({ status: 500 }));
    const session = await startCoach();
    voiceLlm.enqueue(
      {
        toolCalls: [
          {
            name: 'ask_specialist_agent',
            arguments: '{"query":"Plan my week","specialist":"scheduler"}',
          },
        ],
      },
      { content: 'A reply the model must not be asked for.' },
    );
    const result = await session.run({ userInput: 'plan my week' }).wait();
    expect(calledTools(result)).toEqual(['ask_specialist_agent']);
    expect(rawToolOutputs(result)).toEqual(['']);
    expect(await saidByCoach(session)).toBe(SPECIALIST_FALLBACK);
    expect(voiceLlm.requests).toHaveLength(1);
    await session.close();
  });

  it('gives the friendly line when the API cannot be reached at all', async () => {
    const unreachable = createApiClient({
      baseUrl: 'http://127.0.0.1:9',
      serviceToken: edge.serviceToken,
    });
    const session = await startCoach(unreachable);
    voiceLlm.enqueue(
      {
        toolCalls: [
          { name: 'ask_specialist_agent', arguments: '{"query":"Help","specialist":"general"}' },
        ],
      },
      { content: 'A reply the model must not be asked for.' },
    );
    const result = await session.run({ userInput: 'help me' }).wait();
    expect(rawToolOutputs(result)).toEqual(['']);
    expect(await saidByCoach(session)).toBe(SPECIALIST_FALLBACK);
    expect(voiceLlm.requests).toHaveLength(1);
    await session.close();
  });

  it('Feature: livekit-voice-agent, Property 13: Function tools are callable by LLM', async () => {
    const session = await startCoach({
      askSpecialist: async (request) => ({
        specialist: request.specialist ?? 'general',
        answer: 'ok',
      }),
    });
    const callArb = fc.oneof(
      fc.constant({ name: 'get_todays_workout', arguments: '{}' }),
      fc.constant({ name: 'get_todays_meals', arguments: '{}' }),
      fc
        .record({ reps: fc.integer({ min: 1, max: 50 }), weight: fc.integer({ min: 0, max: 200 }) })
        .map((a) => ({
          name: 'log_workout_set',
          arguments: JSON.stringify({ exercise: 'row', ...a }),
        })),
      fc
        .constantFrom('workout', 'diet', 'supplement', 'tracker', 'scheduler', 'general')
        .map((s) => ({
          name: 'ask_specialist_agent',
          arguments: JSON.stringify({ query: 'q', specialist: s }),
        })),
    );
    await fc.assert(
      fc.asyncProperty(callArb, async (call) => {
        // Today's workout, a logged set and a specialist's answer are said by the tool itself;
        // the model answers from the meals.
        if (call.name === 'get_todays_meals')
          voiceLlm.enqueue({ toolCalls: [call] }, { content: 'Done.' });
        else voiceLlm.enqueue({ toolCalls: [call] });
        const result = await session.run({ userInput: 'go' }).wait();
        const outputs = result.events.flatMap((e) =>
          e.type === 'function_call_output' ? [e.item] : [],
        );
        expect(outputs).toHaveLength(1);
        expect(outputs[0]?.name).toBe(call.name);
        expect(outputs[0]?.isError).toBe(false);
      }),
      { numRuns: 100 },
    );
    expect((await spool.drain(10_000)).remaining).toBe(0);
    await session.close();
  }, 120_000);
});
