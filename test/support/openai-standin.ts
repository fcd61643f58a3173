/**
 * A local stand-in for the OpenAI Chat Completions API. It speaks the real wire protocol
 * (JSON and server-sent `chat.completion.chunk`s, tool-call deltas, usage, OpenAI error bodies)
 * so the real `openai` SDK and LangChain's ChatOpenAI run unchanged against it. Tests script the
 * replies and read back exactly what was sent.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinToolCall {
  name: string;
  /** Raw JSON text; tests may make it malformed on purpose. */
  arguments: string;
}

export interface StandinReply {
  content?: string;
  toolCalls?: StandinToolCall[];
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer with this HTTP error status and an OpenAI-style error body. */
  status?: number;
  /** Never answer (the connection stays open until the client gives up or the server closes). */
  hang?: boolean;
  /**
   * A streamed reply that fails part-way: after the role chunk and this many content chunks,
   * `break` cuts the connection (no finish reason, no `[DONE]`), `stall` sends nothing more and
   * leaves the connection open, as a provider does when it dies or hangs mid-answer.
   */
  interrupt?: { afterChunks: number; mode: 'break' | 'stall' };
}

export interface ChatMessageToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatCompletionMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | Array<{ type: string; text?: string }> | null;
  name?: string;
  tool_calls?: ChatMessageToolCall[];
  tool_call_id?: string;
}

/**
 * Whether a request's conversation ends with a tool's output: the model is asked to answer it, the
 * second request of a tool turn. None follows a tool that said its own line.
 */
export function endsWithToolOutput(messages: readonly ChatCompletionMessage[]): boolean {
  return messages.at(-1)?.role === 'tool';
}

export interface ChatCompletionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export interface ChatCompletionRequestBody {
  model: string;
  messages: ChatCompletionMessage[];
  tools?: ChatCompletionTool[];
  tool_choice?: unknown;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

export interface RecordedRequest {
  body: ChatCompletionRequestBody;
  headers: Record<string, string>;
  /** When the request body had been read (performance.now()). */
  receivedAt: number;
  /** When the last byte of the answer was written (performance.now()); undefined until then. */
  answeredAt?: number;
  /** When the first content or tool-call token was written (performance.now()). */
  firstTokenAt?: number;
}

export type StandinHandler = (req: RecordedRequest) => StandinReply | Promise<StandinReply>;

export interface OpenAIStandin {
  /** e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replies used first-in first-out before the handler is consulted. */
  enqueue(...replies: StandinReply[]): void;
  setHandler(fn: StandinHandler): void;
  /** Time to first token of every answer (added to a reply's own delayMs). */
  setFirstTokenDelay(ms: number): void;
  /** Forget recorded requests and queued replies and restore the default handler. */
  reset(): void;
  close(): Promise<void>;
}

export interface OpenAIStandinOptions {
  handler?: StandinHandler;
  /** Time to first token of every answer, like a hosted model's; 0 adds nothing. */
  firstTokenDelayMs?: number;
}

const defaultHandler: StandinHandler = () => ({ content: 'All good. Keep going.' });

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** A rough token count: enough for clients that read usage, not a tokenizer. */
function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function usageFor(body: ChatCompletionRequestBody, reply: StandinReply): Usage {
  const prompt = estimateTokens(JSON.stringify(body.messages));
  const completion = estimateTokens(
    (reply.content ?? '') + (reply.toolCalls ?? []).map((t) => t.name + t.arguments).join(''),
  );
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function withIds(toolCalls: StandinToolCall[]): ChatMessageToolCall[] {
  return toolCalls.map((t) => ({
    id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
    type: 'function',
    function: { name: t.name, arguments: t.arguments },
  }));
}

function finishReason(reply: StandinReply): 'tool_calls' | 'stop' {
  return reply.toolCalls && reply.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

function errorBody(status: number): { error: Record<string, string | null> } {
  const type =
    status === 429
      ? 'rate_limit_exceeded'
      : status >= 500
        ? 'server_error'
        : 'invalid_request_error';
  return {
    error: { message: `Stand-in error with status ${status}`, type, param: null, code: type },
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** Splits a string in two so clients must reassemble streamed pieces. */
function halves(text: string): string[] {
  if (text.length < 2) return [text];
  const mid = Math.ceil(text.length / 2);
  return [text.slice(0, mid), text.slice(mid)];
}

function streamReply(
  res: ServerResponse,
  body: ChatCompletionRequestBody,
  reply: StandinReply,
  id: string,
  created: number,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const includeUsage = body.stream_options?.include_usage === true;
  const write = (choices: unknown[], usage?: Usage | null): void => {
    const chunk: Record<string, unknown> = {
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      system_fingerprint: 'fp_standin',
      choices,
    };
    if (includeUsage) chunk.usage = usage ?? null;
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  };
  write([
    { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
  ]);
  let contentChunks = 0;
  for (const piece of reply.content ? halves(reply.content) : []) {
    if (reply.interrupt && contentChunks === reply.interrupt.afterChunks) break;
    write([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]);
    contentChunks += 1;
  }
  if (reply.interrupt) {
    if (reply.interrupt.mode === 'break') res.destroy();
    return;
  }
  withIds(reply.toolCalls ?? []).forEach((call, index) => {
    const [first, ...rest] = halves(call.function.arguments);
    write([
      {
        index: 0,
        delta: {
          tool_calls: [
            {
              index,
              id: call.id,
              type: 'function',
              function: { name: call.function.name, arguments: first ?? '' },
            },
          ],
        },
        logprobs: null,
        finish_reason: null,
      },
    ]);
    for (const piece of rest) {
      write([
        {
          index: 0,
          delta: { tool_calls: [{ index, function: { arguments: piece } }] },
          logprobs: null,
          finish_reason: null,
        },
      ]);
    }
  });
  write([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(reply) }]);
  if (includeUsage) write([], usageFor(body, reply));
  res.end('data: [DONE]\n\n');
}

function completeReply(
  res: ServerResponse,
  body: ChatCompletionRequestBody,
  reply: StandinReply,
  id: string,
  created: number,
): void {
  const toolCalls =
    reply.toolCalls && reply.toolCalls.length > 0 ? withIds(reply.toolCalls) : undefined;
  sendJson(res, 200, {
    id,
    object: 'chat.completion',
    created,
    model: body.model,
    system_fingerprint: 'fp_standin',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: reply.content ?? null,
          refusal: null,
          ...(toolCalls ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(reply),
      },
    ],
    usage: usageFor(body, reply),
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function isRequestBody(value: unknown): value is ChatCompletionRequestBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.model === 'string' && Array.isArray(v.messages);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startOpenAIStandin(
  options: OpenAIStandinOptions = {},
): Promise<OpenAIStandin> {
  const requests: RecordedRequest[] = [];
  const queue: StandinReply[] = [];
  let handler: StandinHandler = options.handler ?? defaultHandler;
  let firstTokenDelayMs = options.firstTokenDelayMs ?? 0;

  const handleCompletion = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readBody(req));
    } catch {
      sendJson(res, 400, {
        error: {
          message: 'Body is not JSON',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
      return;
    }
    if (!isRequestBody(parsed)) {
      sendJson(res, 400, {
        error: {
          message: 'model and messages are required',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      });
      return;
    }
    const recorded: RecordedRequest = {
      body: parsed,
      headers: headersOf(req),
      receivedAt: performance.now(),
    };
    requests.push(recorded);
    const reply = queue.shift() ?? (await handler(recorded));
    if (reply.hang) return;
    const delayMs = firstTokenDelayMs + (reply.delayMs ?? 0);
    if (delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    recorded.firstTokenAt = performance.now();
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (reply.status !== undefined) sendJson(res, reply.status, errorBody(reply.status));
    else if (parsed.stream === true) streamReply(res, parsed, reply, id, created);
    else completeReply(res, parsed, reply, id, created);
    recorded.answeredAt = performance.now();
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      handleCompletion(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, errorBody(500));
        else res.end();
      });
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'standin' }],
      });
      return;
    }
    sendJson(res, 404, {
      error: {
        message: `No route ${req.method} ${path}`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    setHandler: (fn) => {
      handler = fn;
    },
    setFirstTokenDelay: (ms) => {
      firstTokenDelayMs = ms;
    },
    reset: () => {
      requests.length = 0;
      queue.length = 0;
      handler = options.handler ?? defaultHandler;
      firstTokenDelayMs = options.firstTokenDelayMs ?? 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
