/**
 * The agent's metrics channel on real sockets: job-process registries pushed over the Unix
 * socket to the main process's exporter, merged, and scraped over HTTP as Prometheus would.
 * The whole path with a real agent server and real job processes is test/e2e/agent-metrics.test.ts.
 */
import { createConnection } from 'node:net';
import type { metrics } from '@livekit/agents';
import { afterEach, describe, expect, it } from 'vitest';
import { loadVoiceAgentConfig } from '../../agent/config.ts';
import { type MetricsExporter, startMetricsExporter } from '../../agent/metrics/exporter.ts';
import { JobMetrics } from '../../agent/metrics/job-metrics.ts';
import { type MetricsReporter, startMetricsReporter } from '../../agent/metrics/reporter.ts';
import { MAX_SNAPSHOT_BYTES } from '../../agent/metrics/wire.ts';
import { SessionStats, type TurnLatency } from '../../agent/session-stats.ts';
import { ConfigError } from '../../shared/config.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { eventually } from '../e2e/livekit.ts';
import { recordingLogger } from './fixtures.ts';
import { parseExposition, scrape } from './prometheus.ts';

const exporters: MetricsExporter[] = [];
const reporters: MetricsReporter[] = [];

afterEach(async () => {
  for (const reporter of reporters.splice(0)) reporter.close();
  await Promise.all(exporters.splice(0).map((exporter) => exporter.close()));
});

async function exporter(maxConcurrentJobs = 4, logger = recordingLogger()) {
  const started = await startMetricsExporter({
    port: 0,
    host: '127.0.0.1',
    maxConcurrentJobs,
    logger,
  });
  exporters.push(started);
  return started;
}

function jobProcess(target: MetricsExporter, source?: string, processMetrics = false) {
  const record = new JobMetrics({ processMetrics });
  const logger = recordingLogger();
  const reporter = startMetricsReporter({
    socketPath: target.socketPath,
    registry: record.registry,
    logger,
    ...(source ? { source } : {}),
  });
  reporters.push(reporter);
  return { record, reporter, logger };
}

const TOOL = 'agent_tool_call_duration_seconds';

describe('the metrics endpoint of the agent server', () => {
  it('serves the job processes and its own process as one exposition a Prometheus parser reads', async () => {
    const main = await exporter(4);
    const a = jobProcess(main, undefined, true);
    const b = jobProcess(main);
    a.record.toolCall('log_workout_set', 'ok', 0.002);
    a.record.toolCall('log_workout_set', 'ok', 0.003);
    b.record.toolCall('log_workout_set', 'ok', 0.001);
    b.record.toolCall('get_todays_workout', 'rejected', 0.0001);
    a.record.sessionStarted();
    b.record.sessionStarted();
    b.record.jobRejected('no_profile');
    main.recordActiveJobs(3);
    main.recordRejectedJob();
    await Promise.all([a.reporter.push(), b.reporter.push()]);
    await eventually('both processes in the hub', () => main.hub.liveSources === 2 || undefined);

    const scraped = await scrape(main.url);
    expect(scraped.histogram(TOOL, { tool: 'log_workout_set', outcome: 'ok' })).toEqual({
      count: 3,
      sum: expect.closeTo(0.006, 6),
    });
    expect(
      scraped.histogram(TOOL, { tool: 'get_todays_workout', outcome: 'rejected' })?.count,
    ).toBe(1);
    expect(scraped.value('agent_active_sessions')).toBe(2);
    expect(scraped.value('agent_jobs_rejected_total', { reason: 'no_profile' })).toBe(1);
    expect(scraped.value('agent_jobs_rejected_total', { reason: 'spool_unavailable' })).toBe(0);
    expect(scraped.value('agent_job_slots')).toBe(4);
    expect(scraped.value('agent_job_slots_in_use')).toBe(3);
    expect(scraped.value('agent_job_slots_free')).toBe(1);
    expect(scraped.value('agent_job_offers_rejected_total')).toBe(1);
    expect(scraped.value('agent_job_processes_reporting')).toBe(2);
    // Process metrics of the main process and, prefixed, of the job processes.
    expect(scraped.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(scraped.value('agent_job_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(scraped.value('nodejs_eventloop_lag_p99_seconds')).toBeGreaterThanOrEqual(0);
    // Every family has its HELP and TYPE, so the dashboard and alert rules can rely on them.
    for (const family of scraped.families) expect(family.help.length).toBeGreaterThan(0);
  });

  it('keeps what an exited job process counted, drops what it measured, and never counts it twice', async () => {
    const main = await exporter();
    const a = jobProcess(main, 'process-a');
    const b = jobProcess(main, 'process-b');
    a.record.toolCall('ask_specialist_agent', 'ok', 0.4);
    a.record.specialistCall('diet', 'timeout', 1.8);
    a.record.sessionStarted();
    b.record.toolCall('ask_specialist_agent', 'ok', 0.5);
    b.record.sessionStarted();
    await Promise.all([a.reporter.push(), b.reporter.push()]);
    await eventually('both processes in the hub', () => main.hub.liveSources === 2 || undefined);

    // Process a exits: its channel closes.
    a.reporter.close();
    await eventually('process a retired', () => main.hub.liveSources === 1 || undefined);
    let scraped = await scrape(main.url);
    const askOk = { tool: 'ask_specialist_agent', outcome: 'ok' };
    expect(scraped.histogram(TOOL, askOk)?.count).toBe(2);
    expect(
      scraped.histogram('agent_specialist_delegation_duration_seconds', {
        specialist: 'diet',
        outcome: 'timeout',
      })?.count,
    ).toBe(1);
    expect(scraped.value('agent_active_sessions')).toBe(1);

    // A late line from the retired process must not count its calls a second time.
    const late = jobProcess(main, 'process-a');
    late.record.toolCall('ask_specialist_agent', 'ok', 0.4);
    await late.reporter.push();
    b.record.toolCall('ask_specialist_agent', 'ok', 0.5);
    await b.reporter.push();
    await eventually('process b pushed again', async () => {
      const now = await scrape(main.url);
      return now.histogram(TOOL, askOk)?.count === 3 || undefined;
    });
    scraped = await scrape(main.url);
    expect(scraped.histogram(TOOL, askOk)?.count).toBe(3);

    // Process b exits too: nothing is running, and every call is still counted.
    b.reporter.close();
    late.reporter.close();
    await eventually('every process retired', () => main.hub.liveSources === 0 || undefined);
    scraped = await scrape(main.url);
    expect(scraped.histogram(TOOL, askOk)?.count).toBe(3);
    expect(scraped.value('agent_active_sessions')).toBeUndefined();
  });

  it('refuses a line that is not a snapshot and keeps serving', async () => {
    const logger = recordingLogger();
    const main = await exporter(4, logger);
    const raw = createConnection(main.socketPath);
    await new Promise<void>((resolve) => raw.once('connect', resolve));
    raw.write('{"source": "x", "metrics": [{"name": 42}]}\nnot json at all\n');
    await eventually(
      'two refusals',
      () =>
        logger.lines.filter((line) => line.event === 'metrics_snapshot_refused').length === 2 ||
        undefined,
    );
    raw.destroy();
    expect(main.hub.liveSources).toBe(0);
    expect((await scrape(main.url)).value('agent_job_slots')).toBe(4);
  });

  it('cuts a channel that sends a line longer than a snapshot can be', async () => {
    const logger = recordingLogger();
    const main = await exporter(4, logger);
    const raw = createConnection(main.socketPath);
    await new Promise<void>((resolve) => raw.once('connect', resolve));
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => undefined);
    raw.write(Buffer.alloc(MAX_SNAPSHOT_BYTES + 1024, 'x'));
    await closed;
    expect(logger.lines).toContainEqual({
      level: 'warn',
      event: 'metrics_snapshot_refused',
      fields: { reason: 'too_large' },
    });
    expect((await scrape(main.url)).value('agent_job_slots')).toBe(4);
  });

  it('answers only GET /metrics', async () => {
    const main = await exporter();
    const base = main.url.replace('/metrics', '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(main.url, { method: 'POST' })).status).toBe(405);
    const ok = await fetch(main.url);
    expect(ok.headers.get('content-type')).toContain('text/plain');
  });

  it('a job process without a main process to push to records on and warns once', async () => {
    const record = new JobMetrics({ processMetrics: false });
    const logger = recordingLogger();
    const reporter = startMetricsReporter({
      socketPath: '/nonexistent/agent-metrics.sock',
      registry: record.registry,
      logger,
    });
    reporters.push(reporter);
    await reporter.push();
    await reporter.push();
    expect(logger.lines).toEqual([
      { level: 'warn', event: 'metrics_push_failed', fields: { code: 'ENOENT' } },
    ]);
  });
});

describe('AGENT_METRICS_PORT', () => {
  const env = (extra: Record<string, string> = {}) =>
    withDevDefaults({
      DEEPGRAM_API_KEY: 'dg',
      CARTESIA_API_KEY: 'ca',
      OPENAI_API_KEY: 'oa',
      ...extra,
    });

  it('defaults to 9091, the port agent/fly.toml declares', () => {
    expect(loadVoiceAgentConfig(env()).metricsPort).toBe(9091);
  });

  it.each([
    ['not-a-port', 'must be a number'],
    ['70000', 'AGENT_METRICS_PORT'],
    ['8081', 'must differ from AGENT_HEALTH_PORT'],
  ])('refuses %s', (value, message) => {
    expect(() => loadVoiceAgentConfig(env({ AGENT_METRICS_PORT: value }))).toThrow(ConfigError);
    expect(() => loadVoiceAgentConfig(env({ AGENT_METRICS_PORT: value }))).toThrow(message);
  });
});

describe('voice latency from the framework metrics events', () => {
  it('reports each part as it arrives and one end-to-end latency per reply', () => {
    const seen: [string, number][] = [];
    const stats = new SessionStats(0, (kind, ms) => seen.push([kind, ms]));
    const eou = { type: 'eou_metrics', endOfUtteranceDelayMs: 300, speechId: 's1' };
    const llm = { type: 'llm_metrics', ttftMs: 400, cancelled: false, speechId: 's1' };
    const tts = { type: 'tts_metrics', ttfbMs: 200, cancelled: false, speechId: 's1' };
    // A model request of the same reply after its audio began (the words before a tool call were
    // already playing) is not part of the wait.
    const llmAfterTool = { ...llm, ttftMs: 900 };
    for (const m of [eou, llm, tts, llmAfterTool]) {
      stats.recordMetrics(m as unknown as metrics.AgentMetrics);
    }
    expect(seen).toEqual([
      ['eou_delay', 300],
      ['llm_ttft', 400],
      ['tts_ttfb', 200],
      ['end_to_end', 900],
      ['llm_ttft', 900],
    ]);
  });

  it('hands one turn line per reply with its parts and when the turn was committed', () => {
    const turns: TurnLatency[] = [];
    const stats = new SessionStats(0, undefined, (turn) => turns.push(turn));
    const eou = {
      type: 'eou_metrics',
      timestamp: 1_700_000_000_123,
      endOfUtteranceDelayMs: 310.04,
      transcriptionDelayMs: 250,
      speechId: 's1',
    };
    const llm = { type: 'llm_metrics', ttftMs: 350, cancelled: false, speechId: 's1' };
    const tts = { type: 'tts_metrics', ttfbMs: 90, cancelled: false, speechId: 's1' };
    const otherReply = { ...llm, speechId: 's2' };
    for (const m of [eou, llm, otherReply, tts, { ...tts, ttfbMs: 500 }]) {
      stats.recordMetrics(m as unknown as metrics.AgentMetrics);
    }
    expect(turns).toEqual([
      {
        committed_at: 1_700_000_000_123,
        eou_delay_ms: 310,
        transcription_delay_ms: 250,
        llm_ttft_ms: 350,
        tts_ttfb_ms: 90,
        end_to_end_ms: 750,
      },
    ]);
  });

  it('turns them into histograms in seconds', async () => {
    const record = new JobMetrics({ processMetrics: false });
    record.voiceLatency('end_to_end', 900);
    record.voiceLatency('end_to_end', Number.NaN);
    const scraped = parseExposition(await record.registry.metrics());
    expect(scraped.histogram('agent_voice_response_latency_seconds')).toEqual({
      count: 1,
      sum: expect.closeTo(0.9, 6),
    });
  });

  it('keeps the greeting apart from the replies', async () => {
    const record = new JobMetrics({ processMetrics: false });
    record.greetingPlayed(480);
    record.greetingPlayed(-1);
    const scraped = parseExposition(await record.registry.metrics());
    expect(scraped.histogram('agent_greeting_latency_seconds')).toEqual({
      count: 1,
      sum: expect.closeTo(0.48, 6),
    });
    expect(scraped.histogram('agent_voice_response_latency_seconds')?.count).toBe(0);
  });
});
