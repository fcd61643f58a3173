/**
 * Where the edge API's per-request data points go: a Workers Analytics Engine dataset when the
 * `API_ANALYTICS` binding is declared (wrangler.toml), a bounded in-memory list locally and in
 * tests, or nowhere. The shape is Analytics Engine's own `writeDataPoint`, so one writer serves
 * all three.
 */

/** One row of the dataset: `blob1..n`, `double1..n` and `index1` in the SQL API. */
export interface AnalyticsDataPoint {
  indexes?: string[];
  blobs?: string[];
  doubles?: number[];
}

export interface AnalyticsSink {
  /** Never throws and never waits: the runtime sends the point after the response. */
  writeDataPoint(point: AnalyticsDataPoint): void;
}

/** The binding name in wrangler.toml. */
export const ANALYTICS_BINDING = 'API_ANALYTICS';

/** The Analytics Engine binding when it is bound (anything else is ignored). */
export function analyticsEngineBinding(binding: unknown): AnalyticsSink | undefined {
  const isDataset =
    typeof binding === 'object' &&
    binding !== null &&
    typeof (binding as Partial<AnalyticsSink>).writeDataPoint === 'function';
  return isDataset ? (binding as AnalyticsSink) : undefined;
}

export interface MemorySink extends AnalyticsSink {
  /** The points written, oldest first (at most `limit`). */
  readonly points: readonly AnalyticsDataPoint[];
}

/** Keeps the newest `limit` points, so a long-running dev server does not grow without bound. */
export function createMemorySink(limit = 1000): MemorySink {
  const points: AnalyticsDataPoint[] = [];
  return {
    points,
    writeDataPoint(point) {
      points.push(structuredClone(point));
      if (points.length > limit) points.splice(0, points.length - limit);
    },
  };
}
