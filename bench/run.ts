/**
 * `npm run bench`: every benchmark on the local services, one after another so they do not
 * compete for the CPU. Each writes its own flat JSON under bench/results/.
 */
import { runAgentBench } from './agent.ts';
import { runApiBench } from './api.ts';
import { runLoadBench } from './load.ts';
import { runMetricsBench } from './metrics.ts';
import { runOrchestratorBench } from './orchestrator.ts';

const benches = [
  ['api', runApiBench],
  ['orchestrator', runOrchestratorBench],
  ['agent', runAgentBench],
  ['metrics', runMetricsBench],
  ['load', () => runLoadBench()],
] as const;

for (const [name, run] of benches) {
  console.log(`${name} bench`);
  console.log(`${name}: ${JSON.stringify(await run(), null, 2)}`);
}
