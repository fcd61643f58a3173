/**
 * The job process's side of the metrics channel: pushes its registry to the main process's
 * socket every few seconds and when asked (at the end of a job, so nothing is lost when the
 * process exits right after). Pushes are best effort: metrics never hold up a session, and a
 * push that finds no socket simply waits for the next one.
 */
import { randomUUID } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { errorCode, type Logger } from '../../shared/runtime.ts';
import type { Snapshot } from './wire.ts';

export interface MetricsReporterOptions {
  socketPath: string;
  registry: Registry;
  logger: Logger;
  /** Fly's managed Prometheus scrapes every 15 s; a push every 5 s keeps each scrape fresh. */
  intervalMs?: number;
  /** Identifies this process to the main process for its whole life. */
  source?: string;
}

export const defaultMetricsReporterOptions = {
  intervalMs: 5000,
} as const satisfies Partial<MetricsReporterOptions>;

export interface MetricsReporter {
  /** Sends the registry now; resolves once the line is handed to the socket (or failed). */
  push(): Promise<void>;
  close(): void;
}

export function startMetricsReporter(options: MetricsReporterOptions): MetricsReporter {
  const settings = { ...defaultMetricsReporterOptions, ...options };
  const source = settings.source ?? `${process.pid}-${randomUUID()}`;
  let socket: Socket | undefined;
  let warned = false;
  let closed = false;

  const connected = (): Promise<Socket> => {
    if (socket && !socket.destroyed) return Promise.resolve(socket);
    return new Promise((resolve, reject) => {
      const next = createConnection(settings.socketPath);
      next.once('connect', () => {
        next.off('error', reject);
        // A broken channel is noticed at the next push; the error itself needs no handling.
        next.on('error', () => next.destroy());
        next.unref();
        socket = next;
        resolve(next);
      });
      next.once('error', reject);
    });
  };

  const push = async (): Promise<void> => {
    if (closed) return;
    try {
      const snapshot: Snapshot = {
        source,
        metrics: (await settings.registry.getMetricsAsJSON()) as unknown as Snapshot['metrics'],
      };
      const line = `${JSON.stringify(snapshot)}\n`;
      const target = await connected();
      await new Promise<void>((resolve, reject) =>
        target.write(line, (error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      if (!warned) {
        warned = true;
        settings.logger.warn('metrics_push_failed', {
          code: errorCode(error),
        });
      }
    }
  };

  const timer = setInterval(() => void push(), settings.intervalMs);
  // Never keeps a finished job process alive.
  timer.unref();
  return {
    push,
    close() {
      closed = true;
      clearInterval(timer);
      socket?.end();
    },
  };
}
