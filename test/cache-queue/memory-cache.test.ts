import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../../workers/adapters/cache/memory.ts';
import type { Clock } from '../../workers/ports.ts';

function manualClock(start = Date.parse('2025-01-01T00:00:00Z')) {
  let now = start;
  const clock: Clock = { now: () => new Date(now) };
  return { clock, advance: (ms: number) => (now += ms) };
}

describe('memory cache', () => {
  it('returns a value until its TTL has passed, then forgets it', async () => {
    const { clock, advance } = manualClock();
    const cache = createMemoryCache({ clock });
    await cache.set('k', 'value', 10);
    advance(9_999);
    expect(await cache.get('k')).toBe('value');
    advance(1);
    expect(await cache.get('k')).toBeNull();
  });

  it('answers null for a key never set', async () => {
    expect(await createMemoryCache().get('missing')).toBeNull();
  });

  it('restarts the TTL when a key is written again', async () => {
    const { clock, advance } = manualClock();
    const cache = createMemoryCache({ clock });
    await cache.set('k', 'old', 10);
    advance(8_000);
    await cache.set('k', 'new', 10);
    advance(8_000);
    expect(await cache.get('k')).toBe('new');
  });

  it('deletes a key', async () => {
    const cache = createMemoryCache();
    await cache.set('k', 'value', 60);
    await cache.delete('k');
    expect(await cache.get('k')).toBeNull();
  });

  it('stays within its bound by evicting the oldest write first', async () => {
    const cache = createMemoryCache({ maxEntries: 2 });
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    await cache.set('a', '1 again', 60);
    await cache.set('c', '3', 60);
    expect(await cache.get('b')).toBeNull();
    expect(await cache.get('a')).toBe('1 again');
    expect(await cache.get('c')).toBe('3');
  });

  it('is always reachable', async () => {
    await expect(createMemoryCache().ping()).resolves.toBeUndefined();
  });

  it('refuses a conditional write once the key was invalidated after the read', async () => {
    const cache = createMemoryCache();
    const before = await cache.getVersioned('k');
    expect(before).toEqual({ value: null, generation: expect.any(String) });
    expect(await cache.setIfGeneration('k', 'first', 60, before.generation)).toBe(true);
    const read = await cache.getVersioned('k');
    expect(read.value).toBe('first');
    await cache.invalidate('k');
    expect(await cache.get('k')).toBeNull();
    expect(await cache.setIfGeneration('k', 'stale', 60, read.generation)).toBe(false);
    expect(await cache.get('k')).toBeNull();
    const after = await cache.getVersioned('k');
    expect(await cache.setIfGeneration('k', 'fresh', 60, after.generation)).toBe(true);
    expect(await cache.get('k')).toBe('fresh');
  });

  it('still refuses a stale write after the invalidated key fell out of its bound', async () => {
    const cache = createMemoryCache({ maxEntries: 1 });
    const read = await cache.getVersioned('a');
    await cache.invalidate('a');
    // Invalidating another key pushes a's generation out of the bounded map.
    await cache.invalidate('b');
    expect(await cache.setIfGeneration('a', 'stale', 60, read.generation)).toBe(false);
  });
});
