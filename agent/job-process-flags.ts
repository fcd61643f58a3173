/**
 * Node flags for the job processes the framework forks, one per session. Forks inherit
 * NODE_OPTIONS from the main process's environment (not its command line), so the main process
 * writes them there before the framework starts any.
 *
 * V8's default young generation (16 MB semi-spaces on 64-bit) is sized for throughput; a job
 * process keeps little but audio frames, so most of that space only holds garbage between
 * scavenges. Semi-spaces of 2 MB measured, on the voice rig (README, "Capacity"), about 55 MB
 * less resident memory per active session (PSS 196 -> 130 MB) at the same CPU time per second of
 * conversation. An operator who sets a semi-space size in NODE_OPTIONS keeps it.
 */

export const JOB_PROCESS_SEMI_SPACE_MB = 2;

/** NODE_OPTIONS for the job processes: what the operator set, plus the semi-space size. */
export function jobProcessNodeOptions(current: string | undefined): string {
  const options = (current ?? '').trim();
  if (/--max-semi-space-size\b/.test(options)) return options;
  return [options, `--max-semi-space-size=${JOB_PROCESS_SEMI_SPACE_MB}`].filter(Boolean).join(' ');
}
