/**
 * What the voice benchmarks share: their percentiles (nearest rank, 0.1 ms) and their results
 * file, bench/results/voice.json, which each of them updates with its own keys only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { nearestRank } from '../agent/session-stats.ts';
import { roundToTenth } from '../shared/round.ts';

const RESULTS = fileURLToPath(new URL('./results/voice.json', import.meta.url));

/** The nearest-rank `p`th percentile of `values`, rounded to 0.1 ms. */
export function percentile(values: readonly number[], p: number): number {
  return roundToTenth(
    nearestRank(
      [...values].sort((a, b) => a - b),
      p,
    ),
  );
}

/**
 * Writes `results` into voice.json, keeping the keys the other voice benchmark wrote. Keys under
 * one of `ownedPrefixes` belong to this run alone: an earlier run's that this one did not write
 * again (a ramp level it never reached, or one it now held) are dropped, not left to mislead.
 */
export async function mergeVoiceResults(
  results: Record<string, number>,
  ownedPrefixes: readonly string[] = [],
): Promise<void> {
  const existing: unknown = await readFile(RESULTS, 'utf8')
    .then((text): unknown => JSON.parse(text))
    .catch(() => ({}));
  const base = existing !== null && typeof existing === 'object' ? existing : {};
  const kept = Object.fromEntries(
    Object.entries(base).filter(([key]) => !ownedPrefixes.some((prefix) => key.startsWith(prefix))),
  );
  await writeFile(RESULTS, `${JSON.stringify({ ...kept, ...results }, null, 2)}\n`);
}
