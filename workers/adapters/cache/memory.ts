/**
 * The embedded default cache: a bounded in-memory map with per-entry expiry. Per process (or per
 * Workers isolate), which is enough for a single dev server and keeps `npm run dev` dependency-free.
 */
import { type Cache, type Clock, systemClock } from '../../ports.ts';

export interface MemoryCacheOptions {
  /** When full, the least recently written entry is evicted first. */
  maxEntries?: number;
  clock?: Clock;
}

export const DEFAULT_MEMORY_CACHE_ENTRIES = 10_000;

interface Entry {
  value: string;
  expiresAt: number;
}

export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  const maxEntries = options.maxEntries ?? DEFAULT_MEMORY_CACHE_ENTRIES;
  const clock = options.clock ?? systemClock;
  // A Map iterates in insertion order, so its first key is always the oldest write.
  const entries = new Map<string, Entry>();

  return {
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return null;
      if (entry.expiresAt <= clock.now().getTime()) {
        entries.delete(key);
        return null;
      }
      return entry.value;
    },
    async set(key, value, ttlSeconds) {
      entries.delete(key);
      while (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done) break;
        entries.delete(oldest.value);
      }
      entries.set(key, { value, expiresAt: clock.now().getTime() + ttlSeconds * 1000 });
    },
    async delete(key) {
      entries.delete(key);
    },
    async ping() {},
  };
}
