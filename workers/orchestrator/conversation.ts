/**
 * One specialist's exchange with its model: the prompt goes out, tool calls (if the specialist
 * has tools) are answered, and the final reply comes back as plain speech. Every model call runs
 * under the answer's budget; tool rounds are capped so a confused model cannot use up the budget
 * asking for data.
 */

import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type {
  BaseChatModel,
  BaseChatModelCallOptions,
} from '@langchain/core/language_models/chat_models';
import {
  AIMessage,
  type AIMessageChunk,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from '@langchain/core/messages';
import type { Runnable } from '@langchain/core/runnables';
import { z } from 'zod';
import { errorName } from '../../shared/runtime.ts';
import type { Logger } from '../ports.ts';
import { type Budget, callWithinBudget } from './budget.ts';
import { SpecialistUnavailableError } from './errors.ts';
import { toSpeech } from './speech.ts';
import type { SpecialistTool, ToolContext } from './tools.ts';

export type ChatRunnable = Runnable<
  BaseLanguageModelInput,
  AIMessageChunk,
  BaseChatModelCallOptions
>;

/** Two rounds cover "look up one period, then maybe a second to compare". */
export const MAX_TOOL_ROUNDS = 2;

/** Offers the specialist's tools to its model; a model without tools is used as it is. */
export function withTools(model: BaseChatModel, tools: readonly SpecialistTool[]): ChatRunnable {
  if (tools.length === 0) return model;
  if (!model.bindTools) throw new Error('the configured chat model cannot call tools');
  return model.bindTools(
    tools.map((tool) => {
      const { $schema: _dialect, ...parameters } = z.toJSONSchema(tool.schema);
      return {
        type: 'function' as const,
        function: { name: tool.name, description: tool.description, parameters },
      };
    }),
  );
}

interface ToolRequest {
  id: string;
  name: string;
  args: Record<string, unknown>;
  /** Why the model's arguments could not even be read. */
  unreadable?: string;
}

/** Valid and unreadable calls alike, each with an id so every call gets its answer. */
function toolRequests(reply: AIMessageChunk): ToolRequest[] {
  const valid = (reply.tool_calls ?? []).map((call) => ({
    id: call.id ?? crypto.randomUUID(),
    name: call.name,
    args: call.args,
  }));
  const invalid = (reply.invalid_tool_calls ?? []).map((call) => ({
    id: call.id ?? crypto.randomUUID(),
    name: call.name ?? 'unknown',
    args: {},
    unreadable: 'the arguments were not valid JSON',
  }));
  return [...valid, ...invalid];
}

export interface ConversationInput {
  runnable: ChatRunnable;
  tools: readonly SpecialistTool[];
  toolContext: ToolContext;
  systemPrompt: string;
  query: string;
  budget: Budget;
  logger: Logger;
}

export async function converse(input: ConversationInput): Promise<string> {
  const { runnable, budget } = input;
  const messages: BaseMessage[] = [
    new SystemMessage(input.systemPrompt),
    new HumanMessage(input.query),
  ];
  for (let round = 0; ; round++) {
    const reply = await callWithinBudget(budget, (signal) => runnable.invoke(messages, { signal }));
    const requests = toolRequests(reply);
    if (requests.length === 0) {
      const answer = toSpeech(reply.text);
      if (!answer) throw new SpecialistUnavailableError('malformed_output');
      return answer;
    }
    if (round >= MAX_TOOL_ROUNDS) throw new SpecialistUnavailableError('tool_loop');
    // Rebuilt so unreadable calls are in it too: providers refuse a tool result without its call.
    messages.push(
      new AIMessage({
        content: reply.content,
        tool_calls: requests.map(({ id, name, args }) => ({ id, name, args, type: 'tool_call' })),
      }),
    );
    const results = await budget.race(Promise.all(requests.map((r) => runTool(r, input))));
    requests.forEach((request, i) => {
      messages.push(
        new ToolMessage({
          tool_call_id: request.id,
          name: request.name,
          content: results[i] ?? '',
        }),
      );
    });
  }
}

async function runTool(request: ToolRequest, input: ConversationInput): Promise<string> {
  if (request.unreadable)
    return `Error: ${request.unreadable}. Call ${request.name} again with a JSON object.`;
  const tool = input.tools.find((t) => t.name === request.name);
  if (!tool) return `Error: there is no tool named ${request.name}.`;
  try {
    return await tool.run(request.args, input.toolContext);
  } catch (error) {
    input.logger.error('specialist_tool_failed', {
      user_id: input.toolContext.userId,
      tool: tool.name,
      error: errorName(error),
    });
    return 'Error: that data cannot be read right now. Answer without it and say so.';
  }
}
