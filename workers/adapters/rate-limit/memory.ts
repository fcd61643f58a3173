/**
 * A fixed-window rate limiter kept in memory, for the embedded default and tests. In production
 * the Workers Rate Limiting binding, which has the same `limit({ key })` shape, is passed instead.
 */
import type { Clock, RateLimiter } from '../../ports.ts';

export interface MemoryRateLimiterOptions {
  /** Requests allowed per key in each window. */
  limit: number;
  periodSeconds: number;
  clock: Clock;
  /**
   * Keys tracked at once; beyond it expired windows are dropped first, then the oldest ones,
   * so a flood of distinct keys cannot grow memory without bound.
   * @defaultValue 10000
   */
  maxKeys?: number;
}

interface Window {
  startedAt: number;
  count: number;
}

export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const { limit, clock } = options;
  const periodMs = options.periodSeconds * 1000;
  const maxKeys = options.maxKeys ?? 10_000;
  const windows = new Map<string, Window>();

  const makeRoom = (now: number) => {
    for (const [key, window] of windows) {
      if (now - window.startedAt >= periodMs) windows.delete(key);
    }
    // Map iteration follows insertion order, so the first keys are the oldest windows.
    for (const key of windows.keys()) {
      if (windows.size < maxKeys) break;
      windows.delete(key);
    }
  };

  return {
    async limit({ key }) {
      const now = clock.now().getTime();
      const current = windows.get(key);
      if (current && now - current.startedAt < periodMs) {
        current.count += 1;
        return { success: current.count <= limit };
      }
      windows.delete(key);
      if (windows.size >= maxKeys) makeRoom(now);
      windows.set(key, { startedAt: now, count: 1 });
      return { success: 1 <= limit };
    },
  };
}
