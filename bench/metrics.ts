/**
 * The cost of the agent's metrics: how big one job process's push is, and how long a scrape of
 * the merged endpoint takes with a machine's worth of job processes reporting (the endpoint is
 * scraped every 15 s, so this is what Fly's Prometheus waits for). Writes
 * bench/results/metrics.json, a flat object of numbers. `node bench/metrics.ts` runs it alone.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startMetricsExporter } from '../agent/metrics/exporter.ts';
import { JobMetrics } from '../agent/metrics/job-metrics.ts';
import { startMetricsReporter } from '../agent/metrics/reporter.ts';
import { nearestRank } from '../agent/session-stats.ts';
import { TOOL_NAMES } from '../agent/tools.ts';
import { silentLogger } from '../workers/logger.ts';

const RESULTS = fileURLToPath(new URL('./results/metrics.json', import.meta.url));
/** AGENT_MAX_CONCURRENT_JOBS (4) sessions plus as many warm processes (AGENT_IDLE_PROCESSES). */
const JOB_PROCESSES = 8;
const SCRAPES = 200;

export async function runMetricsBench(): Promise<Record<string, number>> {
  const exporter = await startMetricsExporter({
    port: 0,
    host: '127.0.0.1',
    maxConcurrentJobs: 4,
    logger: silentLogger,
  });
  const reporters = [];
  try {
    const jobs = Array.from({ length: JOB_PROCESSES }, () => new JobMetrics());
    for (const job of jobs) {
      // A session's worth of series: every tool and outcome, a reply's latencies.
      for (const tool of TOOL_NAMES)
        for (const outcome of ['ok', 'rejected', 'failed']) job.toolCall(tool, outcome, 0.01);
      job.specialistCall('workout', 'ok', 0.8);
      for (const kind of ['eou_delay', 'llm_ttft', 'tts_ttfb', 'end_to_end'] as const)
        job.voiceLatency(kind, 400);
      reporters.push(
        startMetricsReporter({
          socketPath: exporter.socketPath,
          registry: job.registry,
          logger: silentLogger,
        }),
      );
    }
    const pushBytes = Buffer.byteLength(JSON.stringify(await jobs[0]?.registry.getMetricsAsJSON()));
    await Promise.all(reporters.map((reporter) => reporter.push()));
    while (exporter.hub.liveSources < JOB_PROCESSES) await new Promise((r) => setTimeout(r, 20));

    const durations: number[] = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const started = performance.now();
      const text = await (await fetch(exporter.url)).text();
      durations.push(performance.now() - started);
      bytes = Buffer.byteLength(text);
    }
    durations.sort((a, b) => a - b);
    const results = {
      job_push_bytes: pushBytes,
      job_processes_merged: JOB_PROCESSES,
      scrape_bytes: bytes,
      scrape_p50_ms: Math.round(nearestRank(durations, 50) * 100) / 100,
      scrape_p99_ms: Math.round(nearestRank(durations, 99) * 100) / 100,
      scrapes: SCRAPES,
    };
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    for (const reporter of reporters) reporter.close();
    await exporter.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runMetricsBench(), null, 2));
  process.exit(0);
}
