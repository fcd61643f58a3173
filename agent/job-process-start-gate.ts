/**
 * Preloaded into every job process (NODE_OPTIONS `--import`, see job-process-env.ts): its
 * top-level await holds back the framework's entry module, so a replacement forked while sessions
 * are starting loads once they have started (job-process-start.ts says when and why).
 */
import { waitForStartGate } from './job-process-start.ts';

await waitForStartGate(process.env);
