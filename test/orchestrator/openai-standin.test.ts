import { ChatOpenAI } from '@langchain/openai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAIStandin, startOpenAIStandin } from '../support/openai-standin.ts';

describe('OpenAI stand-in driven by the real SDK', () => {
  let standin: OpenAIStandin;
  let client: OpenAI;

  beforeAll(async () => {
    standin = await startOpenAIStandin();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: standin.baseUrl, maxRetries: 0 });
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.reset());

  it('answers a non-streaming completion and records the request', async () => {
    standin.enqueue({ content: 'Three sets of ten.' });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'How many sets?' }],
      max_completion_tokens: 50,
      temperature: 0.2,
    });
    expect(completion.choices[0]?.message.content).toBe('Three sets of ten.');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    const [recorded] = standin.requests;
    expect(recorded?.body.messages).toEqual([{ role: 'user', content: 'How many sets?' }]);
    expect(recorded?.body.max_completion_tokens).toBe(50);
    expect(recorded?.body.temperature).toBe(0.2);
    expect(recorded?.headers.authorization).toBe('Bearer sk-test');
  });

  it('returns tool calls without streaming', async () => {
    standin.enqueue({
      toolCalls: [{ name: 'get_logged_sets', arguments: '{"since":"2024-01-01"}' }],
    });
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'q' }],
      tools: [
        { type: 'function', function: { name: 'get_logged_sets', parameters: { type: 'object' } } },
      ],
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === 'function' && call.function).toEqual({
      name: 'get_logged_sets',
      arguments: '{"since":"2024-01-01"}',
    });
    expect(standin.requests[0]?.body.tools?.[0]?.function.name).toBe('get_logged_sets');
  });

  it('streams content, tool-call deltas and a usage chunk', async () => {
    standin.enqueue({
      content: 'Checking your log.',
      toolCalls: [
        { name: 'a', arguments: '{"x":1}' },
        { name: 'b', arguments: '{not json' },
      ],
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'q' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    const args = new Map<number, { name: string; arguments: string }>();
    let finish: string | null = null;
    let totalTokens = 0;
    for await (const chunk of stream) {
      if (chunk.usage) totalTokens = chunk.usage.total_tokens;
      const choice = chunk.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? '';
      for (const delta of choice.delta.tool_calls ?? []) {
        const entry = args.get(delta.index) ?? { name: '', arguments: '' };
        entry.name += delta.function?.name ?? '';
        entry.arguments += delta.function?.arguments ?? '';
        args.set(delta.index, entry);
      }
      finish = choice.finish_reason ?? finish;
    }
    expect(content).toBe('Checking your log.');
    expect([...args.values()]).toEqual([
      { name: 'a', arguments: '{"x":1}' },
      { name: 'b', arguments: '{not json' },
    ]);
    expect(finish).toBe('tool_calls');
    expect(totalTokens).toBeGreaterThan(0);
  });

  it('answers an error status with an OpenAI error body the SDK understands', async () => {
    standin.enqueue({ status: 429 });
    const error = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
  });

  it('hangs until the client aborts', async () => {
    standin.enqueue({ hang: true });
    const error = await client.chat.completions
      .create(
        { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }] },
        { signal: AbortSignal.timeout(100) },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
  });

  it('uses the handler after the queue and the default reply otherwise', async () => {
    const ask = async (): Promise<string | null | undefined> =>
      (
        await client.chat.completions.create({
          model: 'm',
          messages: [{ role: 'user', content: 'q' }],
        })
      ).choices[0]?.message.content;
    standin.setHandler((req) => ({ content: `model ${req.body.model}` }));
    standin.enqueue({ content: 'queued' });
    expect(await ask()).toBe('queued');
    expect(await ask()).toBe('model m');
    standin.reset();
    expect(await ask()).toBe('All good. Keep going.');
    expect(standin.requests).toHaveLength(1);
  });

  it('lists models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('serves LangChain ChatOpenAI: tool calls and a token stream with usage', async () => {
    const model = new ChatOpenAI({
      model: 'gpt-4o-mini',
      apiKey: 'sk-test',
      configuration: { baseURL: standin.baseUrl },
      maxRetries: 0,
    });
    standin.enqueue({ toolCalls: [{ name: 'lookup', arguments: '{"day":"monday"}' }] });
    const message = await model
      .bindTools([
        { type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } },
      ])
      .invoke('which day?');
    expect(message.tool_calls?.[0]).toMatchObject({ name: 'lookup', args: { day: 'monday' } });

    // invoke() with streaming on estimates tokens with tiktoken, which downloads its ranks; stream() does not.
    standin.enqueue({ content: 'Rest on Sunday.' });
    let text = '';
    let outputTokens = 0;
    for await (const chunk of await model.stream('when do I rest?')) {
      text += typeof chunk.content === 'string' ? chunk.content : '';
      outputTokens += chunk.usage_metadata?.output_tokens ?? 0;
    }
    expect(text).toBe('Rest on Sunday.');
    expect(outputTokens).toBeGreaterThan(0);
    expect(standin.requests[1]?.body.stream).toBe(true);
  });
});
