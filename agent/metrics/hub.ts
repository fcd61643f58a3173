/**
 * The main process's view of every job process's metrics.
 *
 * Each job process pushes cumulative snapshots (see wire.ts); the newest one per process is kept.
 * When a process goes away its counters and histograms are folded into `retired`, so totals never
 * fall when a job process exits, and its gauges (active sessions, spool depth, memory) are
 * dropped, because what they measured is gone. A process is retired once: snapshots from a
 * retired source are ignored, so a late line can never count the same calls twice.
 *
 * Merging uses prom-client's own cluster aggregation (`AggregatorRegistry.aggregate`): counters
 * and histograms are summed, gauges follow their `aggregator` (sum, or max for the oldest set).
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricJson } from './wire.ts';

/** How many retired source ids are remembered to refuse late snapshots. */
const REMEMBERED_RETIRED_SOURCES = 10_000;

/** Only these keep counting after their process is gone. */
const CUMULATIVE_TYPES: ReadonlySet<MetricJson['type']> = new Set(['counter', 'histogram']);

export class MetricsHub {
  private readonly live = new Map<string, MetricJson[]>();
  private retired: MetricJson[] = [];
  private readonly retiredSources = new Set<string>();
  /** Folds run one after another; an exposition waits for those already started. */
  private folding: Promise<void> = Promise.resolve();

  /** Job processes whose snapshots are live. */
  get liveSources(): number {
    return this.live.size;
  }

  /** Keeps `metrics` as the newest snapshot of `source`; false when that source was retired. */
  update(source: string, metrics: MetricJson[]): boolean {
    if (this.retiredSources.has(source)) return false;
    this.live.set(source, metrics.map(withoutNullValues));
    return true;
  }

  /** The process behind `source` is gone: keep what it counted, forget what it measured. */
  retire(source: string): Promise<void> {
    const last = this.live.get(source);
    this.live.delete(source);
    this.rememberRetired(source);
    if (!last) return this.folding;
    const cumulative = last.filter((metric) => CUMULATIVE_TYPES.has(metric.type));
    this.folding = this.folding.then(async () => {
      this.retired = (await aggregate([this.retired, cumulative]).getMetricsAsJSON()).map(
        (metric) => metric as unknown as MetricJson,
      );
    });
    return this.folding;
  }

  /** The merged exposition of `own` (the main process's registry) and every job process. */
  async merged(own: Registry): Promise<Registry> {
    await this.folding;
    const ownMetrics = (await own.getMetricsAsJSON()) as unknown as MetricJson[];
    return aggregate([ownMetrics, this.retired, ...this.live.values()]);
  }

  private rememberRetired(source: string): void {
    this.retiredSources.add(source);
    if (this.retiredSources.size > REMEMBERED_RETIRED_SOURCES) {
      const oldest = this.retiredSources.values().next().value;
      if (oldest !== undefined) this.retiredSources.delete(oldest);
    }
  }
}

function aggregate(snapshots: MetricJson[][]): Registry {
  return AggregatorRegistry.aggregate(snapshots);
}

function withoutNullValues(metric: MetricJson): MetricJson {
  return { ...metric, values: metric.values.filter((value) => value.value !== null) };
}
