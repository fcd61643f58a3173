/**
 * The two personal keys the framework puts where the agent's field formatter cannot see them,
 * written through the framework's real pino logger to stdout exactly as the framework writes
 * them: `lk.pii.room_name`, bound on the JobContext's child logger (job.js), and
 * `lk.pii.ws_data`, a call field on the agent server's child logger (worker.js). With
 * `redactChildLoggers()` installed first, as agent/main.ts does, neither reaches a line.
 */
import { initializeLogger, log } from '@livekit/agents';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { redactChildLoggers, redactFrameworkLogs } from '../../agent/log-redaction.ts';

const ROOM_NAME = 'workout-8f3a2c1d9e7b4a6f';
const WS_DATA = 'a message with someone@example.test in it';
let output: string[] = [];

beforeAll(() => {
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
});
afterAll(() => {
  vi.restoreAllMocks();
});

function linesOf(write: () => void): Record<string, unknown>[] {
  output = [];
  write();
  return output
    .join('')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** What job.js does when it makes a JobContext, then a line the context writes. */
const jobContextLine = () =>
  log()
    .child({ jobId: 'AJ_1', 'lk.pii.room_name': ROOM_NAME })
    .warn('job_ctx.deleteRoom() is not executed in console mode');

/** What worker.js does: its logger is a child made when the server starts. */
const serverLine = () =>
  log()
    .child({ version: '1.9.0' })
    .warn({ type: 'string', 'lk.pii.ws_data': WS_DATA }, 'received unexpected worker message type');

describe('personal keys outside the reach of the field formatter', () => {
  it('reach the line without the child patch (the framework as it is)', () => {
    initializeLogger({ pretty: false, level: 'debug' });
    // The patch is process-wide once installed, so this runs first and checks the baseline.
    const [job] = linesOf(jobContextLine);
    const [server] = linesOf(serverLine);
    expect(job?.['lk.pii.room_name']).toBe(ROOM_NAME);
    expect(server?.['lk.pii.ws_data']).toBe(WS_DATA);
  });

  it('are gone from the JobContext binding and the server call once redactChildLoggers ran', () => {
    initializeLogger({ pretty: false, level: 'debug' });
    redactChildLoggers();
    // The framework makes a fresh root logger (for the job, for the CLI) after the patch.
    initializeLogger({ pretty: false, level: 'debug' });
    const lines = [...linesOf(jobContextLine), ...linesOf(serverLine)];
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ jobId: 'AJ_1', msg: expect.stringContaining('console') });
    expect(lines[1]).toMatchObject({ version: '1.9.0', type: 'string' });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(ROOM_NAME);
    expect(text).not.toContain(WS_DATA);
    expect(text).not.toMatch(/lk\.pii/);
  });

  it('keeps working with the job-entry redaction on top, and children of children', () => {
    redactFrameworkLogs();
    const lines = linesOf(() => {
      log()
        .child({ jobID: 'AJ_2' })
        .child({ 'lk.pii.room_name': ROOM_NAME, room_id: 'RM_1' })
        .info({ 'lk.pii.user_transcript': 'my name is Dana', turn: 1 }, 'turn');
    });
    expect(lines).toEqual([expect.objectContaining({ jobID: 'AJ_2', room_id: 'RM_1', turn: 1 })]);
    expect(JSON.stringify(lines)).not.toMatch(/lk\.pii|Dana/);
  });
});
