/**
 * The coach in the framework's text mode with a failing model: the real AgentSession and the real
 * OpenAI plugin against the OpenAI stand-in. A model that fails, hangs or stalls part-way ends
 * the turn with the spoken apology, and the next turn is answered normally.
 */
import { initializeLogger, voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FitnessVoiceAgent } from '../../agent/coach.ts';
import { REPLY_APOLOGY } from '../../agent/resilience/reply-deadline.ts';
import { systemClock } from '../../shared/runtime.ts';
import {
  type OpenAIStandin,
  type StandinReply,
  startOpenAIStandin,
} from '../support/openai-standin.ts';
import { exampleContext, recordingLogger } from './fixtures.ts';

let model: OpenAIStandin;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'silent' });
  model = await startOpenAIStandin();
});

afterAll(async () => {
  await model?.close();
});

beforeEach(() => model.reset());

async function startCoach() {
  const logger = recordingLogger();
  const agent = new FitnessVoiceAgent({
    agentType: 'workout',
    context: exampleContext(),
    logSink: { append: async () => undefined },
    specialists: {
      askSpecialist: async () => {
        throw new Error('not used');
      },
    },
    logger,
    clock: systemClock,
  });
  const session = new voice.AgentSession({
    llm: new openai.LLM({ model: 'gpt-4o-mini', apiKey: 'standin-key', baseURL: model.baseUrl }),
    vad: null,
  });
  await session.start({ agent });
  return { session, logger };
}

/** The assistant's text in a turn's events. */
function replies(result: voice.testing.RunResult): string[] {
  return result.events.flatMap((e) =>
    e.type === 'message' && e.item.role === 'assistant' ? [e.item.textContent ?? ''] : [],
  );
}

const faults: Array<[string, StandinReply]> = [
  ['fails with a 500 on every attempt', { status: 500 }],
  ['hangs before its first word', { hang: true }],
  [
    'breaks its stream before a word',
    { content: 'Today is legs.', interrupt: { afterChunks: 0, mode: 'break' } },
  ],
];

describe('FitnessVoiceAgent when the model', () => {
  for (const [what, reply] of faults) {
    it(`${what}: apologises, then answers the next turn`, async () => {
      const { session, logger } = await startCoach();
      model.setHandler(() => reply);
      const failed = await session.run({ userInput: 'what is my workout today' }).wait();
      expect(replies(failed)).toEqual([REPLY_APOLOGY]);
      expect(logger.lines.map((line) => line.event)).toContain('llm_reply_apologised');

      model.setHandler(() => ({ content: 'Today is legs: back squats first.' }));
      const next = await session.run({ userInput: 'and now?' }).wait();
      expect(replies(next)).toEqual(['Today is legs: back squats first.']);
      await session.close();
    }, 30_000);
  }

  it('stalls mid-reply: keeps what was said and finishes with the apology', async () => {
    const { session } = await startCoach();
    model.setHandler(() => ({
      content: 'Today is legs. Start with squats.',
      interrupt: { afterChunks: 1, mode: 'stall' },
    }));
    const result = await session.run({ userInput: 'what is my workout today' }).wait();
    const [text] = replies(result);
    expect(text?.endsWith(REPLY_APOLOGY)).toBe(true);
    expect(text?.startsWith('Today is legs.')).toBe(true);
    await session.close();
  }, 30_000);
});
