/**
 * The session's first model request, made once while the job process is prewarmed, against a
 * loopback server in this process instead of the provider.
 *
 * Why: the first request a process makes runs the whole request path for the first time (the
 * framework's chat context and tool schema conversion, the provider SDK building and sending the
 * request, the stream parser reading the answer). Measured on the 2-core rig with the OpenAI
 * plugin and the coach's tools: 109 to 169 ms to the first chunk (157 to 180 ms of CPU) for the
 * first request in a fresh process, 10 to 16 ms for the next ones. That first request is the
 * answer to the caller's first question, usually "what's my workout today?".
 *
 * The loopback server answers the OpenAI-compatible chat completions path (OpenAI, and Anthropic
 * through its compatible endpoint) with a short streamed reply that holds text and a tool call, so
 * both parsers run; any other path (Google's) gets a 503, which still runs the request side. No
 * key is used and nothing leaves the machine.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { llm } from '@livekit/agents';

export interface ModelWarmUpRequest {
  chatCtx: llm.ChatContext;
  tools: llm.ToolContextLike;
  /** A tool the canned reply calls, so the tool-call parser runs too. */
  toolName: string;
}

/** Makes the configured model, pointed at `baseUrl` with a key that is not a real one. */
export type CreateWarmUpModel = (baseUrl: string) => Promise<llm.LLM>;

/** The chat completion chunks of the canned reply, as server-sent events. */
function cannedCompletion(toolName: string): string {
  const chunk = (delta: object, finishReason: string | null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-warm-up',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'warm-up',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    })}\n\n`;
  return [
    chunk({ role: 'assistant', content: 'One moment.' }, null),
    chunk(
      {
        tool_calls: [
          {
            index: 0,
            id: 'call_warm_up',
            type: 'function',
            function: { name: toolName, arguments: '{}' },
          },
        ],
      },
      null,
    ),
    chunk({}, 'tool_calls'),
    'data: [DONE]\n\n',
  ].join('');
}

interface LoopbackModel {
  baseUrl: string;
  close(): Promise<void>;
}

async function startLoopbackModel(toolName: string): Promise<LoopbackModel> {
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.once('end', () => {
      if (req.method === 'POST' && req.url?.split('?')[0]?.endsWith('/chat/completions')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(cannedCompletion(toolName));
        return;
      }
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"warm-up only"}}');
    });
  };
  const server = createServer(answer);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * Sends `request` once through a model made by `createModel` and reads the whole answer. Resolves
 * with whether the answer's text and tool call both came through; never throws (a cold path is
 * slower, not broken).
 */
export async function warmUpModelRequest(
  createModel: CreateWarmUpModel,
  request: ModelWarmUpRequest,
  timeoutMs: number,
): Promise<boolean> {
  let loopback: LoopbackModel | undefined;
  try {
    loopback = await startLoopbackModel(request.toolName);
    const model = await createModel(loopback.baseUrl);
    // A failed request is reported as an 'error' event too, which would throw if unheard.
    model.on('error', () => undefined);
    const stream = model.chat({
      chatCtx: request.chatCtx,
      toolCtx: request.tools,
      connOptions: { maxRetry: 0, retryIntervalMs: 0, timeoutMs },
    });
    let text = false;
    let toolCall = false;
    for await (const chunk of stream) {
      text ||= Boolean(chunk.delta?.content);
      toolCall ||= (chunk.delta?.toolCalls ?? []).some((call) => call.name === request.toolName);
    }
    return text && toolCall;
  } catch {
    return false;
  } finally {
    await loopback?.close().catch(() => undefined);
  }
}
