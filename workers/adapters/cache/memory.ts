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
  // Generations of invalidated keys, bounded like the entries. Every invalidation takes a new,
  // larger number; a key whose generation was forgotten reads as the latest number handed out
  // when it was forgotten, which is newer than anything a writer could still hold for it.
  const generations = new Map<string, number>();
  let lastGeneration = 0;
  let forgottenGeneration = 0;
  const generationOf = (key: string) => String(generations.get(key) ?? forgottenGeneration);

  const read = (key: string): string | null => {
    const entry = entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= clock.now().getTime()) {
      entries.delete(key);
      return null;
    }
    return entry.value;
  };
  const write = (key: string, value: string, ttlSeconds: number) => {
    entries.delete(key);
    while (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done) break;
      entries.delete(oldest.value);
    }
    entries.set(key, { value, expiresAt: clock.now().getTime() + ttlSeconds * 1000 });
  };

  return {
    async get(key) {
      return read(key);
    },
    async set(key, value, ttlSeconds) {
      write(key, value, ttlSeconds);
    },
    async delete(key) {
      entries.delete(key);
    },
    async getVersioned(key) {
      return { value: read(key), generation: generationOf(key) };
    },
    async setIfGeneration(key, value, ttlSeconds, generation) {
      if (generationOf(key) !== generation) return false;
      write(key, value, ttlSeconds);
      return true;
    },
    async invalidate(key) {
      entries.delete(key);
      generations.delete(key);
      generations.set(key, ++lastGeneration);
      for (const oldest of generations.keys()) {
        if (generations.size <= maxEntries) break;
        generations.delete(oldest);
        forgottenGeneration = lastGeneration;
      }
    },
    async ping() {},
  };
}
