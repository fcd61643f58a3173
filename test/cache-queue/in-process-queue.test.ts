import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../shared/schemas.ts';
import { createInProcessLogQueue } from '../../workers/adapters/queue/in-process.ts';
import type { Logger } from '../../workers/ports.ts';

const entry = (): LogEntry => ({
  log_id: randomUUID(),
  user_id: '00000000-0000-4000-8000-000000000001',
  exercise: 'Deadlift',
  reps: 3,
  weight_kg: 140,
  logged_at: '2025-03-01T10:00:00.000Z',
});

function recordingLogger() {
  const lines: { level: string; event: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (event, fields) => lines.push({ level: 'info', event, fields }),
    warn: (event, fields) => lines.push({ level: 'warn', event, fields }),
    error: (event, fields) => lines.push({ level: 'error', event, fields }),
  };
  return { logger, lines };
}

/** A delivery target that fails its first `failures` calls, like a database coming back. */
function flakyTarget(failures: number) {
  const stored = new Map<string, LogEntry>();
  let calls = 0;
  return {
    stored,
    calls: () => calls,
    deliver: async (entries: readonly LogEntry[]) => {
      calls++;
      if (calls <= failures) throw new Error('database unavailable');
      for (const e of entries) stored.set(e.log_id, e);
      return entries.length;
    },
  };
}

describe('in-process log queue', () => {
  it('delivers in the background and drains', async () => {
    const target = flakyTarget(0);
    const { logger } = recordingLogger();
    const queue = createInProcessLogQueue({ deliver: target.deliver, logger });
    const entries = [entry(), entry()];
    await queue.publish(entries);
    await queue.drain();
    expect([...target.stored.values()]).toEqual(entries);
  });

  it('retries a failing delivery with backoff until it succeeds, logging each retry', async () => {
    const target = flakyTarget(2);
    const { logger, lines } = recordingLogger();
    const queue = createInProcessLogQueue({ deliver: target.deliver, logger, baseDelayMs: 1 });
    const e = entry();
    await queue.publish([e]);
    await queue.drain();
    expect(target.calls()).toBe(3);
    expect(target.stored.get(e.log_id)).toEqual(e);
    expect(
      lines.filter((l) => l.event === 'log_queue_retrying').map((l) => l.fields?.attempt),
    ).toEqual([1, 2]);
  });

  it('gives up after the bounded attempts and says so, without personal data', async () => {
    const target = flakyTarget(Number.POSITIVE_INFINITY);
    const { logger, lines } = recordingLogger();
    const queue = createInProcessLogQueue({
      deliver: target.deliver,
      logger,
      maxAttempts: 3,
      baseDelayMs: 1,
    });
    await queue.publish([entry()]);
    await queue.drain();
    expect(target.calls()).toBe(3);
    const gaveUp = lines.find((l) => l.event === 'log_queue_gave_up');
    expect(gaveUp?.level).toBe('error');
    expect(JSON.stringify(lines)).not.toContain('Deadlift');
  });

  it('lets a set that was given up be published again', async () => {
    const target = flakyTarget(1);
    const { logger } = recordingLogger();
    const queue = createInProcessLogQueue({ deliver: target.deliver, logger, maxAttempts: 1 });
    const e = entry();
    await queue.publish([e]);
    await queue.drain();
    expect(target.stored.size).toBe(0);
    await queue.publish([e]);
    await queue.drain();
    expect(target.stored.get(e.log_id)).toEqual(e);
  });

  it('drops a log_id already queued or delivered', async () => {
    const target = flakyTarget(0);
    const delivered: string[] = [];
    const { logger } = recordingLogger();
    const queue = createInProcessLogQueue({
      deliver: async (entries) => {
        delivered.push(...entries.map((e) => e.log_id));
        return target.deliver(entries);
      },
      logger,
    });
    const a = entry();
    const b = entry();
    await queue.publish([a, a]);
    await queue.publish([a, b]);
    await queue.drain();
    await queue.publish([a, b]);
    await queue.drain();
    expect(delivered.sort()).toEqual([a.log_id, b.log_id].sort());
  });

  it('forgets the oldest delivered ids beyond its bound, relying on the idempotent insert', async () => {
    const delivered: string[] = [];
    const { logger } = recordingLogger();
    const queue = createInProcessLogQueue({
      deliver: async (entries) => {
        delivered.push(...entries.map((e) => e.log_id));
        return entries.length;
      },
      logger,
      rememberDelivered: 1,
    });
    const [a, b] = [entry(), entry()];
    await queue.publish([a]);
    await queue.drain();
    await queue.publish([b]);
    await queue.drain();
    await queue.publish([a, b]);
    await queue.drain();
    expect(delivered).toEqual([a.log_id, b.log_id, a.log_id]);
  });
});
