/**
 * A local stand-in for Neon's WebSocket proxy: each WebSocket carries one PostgreSQL connection,
 * bytes passed through unchanged to the TCP address the driver names in `?address=host:port`
 * (what @neondatabase/serverless appends to `neonConfig.wsProxy`). With it, the real Neon driver
 * talks to the local PostgreSQL exactly as it talks to Neon.
 */
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface NeonWsProxy {
  host: string;
  port: number;
  /** The value for NEON_WS_PROXY / `neonConfig.wsProxy`. */
  wsProxy: string;
  /** Stops listening and cuts every open connection, as if the database went away. */
  close(): Promise<void>;
}

export interface NeonWsProxyOptions {
  /** When set, every connection goes to this port on loopback, whatever the driver asks for. */
  pgPort?: number;
}

const HOST = '127.0.0.1';

export async function startNeonWsProxy(options: NeonWsProxyOptions = {}): Promise<NeonWsProxy> {
  const server = new WebSocketServer({ host: HOST, port: 0, path: '/v2' });
  const sockets = new Set<net.Socket>();

  server.on('connection', (ws, request) => {
    const target = targetOf(request.url ?? '', options.pgPort);
    if (!target) {
      ws.close(1008, 'expected ?address=host:port');
      return;
    }
    const tcp = net.connect(target.port, target.host);
    sockets.add(tcp);
    // Bytes the driver sends before the TCP connection is up are buffered by the socket.
    ws.on('message', (data: Buffer) => tcp.write(data));
    ws.on('close', () => tcp.end());
    ws.on('error', () => tcp.destroy());
    tcp.on('data', (chunk) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(chunk);
    });
    tcp.on('close', () => {
      sockets.delete(tcp);
      ws.close();
    });
    tcp.on('error', () => ws.terminate());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;

  return {
    host: HOST,
    port,
    wsProxy: `${HOST}:${port}/v2`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function targetOf(requestUrl: string, pgPort: number | undefined) {
  const address = new URL(requestUrl, `ws://${HOST}`).searchParams.get('address');
  const match = address?.match(/^(.+):(\d+)$/);
  if (!match?.[1] || !match[2]) return null;
  return { host: match[1], port: pgPort ?? Number(match[2]) };
}
