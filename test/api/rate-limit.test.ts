import { describe, expect, it } from 'vitest';
import { createMemoryRateLimiter } from '../../workers/adapters/rate-limit/memory.ts';

function manualClock(start: string) {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('memory rate limiter', () => {
  it('allows `limit` calls per key in each period, then refuses until the next one', async () => {
    const clock = manualClock('2025-06-02T10:00:00Z');
    const limiter = createMemoryRateLimiter({ limit: 2, periodSeconds: 60, clock });
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await limiter.limit({ key: 'a' })).success);
    expect(results).toEqual([true, true, false]);
    expect((await limiter.limit({ key: 'b' })).success).toBe(true);

    clock.advance(59_999);
    expect((await limiter.limit({ key: 'a' })).success).toBe(false);
    clock.advance(1);
    expect((await limiter.limit({ key: 'a' })).success).toBe(true);
  });

  it('keeps at most maxKeys windows, dropping the oldest first', async () => {
    const clock = manualClock('2025-06-02T10:00:00Z');
    const limiter = createMemoryRateLimiter({ limit: 1, periodSeconds: 60, clock, maxKeys: 2 });
    await limiter.limit({ key: 'first' });
    await limiter.limit({ key: 'second' });
    await limiter.limit({ key: 'third' });
    // 'second' is still tracked, so it stays limited; 'first' was forgotten to make room.
    expect((await limiter.limit({ key: 'second' })).success).toBe(false);
    expect((await limiter.limit({ key: 'first' })).success).toBe(true);
  });
});
