/**
 * The orchestrator's chat models, chosen by configuration: one LangChain package per provider,
 * each pointed at the provider's base URL when one is configured (a proxy or a compatible
 * endpoint). Retries are turned off here because the orchestrator retries inside its own
 * latency budget (see budget.ts); the SDKs' own backoff would overrun it.
 */
import { ChatAnthropic } from '@langchain/anthropic';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { ChatGoogleGenerativeAI } from '@langchain/google-genai';
import { ChatOpenAI } from '@langchain/openai';
import type { ApiConfig } from '../config.ts';

export type OrchestratorConfig = NonNullable<ApiConfig['orchestrator']>;

export interface ChatModelOptions {
  model: string;
  /** Spoken answers are short; a cap also bounds how long a reply can take to generate. */
  maxTokens: number;
  temperature: number;
}

export function createChatModel(
  config: OrchestratorConfig,
  options: ChatModelOptions,
): BaseChatModel {
  const { model, maxTokens, temperature } = options;
  const { apiKey, baseUrl } = config;
  switch (config.provider) {
    case 'openai':
      return new ChatOpenAI({
        model,
        apiKey,
        maxTokens,
        temperature,
        maxRetries: 0,
        configuration: baseUrl ? { baseURL: baseUrl } : {},
      });
    case 'anthropic':
      return new ChatAnthropic({
        model,
        apiKey,
        maxTokens,
        temperature,
        maxRetries: 0,
        ...(baseUrl ? { anthropicApiUrl: baseUrl } : {}),
      });
    case 'google':
      return new ChatGoogleGenerativeAI({
        model,
        apiKey,
        maxOutputTokens: maxTokens,
        temperature,
        maxRetries: 0,
        ...(baseUrl ? { baseUrl } : {}),
      });
  }
}
