/**
 * The environment of the job processes the framework forks, one per session (and one more kept
 * warm per slot). Forks inherit the main process's environment, not its command line, so the main
 * process writes these into process.env before the framework starts any. What an operator set
 * already is kept.
 *
 * - NODE_OPTIONS `--max-semi-space-size=2`: V8's default young generation (16 MB semi-spaces on
 *   64-bit) is sized for throughput; a job process keeps little but audio frames, so most of that
 *   space only holds garbage between scavenges. 2 MB measured, on the voice rig (README,
 *   "Capacity"), about 55 MB less resident memory per active session at the same CPU time.
 * - NODE_COMPILE_CACHE: Node keeps the compiled modules (and the agent's TypeScript, stripped) on
 *   disk, so every process after the first imports the framework and the agent from the cache:
 *   about 0.3 s less CPU per process start and 18 MB less memory per process (no TypeScript
 *   stripper loaded), measured importing agent/main.ts. Node checks each entry against its
 *   source, so a new release never runs stale code.
 * - NODE_OPTIONS `--import` of the start gate: a replacement forked while sessions are starting
 *   waits for them before it loads (job-process-start.ts).
 * - RUST_LOG `off`: the native WebRTC stack's own log filter, which applies once its records are
 *   no longer sent to JavaScript (native-log-capture.ts). Before, they were sent and dropped
 *   unread, so nothing was shown either way; an operator who wants them on stderr sets RUST_LOG
 *   (for example `error`; at debug level they include SDP and ICE credentials).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { START_GATE_IMPORT } from './job-process-start.ts';

export const JOB_PROCESS_SEMI_SPACE_MB = 2;

/** Inside the container's own filesystem: rebuilt with the image, written by the first process. */
export const DEFAULT_COMPILE_CACHE_DIR = join(tmpdir(), 'fitness-coach-agent-compile-cache');

export function jobProcessEnv(
  env: Readonly<Record<string, string | undefined>>,
  compileCacheDir = DEFAULT_COMPILE_CACHE_DIR,
): { NODE_OPTIONS: string; NODE_COMPILE_CACHE: string; RUST_LOG: string } {
  const options = (env.NODE_OPTIONS ?? '').trim();
  const startGate = `--import=${START_GATE_IMPORT}`;
  return {
    NODE_OPTIONS: [
      options,
      /--max-semi-space-size\b/.test(options)
        ? ''
        : `--max-semi-space-size=${JOB_PROCESS_SEMI_SPACE_MB}`,
      options.includes(startGate) ? '' : startGate,
    ]
      .filter(Boolean)
      .join(' '),
    NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE || compileCacheDir,
    RUST_LOG: env.RUST_LOG || 'off',
  };
}
