/**
 * The spool when things go wrong around it: answers that are not the API's own, a drain during a
 * long backoff, spools left by an earlier boot or by a process whose pid was reused, a write that
 * fails part way, and a compaction that fails.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogSpool } from '../../agent/log-spool.ts';
import { ApiRequestError, createApiClient } from '../../shared/api-client.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import { recordingLogger } from './fixtures.ts';

const CHILD = fileURLToPath(new URL('./spool-child.ts', import.meta.url));
const USER_ID = '00000000-0000-4000-8000-000000000001';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'spool-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const freshDir = () => join(root, randomUUID());

function entry(): LogEntry {
  return {
    log_id: randomUUID(),
    user_id: USER_ID,
    exercise: 'squat',
    reps: 5,
    weight_kg: 100,
    logged_at: new Date().toISOString(),
  };
}

type Answer = { status: number; type: string; body: string };
const html = (status: number): Answer => ({
  status,
  type: 'text/html',
  body: '<html><body>proxy says hello</body></html>',
});
const apiRefusal: Answer = {
  status: 400,
  type: 'application/json',
  body: JSON.stringify({ error: { code: 'bad_request', message: 'entries: unknown user' } }),
};

/** Something answering POST /v1/logs over HTTP the way the edge API, or a proxy before it, may. */
async function startLogsEndpoint(
  answer: (entries: LogEntry[]) => Answer,
): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString('utf8');
    });
    req.on('end', () => {
      const { entries } = JSON.parse(raw) as { entries: LogEntry[] };
      const { status, type, body } = answer(entries);
      res.writeHead(status, { 'content-type': type }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readDeadLetters(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'dead-letter.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { entry: LogEntry }).entry.log_id);
}

describe('answers that are not the API verdict', () => {
  it('tells the API own refusal apart from anything in between', () => {
    const apiBadRequest = new ApiRequestError(400, 'bad_request', 'no');
    expect([apiBadRequest.refusesContent, apiBadRequest.retryable]).toEqual([true, false]);
    for (const status of [413, 422]) {
      expect(new ApiRequestError(status, 'bad_request', 'no').refusesContent).toBe(true);
    }
    // A proxy's page, an unreadable 2xx body, a credentials problem, a missing route.
    for (const error of [
      new ApiRequestError(400, 'http_error', 'HTTP 400'),
      new ApiRequestError(200, 'bad_response', 'unexpected body'),
      new ApiRequestError(403, 'forbidden', 'no'),
      new ApiRequestError(404, 'not_found', 'no'),
      new ApiRequestError(undefined, 'network', 'down'),
    ]) {
      expect(error.refusesContent).toBe(false);
    }
    expect(new ApiRequestError(400, 'http_error', 'HTTP 400').retryable).toBe(true);
    expect(new ApiRequestError(200, 'bad_response', 'unexpected body').retryable).toBe(true);
  });

  it('counts any 2xx answer to a batch as delivered, whatever its body', async () => {
    const bodies: Answer[] = [
      { status: 200, type: 'text/html', body: '<html>ok</html>' },
      { status: 200, type: 'application/json', body: '{"accepted":1,"added_later":true}' },
      { status: 202, type: 'application/json', body: '' },
    ];
    const endpoint = await startLogsEndpoint(() => bodies.shift() ?? html(500));
    const api = createApiClient({ baseUrl: endpoint.baseUrl, serviceToken: 'token' });
    const logger = recordingLogger();
    const dir = freshDir();
    const spool = await LogSpool.open({
      dir,
      logger,
      lingerMs: 0,
      send: (entries, signal) => api.ingestLogs(entries, signal),
    });
    try {
      for (let i = 0; i < 3; i++) {
        await spool.append(entry());
        expect((await spool.drain(10_000)).remaining).toBe(0);
      }
    } finally {
      await spool.close();
      await endpoint.close();
    }
    expect(bodies).toEqual([]);
    expect(await readDeadLetters(dir)).toEqual([]);
    expect(logger.lines.filter((l) => l.event === 'log_spool_send_failed')).toEqual([]);
  });

  it('retries error answers that are not the API own and dead-letters only its refusals', async () => {
    const refused = entry();
    const good = Array.from({ length: 3 }, () => entry());
    // A proxy in front of the API fails the first requests with its own error pages.
    const proxyPages = [html(400), html(400), html(413), html(502)];
    const stored = new Set<string>();
    const endpoint = await startLogsEndpoint((entries) => {
      const page = proxyPages.shift();
      if (page) return page;
      if (entries.some((e) => e.log_id === refused.log_id)) return apiRefusal;
      for (const e of entries) stored.add(e.log_id);
      return { status: 200, type: 'application/json', body: `{"accepted":${entries.length}}` };
    });
    const api = createApiClient({ baseUrl: endpoint.baseUrl, serviceToken: 'token' });
    const logger = recordingLogger();
    const dir = freshDir();
    const spool = await LogSpool.open({
      dir,
      logger,
      initialBackoffMs: 1,
      maxBackoffMs: 2,
      send: (entries, signal) => api.ingestLogs(entries, signal),
    });
    try {
      for (const e of [good[0], refused, ...good.slice(1)] as LogEntry[]) await spool.append(e);
      expect((await spool.drain(10_000)).remaining).toBe(0);
    } finally {
      await spool.close();
      await endpoint.close();
    }
    expect([...stored].sort()).toEqual(good.map((e) => e.log_id).sort());
    expect(await readDeadLetters(dir)).toEqual([refused.log_id]);
    const failures = logger.lines.filter((l) => l.event === 'log_spool_send_failed');
    // One failure per proxy page, each retried rather than narrowed down and dead-lettered.
    expect(failures.map((l) => l.fields.code)).toEqual(Array(4).fill('http_error'));
  });
});

describe('drain', () => {
  it('cuts a backoff sleep short and tries again at once', async () => {
    let calls = 0;
    const logger = recordingLogger();
    const spool = await LogSpool.open({
      dir: freshDir(),
      logger,
      // The first failure would put the sender to sleep for at least half an hour.
      initialBackoffMs: 3_600_000,
      maxBackoffMs: 3_600_000,
      send: async () => {
        calls++;
        if (calls === 1) throw new ApiRequestError(503, 'unavailable', 'down');
      },
    });
    try {
      await spool.append(entry());
      while (!logger.lines.some((l) => l.event === 'log_spool_send_failed')) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      expect((await spool.drain(10_000)).remaining).toBe(0);
      expect(calls).toBe(2);
    } finally {
      await spool.close();
    }
  });
});

describe('adopting the spools of processes that are gone', () => {
  const readBootId = async () => (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  const readOwnStartTime = async () => {
    const stat = await readFile('/proc/self/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
  };

  /** A spool directory as an earlier process would have left it, owned by `owner`. */
  async function leftBehind(rootDir: string, owner: object, entries: LogEntry[]): Promise<string> {
    const dir = join(rootDir, `${process.pid}-${randomUUID().slice(0, 8)}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'owner.json'), JSON.stringify(owner));
    await writeFile(
      join(dir, 'spool.jsonl'),
      entries.map((e) => `${JSON.stringify(e)}\n`).join(''),
    );
    return dir;
  }

  async function delivered(rootDir: string): Promise<string[]> {
    const sent: string[] = [];
    const spool = await LogSpool.open({
      dir: rootDir,
      logger: recordingLogger(),
      send: async (entries) => {
        sent.push(...entries.map((e) => e.log_id));
      },
    });
    expect((await spool.drain(10_000)).remaining).toBe(0);
    await spool.close();
    return sent;
  }

  it.skipIf(process.platform !== 'linux')(
    'adopts a spool from an earlier boot even though its pid is alive now',
    async () => {
      const rootDir = freshDir();
      const sets = [entry(), entry()];
      // On Fly the hostname survives a restart and pids repeat: here the recorded pid is this
      // very (alive) process.
      await leftBehind(
        rootDir,
        {
          pid: process.pid,
          host: hostname(),
          boot: randomUUID(),
          started: await readOwnStartTime(),
        },
        sets,
      );
      expect((await delivered(rootDir)).sort()).toEqual(sets.map((e) => e.log_id).sort());
      expect(await readdir(rootDir)).toEqual([]);
    },
  );

  it.skipIf(process.platform !== 'linux')(
    'adopts a spool whose pid now belongs to a process that started later',
    async () => {
      const rootDir = freshDir();
      const sets = [entry()];
      await leftBehind(
        rootDir,
        { pid: process.pid, host: hostname(), boot: await readBootId(), started: '1' },
        sets,
      );
      expect(await delivered(rootDir)).toEqual(sets.map((e) => e.log_id));
    },
  );

  it('leaves the spool of a process that is still running alone', async () => {
    const rootDir = freshDir();
    const running = await LogSpool.open({
      dir: rootDir,
      logger: recordingLogger(),
      // Never answers until the spool closes.
      send: (_entries, signal) =>
        new Promise((_resolve, reject) => signal.addEventListener('abort', reject)),
    });
    await running.append(entry());
    expect(await delivered(rootDir)).toEqual([]);
    expect(running.size).toBe(1);
    await running.close();
  });
});

describe('file system failures', () => {
  it('cuts a partly written append back, so the next set is readable after a crash', async () => {
    const dir = freshDir();
    const prefix = randomUUID().slice(0, 24);
    // ulimit -f 1: files of at most 1024 bytes, so the burst of sets is written only in part.
    const child = spawn(
      'bash',
      [
        '-c',
        'ulimit -f 1 && exec "$0" "$@"',
        process.execPath,
        CHILD,
        'partial',
        dir,
        'http://127.0.0.1:9',
        'token',
        USER_ID,
        prefix,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const outcomes = new Map<string, string>();
    for await (const line of createInterface({ input: child.stdout })) {
      const [outcome, id] = line.split(' ');
      if (outcome && id) outcomes.set(id, outcome);
    }
    const idOf = (n: number) => `${prefix}${String(n).padStart(12, '0')}`;
    const confirmed = [...outcomes].filter(([, o]) => o === 'confirmed').map(([id]) => id);
    // The first set fit, some of the burst did not, and the set after the failure fit again.
    expect(outcomes.get(idOf(0))).toBe('confirmed');
    expect([...outcomes.values()]).toContain('refused');
    expect(outcomes.get(idOf(13))).toBe('confirmed');

    const logger = recordingLogger();
    const sent: string[] = [];
    const recovery = await LogSpool.open({
      dir,
      logger,
      send: async (entries) => {
        sent.push(...entries.map((e) => e.log_id));
      },
    });
    expect((await recovery.drain(10_000)).remaining).toBe(0);
    await recovery.close();
    expect(sent.sort()).toEqual(confirmed.sort());
    expect(logger.lines.find((l) => l.event === 'log_spool_recovered')?.fields).toMatchObject({
      unreadable_lines: 0,
    });
  });

  const chattrWorks = (() => {
    // An append-only directory (chattr +a) lets files be created but not renamed over; it needs
    // Linux, a file system with attributes and the right to set them.
    const probe = join(tmpdir(), `chattr-probe-${randomUUID()}`);
    try {
      execFileSync('mkdir', [probe]);
      execFileSync('chattr', ['+a', probe], { stdio: 'ignore' });
      execFileSync('chattr', ['-a', probe], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    } finally {
      execFileSync('rm', ['-rf', probe]);
    }
  })();

  it.skipIf(!chattrWorks)('keeps taking sets after a compaction failed', async () => {
    const logger = recordingLogger();
    const sent: string[] = [];
    const spool = await LogSpool.open({
      dir: freshDir(),
      logger,
      compactAfterAcks: 1,
      send: async (entries) => {
        sent.push(...entries.map((e) => e.log_id));
      },
    });
    execFileSync('chattr', ['+a', spool.dir]);
    try {
      const first = entry();
      await spool.append(first);
      while (!logger.lines.some((l) => l.event === 'log_spool_compaction_failed')) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const second = entry();
      await spool.append(second);
      expect((await spool.drain(10_000)).remaining).toBe(0);
      expect(sent).toEqual([first.log_id, second.log_id]);
    } finally {
      execFileSync('chattr', ['-a', spool.dir]);
      await spool.close();
    }
  });
});
