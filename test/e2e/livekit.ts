/**
 * Shared steps of the end-to-end tests: point the edge API at a real livekit-server, ask it for a
 * session the way a client does, and read back what LiveKit made of the token.
 */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer, serve } from '@hono/node-server';
import { AgentDispatchClient, RoomServiceClient } from 'livekit-server-sdk';
import { expect } from 'vitest';
import { type CreateSessionResponse, createSessionResponseSchema } from '../../shared/schemas.ts';
import type { createApp } from '../../workers/app.ts';
import type { Services } from '../../workers/app-env.ts';
import { userHeaders } from '../support/auth.ts';
import type { LivekitServer } from '../support/livekit-server.ts';

/** The test services, with their LiveKit settings swapped for the running server's. */
export function withLivekitServer(services: Services, server: LivekitServer): Services {
  const livekit = {
    ...services.config.livekit,
    url: server.url,
    apiKey: server.apiKey,
    apiSecret: server.apiSecret,
  };
  return { ...services, config: { ...services.config, livekit } };
}

export interface LivekitClients {
  rooms: RoomServiceClient;
  dispatches: AgentDispatchClient;
}

export function livekitClients(server: LivekitServer): LivekitClients {
  const host = server.url.replace(/^ws/, 'http');
  return {
    rooms: new RoomServiceClient(host, server.apiKey, server.apiSecret),
    dispatches: new AgentDispatchClient(host, server.apiKey, server.apiSecret),
  };
}

export async function createSession(
  app: ReturnType<typeof createApp>,
  userId: string,
  agentType: CreateSessionResponse['agent_type'],
): Promise<CreateSessionResponse> {
  const response = await app.request('/v1/sessions', {
    method: 'POST',
    headers: { ...(await userHeaders(userId)), 'content-type': 'application/json' },
    body: JSON.stringify({ agent_type: agentType }),
  });
  expect(response.status).toBe(201);
  return createSessionResponseSchema.parse(await response.json());
}

/** Polls `read` until it returns a value (not undefined), for state that settles asynchronously. */
export async function eventually<T>(
  what: string,
  read: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface ServedApp {
  url: string;
  /** `METHOD path` of every request the API answered, with the kind of credentials used. */
  requests: Array<{ method: string; path: string; auth: 'service' | 'user' | 'none' }>;
  close(): Promise<void>;
}

/** Serves the app over HTTP on 127.0.0.1 (the agent is a separate process and calls it so). */
export async function serveApp(
  app: ReturnType<typeof createApp>,
  serviceToken: string,
): Promise<ServedApp> {
  const requests: ServedApp['requests'] = [];
  const fetch = (request: Request) => {
    const authorization = request.headers.get('authorization');
    requests.push({
      method: request.method,
      path: new URL(request.url).pathname,
      auth: !authorization
        ? 'none'
        : authorization === `Bearer ${serviceToken}`
          ? 'service'
          : 'user',
    });
    return app.fetch(request);
  };
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const listening = serve({ fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(listening));
    listening.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

type App = ReturnType<typeof createApp>;

export interface Listener {
  url: string;
  close(): Promise<void>;
}

/**
 * LiveKit needs the webhook URL when it starts, and the app needs LiveKit's keys when it is made:
 * so the listener comes first and hands requests to the app once there is one (503 before, which
 * LiveKit would retry).
 */
export async function listenFor(app: () => App | undefined): Promise<Listener> {
  const server = createAdaptorServer({
    fetch: (request: Request) => app()?.fetch(request) ?? new Response(null, { status: 503 }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
