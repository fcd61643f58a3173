/**
 * What the specialist endpoint itself adds to an answer: the route, auth, validation, the
 * LangGraph run, the database reads, prompt building and the LangChain client, measured against
 * an OpenAI stand-in that answers at once. The stand-in's own handling time is subtracted, so
 * what remains is the system's share; the provider's share is whatever the real model takes.
 *
 * Runs alone with `node bench/orchestrator.ts` (needs PostgreSQL on 127.0.0.1:5432) and writes
 * bench/results/orchestrator.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DEMO_USER_ID } from '../drizzle/seed-data.ts';
import { SPECIALISTS } from '../shared/schemas.ts';
import {
  createOrchestratorHarness,
  type OrchestratorHarness,
} from '../test/orchestrator/harness.ts';

const WARMUP_ITERATIONS = 50;
const ITERATIONS = 300;
const RESULTS_FILE = fileURLToPath(new URL('./results/orchestrator.json', import.meta.url));

export interface OrchestratorBenchResult {
  orchestrator_overhead_p50_ms: number;
  orchestrator_overhead_p95_ms: number;
  orchestrator_overhead_direct_p50_ms: number;
  orchestrator_overhead_direct_p95_ms: number;
  orchestrator_overhead_classified_p50_ms: number;
  orchestrator_overhead_classified_p95_ms: number;
  iterations_per_path: number;
  /** Median time the stand-in itself spent per answer, already subtracted above. */
  standin_handling_p50_ms: number;
  target_p95_ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

interface Sample {
  overheadMs: number;
  standinMs: number;
}

async function measure(h: OrchestratorHarness, direct: boolean, i: number): Promise<Sample> {
  const specialist = SPECIALISTS[i % SPECIALISTS.length] ?? 'general';
  h.standin.reset();
  h.standin.setHandler((req) =>
    req.body.max_tokens === 5 ? { content: specialist } : { content: 'Keep going.' },
  );
  const started = performance.now();
  const response = await h.ask({
    user_id: DEMO_USER_ID,
    query: 'How is my week going?',
    ...(direct ? { specialist } : {}),
  });
  await response.arrayBuffer();
  const totalMs = performance.now() - started;
  if (response.status !== 200) throw new Error(`the endpoint answered ${response.status}`);
  const standinMs = h.standin.requests.reduce(
    (sum, r) => sum + ((r.answeredAt ?? r.receivedAt) - r.receivedAt),
    0,
  );
  return { overheadMs: totalMs - standinMs, standinMs };
}

async function run(h: OrchestratorHarness, direct: boolean): Promise<Sample[]> {
  for (let i = 0; i < WARMUP_ITERATIONS; i++) await measure(h, direct, i);
  const samples: Sample[] = [];
  for (let i = 0; i < ITERATIONS; i++) samples.push(await measure(h, direct, i));
  return samples;
}

const sortedOverheads = (samples: readonly Sample[]) =>
  samples.map((s) => s.overheadMs).sort((a, b) => a - b);

export async function runOrchestratorBench(): Promise<OrchestratorBenchResult> {
  const h = await createOrchestratorHarness();
  try {
    const direct = await run(h, true);
    const classified = await run(h, false);
    const all = sortedOverheads([...direct, ...classified]);
    const d = sortedOverheads(direct);
    const c = sortedOverheads(classified);
    const standin = [...direct, ...classified].map((s) => s.standinMs).sort((a, b) => a - b);
    const result: OrchestratorBenchResult = {
      orchestrator_overhead_p50_ms: round(percentile(all, 50)),
      orchestrator_overhead_p95_ms: round(percentile(all, 95)),
      orchestrator_overhead_direct_p50_ms: round(percentile(d, 50)),
      orchestrator_overhead_direct_p95_ms: round(percentile(d, 95)),
      orchestrator_overhead_classified_p50_ms: round(percentile(c, 50)),
      orchestrator_overhead_classified_p95_ms: round(percentile(c, 95)),
      iterations_per_path: ITERATIONS,
      standin_handling_p50_ms: round(percentile(standin, 50)),
      target_p95_ms: 30,
    };
    await mkdir(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
    await writeFile(RESULTS_FILE, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    await h.cleanup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runOrchestratorBench(), null, 2));
}
