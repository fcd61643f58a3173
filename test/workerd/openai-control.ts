/**
 * Remote control of the OpenAI stand-in for tests that run inside workerd: they cannot reach the
 * stand-in's Node objects, so this small HTTP server in Node lets them script replies and read
 * back what the Worker sent, over fetch.
 *
 *   POST /replies   a JSON array of stand-in replies, queued in order
 *   GET  /requests  the chat completion requests received so far: their bodies and headers
 *   POST /reset     forget requests and queued replies
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { OpenAIStandin } from '../support/openai-standin.ts';

export const standinReplySchema = z.strictObject({
  content: z.string().optional(),
  toolCalls: z.array(z.strictObject({ name: z.string(), arguments: z.string() })).optional(),
  delayMs: z.number().int().nonnegative().optional(),
  status: z.number().int().min(400).max(599).optional(),
  hang: z.boolean().optional(),
});
export type StandinReplyInput = z.infer<typeof standinReplySchema>;

export interface OpenAIControl {
  url: string;
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

async function handle(
  standin: OpenAIStandin,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
  switch (route) {
    case 'POST /replies': {
      const parsed = z.array(standinReplySchema).safeParse(await readJson(req));
      if (!parsed.success) return send(res, 400, { error: z.prettifyError(parsed.error) });
      standin.enqueue(...parsed.data);
      return send(res, 200, { queued: parsed.data.length });
    }
    case 'GET /requests':
      return send(
        res,
        200,
        standin.requests.map(({ body, headers }) => ({ body, headers })),
      );
    case 'POST /reset':
      standin.reset();
      return send(res, 200, {});
    default:
      return send(res, 404, { error: `no route ${route}` });
  }
}

export async function startOpenAIControl(standin: OpenAIStandin): Promise<OpenAIControl> {
  const server = createServer((req, res) => {
    handle(standin, req, res).catch((error: unknown) =>
      send(res, 400, { error: error instanceof Error ? error.message : 'bad request' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
