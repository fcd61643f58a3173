/**
 * What the ops team imports must match what the agent serves: the [metrics] section of
 * agent/fly.toml points at the agent's metrics port, and every metric the Grafana dashboard and
 * the README's alert rules query exists in a real exposition of the agent's endpoint.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVoiceAgentConfig } from '../../agent/config.ts';
import { type MetricsExporter, startMetricsExporter } from '../../agent/metrics/exporter.ts';
import { JobMetrics } from '../../agent/metrics/job-metrics.ts';
import { startMetricsReporter } from '../../agent/metrics/reporter.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { recordingLogger } from '../agent/fixtures.ts';
import { scrape } from '../agent/prometheus.ts';
import { eventually } from '../e2e/livekit.ts';

const file = (path: string) =>
  readFile(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

/** Names of the metric families a PromQL expression reads (histogram series by their family). */
function metricsIn(expr: string): string[] {
  const names = expr.match(/\b(?:agent|process|nodejs)_[a-z0-9_]+/g) ?? [];
  return names.map((name) => name.replace(/_(bucket|count|sum)$/, ''));
}

/** Grafana's data source variable, chosen when the dashboard is imported. */
const DATASOURCE_VARIABLE = ['$', '{datasource}'].join('');

let exporter: MetricsExporter;
let served: Set<string>;

beforeAll(async () => {
  exporter = await startMetricsExporter({
    port: 0,
    host: '127.0.0.1',
    maxConcurrentJobs: 4,
    logger: recordingLogger(),
  });
  const job = new JobMetrics();
  const reporter = startMetricsReporter({
    socketPath: exporter.socketPath,
    registry: job.registry,
    logger: recordingLogger(),
  });
  await reporter.push();
  await eventually('the job process pushed', () => exporter.hub.liveSources === 1 || undefined);
  served = new Set((await scrape(exporter.url)).families.map((family) => family.name));
  reporter.close();
});
afterAll(async () => {
  await exporter?.close();
});

describe('observability configuration', () => {
  it('declares the agent metrics port under [metrics] in agent/fly.toml', async () => {
    const flyToml = await file('agent/fly.toml');
    const section = /^\[metrics\]\n((?:[ \t]+.*\n)+)/m.exec(flyToml)?.[1] ?? '';
    const port = Number(/port\s*=\s*(\d+)/.exec(section)?.[1]);
    expect(/path\s*=\s*"([^"]+)"/.exec(section)?.[1]).toBe('/metrics');
    expect(flyToml).toContain(`AGENT_METRICS_PORT = "${port}"`);
    const config = loadVoiceAgentConfig(
      withDevDefaults({ DEEPGRAM_API_KEY: 'k', CARTESIA_API_KEY: 'k', OPENAI_API_KEY: 'k' }),
    );
    expect(config.metricsPort).toBe(port);
  });

  it('graphs only metrics the agent serves, from the chosen data source', async () => {
    const dashboard = JSON.parse(await file('agent/grafana-dashboard.json')) as {
      panels: { type: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
    };
    const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(15);
    const queried = new Set<string>();
    for (const panel of graphs) {
      expect(panel.datasource?.uid).toBe(DATASOURCE_VARIABLE);
      for (const target of panel.targets ?? []) {
        for (const name of metricsIn(target.expr)) queried.add(name);
      }
    }
    for (const name of queried) expect(served, `dashboard queries ${name}`).toContain(name);
    // Every agent metric of the issue is on the dashboard.
    for (const name of served) {
      if (name.startsWith('agent_') && !name.startsWith('agent_job_')) {
        expect(queried, `dashboard shows ${name}`).toContain(name);
      }
    }
  });

  it('alerts only on metrics the agent serves', async () => {
    const readme = await file('README.md');
    const rules = [...readme.matchAll(/^\s+expr: (.+)$/gm)].map((match) => match[1] ?? '');
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const expr of rules) {
      for (const name of metricsIn(expr)) expect(served, `alert queries ${name}`).toContain(name);
    }
  });
});
