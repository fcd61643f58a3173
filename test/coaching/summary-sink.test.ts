/** The summary sink: retries what may succeed later, gives up at once on a refusal. */
import { describe, expect, it } from 'vitest';
import { summarySinkFor } from '../../agent/coaching/summary-sink.ts';
import { ApiRequestError } from '../../shared/api-client.ts';
import type { SessionSummary, StoreSessionSummaryRequest } from '../../shared/schemas.ts';

const summary: SessionSummary = { sets: 1, total_volume_kg: 600, exercises: [], new_bests: [] };
const USER = '00000000-0000-4000-8000-000000000001';

function apiFailing(failures: ApiRequestError[]) {
  const calls: { room: string; request: StoreSessionSummaryRequest }[] = [];
  return {
    calls,
    api: {
      async storeSessionSummary(room: string, request: StoreSessionSummaryRequest) {
        calls.push({ room, request });
        const failure = failures.shift();
        if (failure) throw failure;
      },
    },
  };
}

describe('summarySinkFor', () => {
  it('has nowhere to store without a room', () => {
    expect(summarySinkFor(apiFailing([]).api, undefined, USER)).toBeNull();
  });

  it('tries again after transient failures and sends the same request each time', async () => {
    const { api, calls } = apiFailing([
      new ApiRequestError(undefined, 'network', 'down'),
      new ApiRequestError(503, 'unavailable', 'database down'),
    ]);
    const sink = summarySinkFor(api, 'workout-room', USER, { backoffMs: 1 });
    await sink?.store(summary);
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call).toEqual({ room: 'workout-room', request: { user_id: USER, summary } });
    }
  });

  it('gives up at once when the API refuses, and after the last attempt otherwise', async () => {
    const refused = apiFailing([new ApiRequestError(404, 'not_found', 'no such room')]);
    await expect(
      summarySinkFor(refused.api, 'r', USER, { backoffMs: 1 })?.store(summary),
    ).rejects.toThrow('no such room');
    expect(refused.calls).toHaveLength(1);

    const down = apiFailing(
      Array.from({ length: 5 }, () => new ApiRequestError(503, 'unavailable', 'down')),
    );
    await expect(
      summarySinkFor(down.api, 'r', USER, { backoffMs: 1, attempts: 3 })?.store(summary),
    ).rejects.toThrow('down');
    expect(down.calls).toHaveLength(3);
  });
});
