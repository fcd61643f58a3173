/**
 * Reading a Prometheus exposition the way a scraper does: the text parsed with
 * parse-prometheus-text-format, and lookups of one series by name and labels.
 */
import parsePrometheusTextFormat, {
  type PrometheusLabels,
  type PrometheusMetricFamily,
} from 'parse-prometheus-text-format';

export interface Exposition {
  families: PrometheusMetricFamily[];
  /** The value of a counter or gauge series; undefined when the series does not exist. */
  value(name: string, labels?: PrometheusLabels): number | undefined;
  /** A histogram series' count and sum; undefined when it does not exist. */
  histogram(name: string, labels?: PrometheusLabels): { count: number; sum: number } | undefined;
  /** Every label value of every series, histogram bounds (`le`) excepted. */
  labelValues(): { name: string; label: string; value: string }[];
}

const sameLabels = (actual: PrometheusLabels | undefined, wanted: PrometheusLabels) => {
  const a = actual ?? {};
  const keys = Object.keys(wanted);
  return Object.keys(a).length === keys.length && keys.every((key) => a[key] === wanted[key]);
};

export function parseExposition(text: string): Exposition {
  const families = parsePrometheusTextFormat(text);
  // The parser folds every series of a labelled histogram into one and drops their _count and
  // _sum (it only handles unlabelled histograms). Read once more with histograms untyped, their
  // _bucket, _count and _sum lines come back as plain series with their labels.
  const series = parsePrometheusTextFormat(
    text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped'),
  );
  const value = (name: string, labels: PrometheusLabels = {}) => {
    // prom-client writes a histogram's series one after another (buckets, sum, count, then the
    // next labels), so untyped, one name comes back as several families.
    const sample = series
      .flatMap((f) =>
        f.name === name && f.type !== 'HISTOGRAM' && f.type !== 'SUMMARY' ? f.metrics : [],
      )
      .find((m) => sameLabels(m.labels, labels));
    return sample === undefined ? undefined : Number(sample.value);
  };
  return {
    families,
    value,
    histogram(name, labels = {}) {
      if (families.find((f) => f.name === name)?.type !== 'HISTOGRAM') return undefined;
      const count = value(`${name}_count`, labels);
      const sum = value(`${name}_sum`, labels);
      return count === undefined || sum === undefined ? undefined : { count, sum };
    },
    labelValues() {
      return series.flatMap((f) =>
        (f.metrics as { labels?: PrometheusLabels }[]).flatMap((m) =>
          Object.entries(m.labels ?? {})
            .filter(([label]) => label !== 'le')
            .map(([label, v]) => ({ name: f.name, label, value: v })),
        ),
      );
    },
  };
}

export async function scrape(url: string): Promise<Exposition> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`scrape of ${url} answered ${response.status}`);
  return parseExposition(await response.text());
}
