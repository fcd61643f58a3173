/**
 * The main process's Prometheus endpoint (`GET /metrics` on AGENT_METRICS_PORT).
 *
 * The framework runs every job in a child process it forks (JobProcExecutor in
 * @livekit/agents), so most metrics are recorded away from this process. The children find a
 * Unix socket through METRICS_SOCKET_ENV, which this process sets before the framework forks
 * them, and push their registries there (reporter.ts); the MetricsHub merges them with this
 * process's own registry: its CPU, memory and event loop, and the job slots.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import {
  createServer as createSocketServer,
  type Socket,
  type Server as SocketServer,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { parseJson } from '../../shared/parse-json.ts';
import type { Logger } from '../../shared/runtime.ts';
import { MetricsHub } from './hub.ts';
import { MAX_SNAPSHOT_BYTES, snapshotSchema } from './wire.ts';

export interface MetricsExporterOptions {
  port: number;
  /** Fly's Prometheus scrapes each machine over its private network address. */
  host?: string;
  maxConcurrentJobs: number;
  logger: Logger;
  /** Record this process's CPU, memory and event loop metrics. */
  processMetrics?: boolean;
}

export const defaultMetricsExporterOptions = {
  host: '0.0.0.0',
  processMetrics: true,
} as const satisfies Partial<MetricsExporterOptions>;

export interface MetricsExporter {
  /** Where job processes push; hand it to them as METRICS_SOCKET_ENV. */
  readonly socketPath: string;
  /** The endpoint, e.g. http://0.0.0.0:9091/metrics. */
  readonly url: string;
  readonly hub: MetricsHub;
  /** The job slots in use now: running jobs plus accepted jobs not yet started. */
  recordActiveJobs(count: number): void;
  /** A job offer refused because every slot was taken (LiveKit offers it elsewhere). */
  recordRejectedJob(): void;
  /** The merged exposition text, as a scrape gets it. */
  exposition(): Promise<string>;
  close(): Promise<void>;
}

export async function startMetricsExporter(
  options: MetricsExporterOptions,
): Promise<MetricsExporter> {
  const settings = { ...defaultMetricsExporterOptions, ...options };
  const own = new Registry();
  if (settings.processMetrics) collectDefaultMetrics({ register: own });
  const hub = new MetricsHub();
  let activeJobs = 0;
  new Gauge({
    name: 'agent_job_slots',
    help: 'Jobs this agent server takes at once (AGENT_MAX_CONCURRENT_JOBS).',
    registers: [own],
    collect() {
      this.set(settings.maxConcurrentJobs);
    },
  });
  new Gauge({
    name: 'agent_job_slots_in_use',
    help: 'Job slots taken by running jobs and by accepted jobs not yet started.',
    registers: [own],
    collect() {
      this.set(activeJobs);
    },
  });
  new Gauge({
    name: 'agent_job_slots_free',
    help: 'Job slots free; at 0 the server reports itself full to LiveKit.',
    registers: [own],
    collect() {
      this.set(Math.max(0, settings.maxConcurrentJobs - activeJobs));
    },
  });
  const rejected = new Counter({
    name: 'agent_job_offers_rejected_total',
    help: 'Job offers refused because every job slot was taken; LiveKit offers them to another agent server.',
    registers: [own],
  });
  new Gauge({
    name: 'agent_job_processes_reporting',
    help: 'Job processes (running or warm) whose metrics this endpoint includes.',
    registers: [own],
    collect() {
      this.set(hub.liveSources);
    },
  });

  const exposition = async () => (await hub.merged(own)).metrics();
  const socketDir = await mkdtemp(join(tmpdir(), 'agent-metrics-'));
  const socketPath = join(socketDir, 'push.sock');
  const connections = new Set<Socket>();
  const sockets = createSocketServer((connection) => {
    connections.add(connection);
    const sources = new Set<string>();
    const lines = createInterface({ input: connection, crlfDelay: Number.POSITIVE_INFINITY });
    // Bytes of the line still being received: readline would buffer an endless line whole.
    let buffered = 0;
    connection.on('data', (chunk: Buffer) => {
      const newline = chunk.lastIndexOf(0x0a);
      buffered = newline === -1 ? buffered + chunk.length : chunk.length - newline - 1;
      if (buffered > MAX_SNAPSHOT_BYTES) {
        settings.logger.warn('metrics_snapshot_refused', { reason: 'too_large' });
        connection.destroy();
      }
    });
    lines.on('line', (line) => {
      const snapshot = parseJson(snapshotSchema, line);
      if (!snapshot.success) {
        settings.logger.warn('metrics_snapshot_refused', { reason: 'invalid' });
        return;
      }
      if (hub.update(snapshot.data.source, snapshot.data.metrics)) {
        sources.add(snapshot.data.source);
      }
    });
    // The channel closes when the job process exits (or crashes): what it counted stays.
    connection.on('close', () => {
      connections.delete(connection);
      for (const source of sources) void hub.retire(source);
    });
    connection.on('error', () => connection.destroy());
  });
  await listen(sockets, (server, done) => server.listen(socketPath, done));

  const http = createHttpServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end();
      return;
    }
    exposition().then(
      (text) => response.writeHead(200, { 'content-type': own.contentType }).end(text),
      (error: unknown) => {
        settings.logger.error('metrics_exposition_failed', {
          error: error instanceof Error ? error.name : 'unknown',
        });
        response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  try {
    await listen(http, (server, done) => server.listen(settings.port, settings.host, done));
  } catch (error) {
    await closeServer(sockets);
    await rm(socketDir, { recursive: true, force: true });
    throw error;
  }

  const address = http.address();
  const port = address !== null && typeof address === 'object' ? address.port : settings.port;
  return {
    socketPath,
    url: `http://${settings.host}:${port}/metrics`,
    hub,
    recordActiveJobs(count) {
      activeJobs = count;
    },
    recordRejectedJob() {
      rejected.inc();
    },
    exposition,
    async close() {
      for (const connection of connections) connection.destroy();
      await Promise.all([closeServer(http), closeServer(sockets)]);
      await rm(socketDir, { recursive: true, force: true });
    },
  };
}

function listen<S extends HttpServer | SocketServer>(
  server: S,
  start: (server: S, done: () => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    start(server, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: HttpServer | SocketServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
