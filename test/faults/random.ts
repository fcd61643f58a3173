/**
 * A seeded random source for fault tests: kill points vary from run to run, and a failing run
 * prints its seed so FAULT_SEED=<seed> repeats exactly those points.
 */
export function seededRandom(label: string): { seed: number; next: () => number } {
  const fromEnv = Number(process.env.FAULT_SEED);
  const seed = Number.isInteger(fromEnv) ? fromEnv : Math.floor(Math.random() * 2 ** 31);
  console.log(JSON.stringify({ fault_seed: label, seed }));
  // mulberry32: small, fast and good enough to pick kill points.
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next };
}
