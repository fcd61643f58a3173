/**
 * The specialist orchestrator (LangGraph and LangChain's ChatOpenAI) inside the deployed Worker in
 * workerd: the user's data comes from the seeded PostgreSQL through the Neon driver and the model
 * is the OpenAI stand-in in Node, reached at OPENAI_BASE_URL and scripted through its control
 * server (openai-control.ts).
 */
import { exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import {
  errorBodySchema,
  type SpecialistQueryRequest,
  specialistQueryResponseSchema,
} from '../../shared/schemas.ts';
import { SPECIALIST_UNAVAILABLE_MESSAGE } from '../../workers/orchestrator/errors.ts';
import { serviceHeaders, userHeaders } from '../support/auth.ts';
import type { ChatCompletionRequestBody } from '../support/openai-standin.ts';
import type { StandinReplyInput } from './openai-control.ts';

const controlUrl = inject('openaiControlUrl');
const bindings = inject('workerdBindings');
const worker = exports.default;

const demo = SEED_USERS.find((seed) => seed.user.id === DEMO_USER_ID);
if (!demo) throw new Error('the seed has no demo user');

interface ReceivedRequest {
  body: ChatCompletionRequestBody;
  headers: Record<string, string>;
}

async function control(method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${controlUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  expect(response.status).toBe(200);
  return response;
}

const script = (...replies: StandinReplyInput[]) => control('POST', '/replies', replies);
const received = async (): Promise<ReceivedRequest[]> => (await control('GET', '/requests')).json();

function systemPromptOf(request: ReceivedRequest | undefined): string {
  const system = request?.body.messages.find((message) => message.role === 'system');
  return typeof system?.content === 'string' ? system.content : '';
}

async function ask(
  body: Partial<SpecialistQueryRequest>,
  headers: Record<string, string> = serviceHeaders(),
): Promise<Response> {
  return worker.fetch('https://api.test/v1/specialists/query', {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('POST /v1/specialists/query in workerd', () => {
  beforeEach(async () => {
    await control('POST', '/reset');
  });

  it("answers from the named specialist with the user's plan in its prompt", async () => {
    await script({ content: 'Bench **80 kilograms** for 4 sets of 6 today.' });
    const response = await ask(
      { user_id: DEMO_USER_ID, query: 'What do I bench on Monday?', specialist: 'workout' },
      await userHeaders(DEMO_USER_ID),
    );
    expect(response.status).toBe(200);
    expect(specialistQueryResponseSchema.parse(await response.json())).toEqual({
      specialist: 'workout',
      answer: 'Bench 80 kilograms for 4 sets of 6 today.',
    });

    const requests = await received();
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.headers.authorization).toBe(`Bearer ${bindings.OPENAI_API_KEY}`);
    // A streamed call would make LangChain count tokens with tiktoken, whose ranks it downloads.
    expect(request?.body.stream).not.toBe(true);
    const prompt = systemPromptOf(request);
    expect(prompt).toContain(`Workout plan "${demo.workoutPlan.name}"`);
    expect(prompt).toContain('Barbell bench press 4 sets of 6 at 80 kg');
    expect(prompt).toContain(`Name: ${demo.profile.name}.`);
    expect(request?.body.messages.at(-1)).toEqual({
      role: 'user',
      content: 'What do I bench on Monday?',
    });
  });

  it('classifies an unrouted question, then answers from that specialist', async () => {
    await script({ content: 'diet' }, { content: 'Aim for 2,800 calories today.' });
    const response = await ask({ user_id: DEMO_USER_ID, query: 'How much should I eat?' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      specialist: 'diet',
      answer: 'Aim for 2,800 calories today.',
    });

    const [classification, answer, ...rest] = await received();
    expect(rest).toEqual([]);
    expect(systemPromptOf(classification)).toContain('Reply with exactly one word');
    expect(classification?.body.messages.at(-1)?.content).toBe('How much should I eat?');
    expect(systemPromptOf(answer)).toContain(`Meal plan "${demo.mealPlan.name}"`);
  });

  it("runs the tracker's tool call against the database", async () => {
    await script(
      {
        toolCalls: [
          { name: 'get_logged_sets', arguments: '{"since":"2025-09-01","until":"2025-09-30"}' },
        ],
      },
      { content: 'You logged nothing that September.' },
    );
    const response = await ask({
      user_id: DEMO_USER_ID,
      query: 'What did I lift in September last year?',
      specialist: 'tracker',
    });
    expect(await response.json()).toEqual({
      specialist: 'tracker',
      answer: 'You logged nothing that September.',
    });
    const [first, second] = await received();
    expect(first?.body.tools?.map((tool) => tool.function.name)).toEqual(['get_logged_sets']);
    const toolReply = second?.body.messages.find((message) => message.role === 'tool');
    expect(toolReply?.content).toBe('Logged sets from 2025-09-01 to 2025-09-30: none.');
  });

  it('gives the friendly 503 when the model keeps failing, and answers the next question', async () => {
    // The first call and both retries (the most the budget allows) fail.
    await script({ status: 500 }, { status: 500 }, { status: 500 });
    const failed = await ask({ user_id: DEMO_USER_ID, query: 'Any tips?', specialist: 'general' });
    expect(failed.status).toBe(503);
    const text = await failed.text();
    expect(errorBodySchema.parse(JSON.parse(text)).error).toEqual({
      code: 'specialist_unavailable',
      message: SPECIALIST_UNAVAILABLE_MESSAGE,
    });
    expect(text).not.toContain('Stand-in error');
    expect(await received()).toHaveLength(3);

    await control('POST', '/reset');
    await script({ content: 'Sleep well tonight.' });
    const next = await ask({ user_id: DEMO_USER_ID, query: 'Any tips?', specialist: 'general' });
    expect(next.status).toBe(200);
    expect(await next.json()).toEqual({ specialist: 'general', answer: 'Sleep well tonight.' });
  });
});
