/**
 * The in-process agent-check scheduler (no QStash: `npm run dev`, tests): the check runs on a
 * timer in the process after the delay, and a check that fails is logged, never thrown. The
 * QStash scheduler is exercised end to end in test/e2e/agent-join-check.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createAgentCheckScheduler } from '../../workers/adapters/agent-check/index.ts';
import type { Logger } from '../../workers/ports.ts';

function recordingLogger() {
  const lines: { event: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    info: (event, fields) => lines.push({ event, fields }),
    warn: (event, fields) => lines.push({ event, fields }),
    error: (event, fields) => lines.push({ event, fields }),
  };
  return { lines, logger };
}

describe('the in-process agent check scheduler', () => {
  it('runs the check after the delay, not before', async () => {
    const { logger } = recordingLogger();
    const scheduler = createAgentCheckScheduler({ kind: 'in-process' }, logger);
    const scheduledAt = performance.now();
    const ran = new Promise<number>((resolve) => {
      void scheduler.schedule({ roomName: 'room-a', delaySeconds: 0.2 }, async () => {
        resolve(performance.now());
      });
    });
    expect(await ran).toBeGreaterThanOrEqual(scheduledAt + 190);
  });

  it('logs a check that fails instead of throwing', async () => {
    const { lines, logger } = recordingLogger();
    const scheduler = createAgentCheckScheduler({ kind: 'in-process' }, logger);
    let failed: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      failed = resolve;
    });
    await scheduler.schedule({ roomName: 'room-b', delaySeconds: 0.01 }, async () => {
      setTimeout(failed, 10);
      throw new TypeError('LiveKit unreachable');
    });
    await done;
    expect(lines).toEqual([{ event: 'agent_check_failed', fields: { error: 'TypeError' } }]);
  });
});
