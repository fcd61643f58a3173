/**
 * Types of parse-prometheus-text-format (it ships none): the Prometheus text exposition parsed
 * into metric families shaped like prom2json's output. Values stay strings, as in the text.
 */
declare module 'parse-prometheus-text-format' {
  export type PrometheusLabels = Record<string, string>;

  export interface PrometheusSample {
    value: string;
    labels?: PrometheusLabels;
    timestamp_ms?: string;
  }

  export interface PrometheusHistogramSample {
    /** Cumulative counts by upper bound (`le`), e.g. `{"0.5": "3", "+Inf": "4"}`. */
    buckets: Record<string, string>;
    count: string;
    sum: string;
    labels?: PrometheusLabels;
  }

  export interface PrometheusSummarySample {
    quantiles?: Record<string, string>;
    count: string;
    sum: string;
    labels?: PrometheusLabels;
  }

  export type PrometheusMetricFamily =
    | {
        name: string;
        help: string;
        type: 'COUNTER' | 'GAUGE' | 'UNTYPED';
        metrics: PrometheusSample[];
      }
    | { name: string; help: string; type: 'HISTOGRAM'; metrics: PrometheusHistogramSample[] }
    | { name: string; help: string; type: 'SUMMARY'; metrics: PrometheusSummarySample[] };

  export default function parsePrometheusTextFormat(text: string): PrometheusMetricFamily[];
}
