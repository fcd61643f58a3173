/**
 * The first model request warmed in prewarm (agent/model-warm-up.ts): the real provider plugins,
 * pointed at the loopback server, read its canned answer (text and a tool call); nothing leaves
 * the machine, the server is gone afterwards, and nothing that goes wrong fails the prewarm.
 */
import { initializeLogger, llm } from '@livekit/agents';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CreateWarmUpModel, warmUpModelRequest } from '../../agent/model-warm-up.ts';
import { createLlm } from '../../agent/providers.ts';
import type { LlmProvider } from '../../shared/llm-providers.ts';

beforeAll(() => {
  initializeLogger({ pretty: false, level: 'silent' });
});

const getTodaysWorkout = llm.tool({
  name: 'get_todays_workout',
  description: "Get the user's planned workout for today.",
  execute: async () => 'Squats.',
});

function firstQuestion() {
  const chatCtx = llm.ChatContext.empty();
  chatCtx.addMessage({ role: 'system', content: 'You are a fitness coach.' });
  chatCtx.addMessage({ role: 'user', content: "What's my workout today?" });
  return { chatCtx, tools: [getTodaysWorkout], toolName: 'get_todays_workout' };
}

/** The provider's real plugin, as prewarm makes it, remembering where it was pointed. */
function pluginModel(provider: LlmProvider, pointedAt: string[]): CreateWarmUpModel {
  return (baseUrl) => {
    pointedAt.push(baseUrl);
    return createLlm({
      provider,
      model: 'warm-up-model',
      apiKey: 'warm-up',
      baseUrl,
      maxResponseTokens: 150,
    });
  };
}

describe('model warm-up', () => {
  it.each<LlmProvider>(['openai', 'anthropic'])(
    'the %s plugin reads the loopback answer, and the server is closed afterwards',
    async (provider) => {
      const pointedAt: string[] = [];
      expect(
        await warmUpModelRequest(pluginModel(provider, pointedAt), firstQuestion(), 2000),
      ).toBe(true);
      expect(pointedAt).toHaveLength(1);
      const url = new URL(pointedAt[0] ?? '');
      expect(url.hostname).toBe('127.0.0.1');
      await expect(
        fetch(new URL('v1/chat/completions', url.origin), { method: 'POST' }),
      ).rejects.toThrow();
    },
  );

  it("Google's plugin is refused by the loopback server without failing the warm-up", async () => {
    const pointedAt: string[] = [];
    expect(await warmUpModelRequest(pluginModel('google', pointedAt), firstQuestion(), 2000)).toBe(
      false,
    );
    expect(pointedAt).toHaveLength(1);
  });

  it('never throws when the model cannot be made or its request fails at once', async () => {
    const cannotMake: CreateWarmUpModel = () => Promise.reject(new Error('no plugin'));
    expect(await warmUpModelRequest(cannotMake, firstQuestion(), 2000)).toBe(false);
    const failsAtOnce: CreateWarmUpModel = async (baseUrl) => {
      const model = await pluginModel('openai', [])(baseUrl);
      model.chat = () => {
        throw new Error('broken plugin');
      };
      return model;
    };
    expect(await warmUpModelRequest(failsAtOnce, firstQuestion(), 2000)).toBe(false);
  });
});
