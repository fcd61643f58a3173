/**
 * `npm run bench`: every benchmark on the local services, one after another so they do not
 * compete for the CPU. Each writes its own flat JSON under bench/results/.
 */
import { runAgentBench } from './agent.ts';
import { runApiBench } from './api.ts';
import { runLoadBench } from './load.ts';
import { runMetricsBench } from './metrics.ts';
import { runOrchestratorBench } from './orchestrator.ts';
import { runVoiceBench } from './voice.ts';
import { runVoiceCapacityBench } from './voice-capacity.ts';

const benches = [
  ['api', runApiBench],
  ['orchestrator', runOrchestratorBench],
  ['agent', runAgentBench],
  ['metrics', runMetricsBench],
  ['load', () => runLoadBench()],
  ['voice', runVoiceBench],
  ['voice-capacity', runVoiceCapacityBench],
] as const;

for (const [name, run] of benches) {
  console.log(`${name} bench`);
  console.log(`${name}: ${JSON.stringify(await run(), null, 2)}`);
}
// The voice bench's LiveKit client keeps native handles open after its room is gone.
process.exit(0);
