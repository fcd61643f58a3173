/**
 * A job process's metrics: its JobMetrics and, when the main process told it where
 * (METRICS_SOCKET_ENV), the reporter that pushes them there. Without that variable (the text
 * console, tests that run a session in process) the metrics are recorded and kept local.
 */
import { z } from 'zod';
import type { Logger } from '../../shared/runtime.ts';
import { JobMetrics } from './job-metrics.ts';
import { startMetricsReporter } from './reporter.ts';
import { METRICS_SOCKET_ENV } from './wire.ts';

export interface JobProcessMetrics {
  record: JobMetrics;
  /** Pushes to the main process now (nothing to do without a socket). */
  push: () => Promise<void>;
}

const socketPathSchema = z.string().min(1).max(107);

export function startJobProcessMetrics(
  env: Record<string, string | undefined>,
  logger: Logger,
): JobProcessMetrics {
  const record = new JobMetrics();
  const raw = env[METRICS_SOCKET_ENV];
  if (raw === undefined) return { record, push: async () => undefined };
  const socketPath = socketPathSchema.safeParse(raw);
  if (!socketPath.success) {
    logger.warn('metrics_disabled', { reason: `invalid ${METRICS_SOCKET_ENV}` });
    return { record, push: async () => undefined };
  }
  const reporter = startMetricsReporter({
    socketPath: socketPath.data,
    registry: record.registry,
    logger,
  });
  // The first snapshot right away, so a warm process is counted before its first interval.
  void reporter.push();
  return { record, push: reporter.push };
}
