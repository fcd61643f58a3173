/**
 * What a job process sends the main process over the metrics socket: one JSON line per push,
 * holding the whole of its registry (`registry.getMetricsAsJSON()`) under a source id that is
 * fixed for the life of the process. Snapshots are cumulative, so a lost line costs nothing and
 * the newest one replaces the last.
 */
import { z } from 'zod';

/** The variable the main process sets so the job processes it forks find its socket. */
export const METRICS_SOCKET_ENV = 'AGENT_METRICS_SOCKET';

/** A snapshot line longer than this is refused (a job registry is a few tens of kilobytes). */
export const MAX_SNAPSHOT_BYTES = 4 * 1024 * 1024;

const metricValueSchema = z.object({
  // JSON has no NaN: a gauge that was NaN arrives as null and is dropped.
  value: z.number().nullable(),
  labels: z.record(z.string(), z.union([z.string(), z.number()])),
  metricName: z.string().optional(),
});

export const metricJsonSchema = z.object({
  name: z.string().min(1).max(200),
  help: z.string().max(1000),
  type: z.enum(['counter', 'gauge', 'histogram', 'summary']),
  aggregator: z.enum(['omit', 'sum', 'first', 'min', 'max', 'average']).default('sum'),
  values: z.array(metricValueSchema),
});

export type MetricJson = z.infer<typeof metricJsonSchema>;

export const snapshotSchema = z.object({
  source: z.string().min(1).max(100),
  metrics: z.array(metricJsonSchema),
});

export type Snapshot = z.infer<typeof snapshotSchema>;
