/** A real HTTP endpoint standing in for the API's callback: records every request it receives. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCallback {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface CallbackServer {
  url: string;
  received: ReceivedCallback[];
  /** Status to answer for the nth request (0-based); 200 when it returns undefined. */
  statusFor: (index: number) => number;
  close(): Promise<void>;
}

export async function startCallbackServer(): Promise<CallbackServer> {
  const received: ReceivedCallback[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[name] = value;
    }
    const index = received.length;
    received.push({ path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(callbacks.statusFor(index)).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const callbacks: CallbackServer = {
    url: `http://127.0.0.1:${port}/v1/logs/deliver`,
    received,
    statusFor: () => 200,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return callbacks;
}
