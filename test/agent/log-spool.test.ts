/**
 * The spool against the real edge API on PostgreSQL: sets survive a process killed with SIGKILL
 * in the middle of a burst and arrive exactly once; an unreachable API only delays delivery; a
 * set the API refuses is dead-lettered without blocking the others.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogSpool } from '../../agent/log-spool.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { createApiClient } from '../../shared/api-client.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import { type EdgeApiServer, startEdgeApi } from './edge-api.ts';
import { recordingLogger } from './fixtures.ts';

const CHILD = fileURLToPath(new URL('./spool-child.ts', import.meta.url));

let edge: EdgeApiServer;
let root: string;

beforeAll(async () => {
  edge = await startEdgeApi();
  root = await mkdtemp(join(tmpdir(), 'spool-test-'));
});

afterAll(async () => {
  await edge?.close();
  await rm(root, { recursive: true, force: true });
});

function runChild(args: string[]): { child: ChildProcess; lines: AsyncIterable<string> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { child, lines: createInterface({ input: child.stdout as NodeJS.ReadableStream }) };
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

function entry(overrides: Partial<LogEntry> = {}): LogEntry {
  return {
    log_id: randomUUID(),
    user_id: DEMO_USER_ID,
    exercise: 'deadlift',
    reps: 5,
    weight_kg: 120,
    logged_at: new Date().toISOString(),
    ...overrides,
  };
}

describe('LogSpool with the edge API', () => {
  it('loses nothing and duplicates nothing when the process is killed mid-burst', async () => {
    const dir = join(root, 'crash');
    const prefix = `${randomUUID().slice(0, 24)}`;
    const total = 2000;
    const { child, lines } = runChild([
      'burst',
      dir,
      edge.baseUrl,
      edge.serviceToken,
      DEMO_USER_ID,
      prefix,
      String(total),
    ]);
    const confirmed: string[] = [];
    for await (const line of lines) {
      if (line.startsWith('confirmed ')) confirmed.push(line.slice('confirmed '.length));
      if (confirmed.length >= 250) break;
    }
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    expect(confirmed.length).toBeGreaterThanOrEqual(250);
    expect(confirmed.length).toBeLessThan(total);

    const recovery = runChild(['recover', dir, edge.baseUrl, edge.serviceToken]);
    let remaining: string | undefined;
    for await (const line of recovery.lines) {
      if (line.startsWith('remaining ')) remaining = line.slice('remaining '.length);
    }
    await exited(recovery.child);
    expect(remaining).toBe('0');

    const allIds = Array.from(
      { length: total },
      (_, i) => `${prefix}${String(i).padStart(12, '0')}`,
    );
    const stored = await edge.countLogs(allIds);
    // Every confirmed set is stored...
    expect(await edge.countLogs(confirmed)).toBe(confirmed.length);
    // ...each exactly once (log_id is the key; a duplicate would have needed a second row).
    expect(stored).toBeGreaterThanOrEqual(confirmed.length);
    expect(stored).toBeLessThan(total);
    // The recovered spool directory is gone once everything was delivered.
    expect((await readdir(dir)).filter((name) => !name.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('keeps sets while the API is unreachable and delivers them once it is back', async () => {
    const logger = recordingLogger();
    let apiUp = false;
    const client = createApiClient({ baseUrl: edge.baseUrl, serviceToken: edge.serviceToken });
    const down = createApiClient({
      baseUrl: 'http://127.0.0.1:9',
      serviceToken: edge.serviceToken,
    });
    const spool = await LogSpool.open({
      dir: join(root, 'outage'),
      logger,
      initialBackoffMs: 5,
      maxBackoffMs: 20,
      send: (entries, signal) => (apiUp ? client : down).ingestLogs(entries, signal),
    });
    const entries = Array.from({ length: 150 }, () => entry());
    for (const e of entries) await spool.append(e);
    while (logger.lines.filter((l) => l.event === 'log_spool_send_failed').length < 3) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(spool.size).toBe(150);
    apiUp = true;
    expect((await spool.drain(10_000)).remaining).toBe(0);
    await spool.close();
    expect(await edge.countLogs(entries.map((e) => e.log_id))).toBe(150);
    // Delivered in batches of at most 100.
    const batches = logger.lines
      .filter((l) => l.event === 'log_spool_delivered')
      .map((l) => l.fields.entries);
    expect(batches).toEqual([100, 50]);
  });

  it('dead-letters a set the API refuses and still delivers the rest', async () => {
    const logger = recordingLogger();
    const client = createApiClient({ baseUrl: edge.baseUrl, serviceToken: edge.serviceToken });
    const dir = join(root, 'refused');
    const spool = await LogSpool.open({
      dir,
      logger,
      send: (entries, signal) => client.ingestLogs(entries, signal),
    });
    // A syntactically valid set for a user that does not exist: the API answers 400 for it.
    const orphan = entry({ user_id: randomUUID() });
    const good = Array.from({ length: 9 }, () => entry());
    for (const e of [...good.slice(0, 4), orphan, ...good.slice(4)]) await spool.append(e);
    expect((await spool.drain(10_000)).remaining).toBe(0);
    await spool.close();
    expect(await edge.countLogs(good.map((e) => e.log_id))).toBe(9);
    expect(await edge.countLogs([orphan.log_id])).toBe(0);
    const deadLetter = (await readFile(join(dir, 'dead-letter.jsonl'), 'utf8')).trim().split('\n');
    expect(deadLetter).toHaveLength(1);
    expect(JSON.parse(deadLetter[0] as string)).toMatchObject({ entry: orphan, status: 400 });
    const dead = logger.lines.find((l) => l.event === 'log_spool_dead_lettered');
    expect(dead?.fields).toMatchObject({ entries: 1, status: 400, log_ids: [orphan.log_id] });

    // A restarted spool does not resend the dead-lettered set.
    const sent: string[] = [];
    const again = await LogSpool.open({
      dir,
      logger,
      send: async (entries) => {
        sent.push(...entries.map((e) => e.log_id));
      },
    });
    await again.drain(1000);
    await again.close();
    expect(sent).toEqual([]);
  });
});
