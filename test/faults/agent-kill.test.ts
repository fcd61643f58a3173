/**
 * The agent killed with SIGKILL at random points during a burst of 1,000 sets across several
 * users, through the whole path: the agent's spool (a separate process, spool-child.ts) -> POST
 * /v1/logs on the edge API over HTTP -> the QStash stand-in -> the signed callback -> PostgreSQL.
 * Each restarted agent re-logs the sets its predecessor had not confirmed (same log_id, as a
 * retried tool call would) and adopts the dead spools. At the end: exactly 1,000 rows, none twice.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { type LogsHarness, startLogsHarness } from '../logs/harness.ts';
import { reportFigures } from './figures.ts';
import { seededRandom } from './random.ts';

const CHILD = fileURLToPath(new URL('../agent/spool-child.ts', import.meta.url));
const SETS = 1000;
const PREFIX = '0000f001-0000-4000-8000-';

let h: LogsHarness;
let spoolRoot: string;

beforeAll(async () => {
  h = await startLogsHarness({ queue: 'qstash' });
  spoolRoot = await mkdtemp(join(tmpdir(), 'agent-kill-'));
});

afterAll(async () => {
  await h?.close();
  await rm(spoolRoot, { recursive: true, force: true });
});

const logId = (n: number) => `${PREFIX}${String(n).padStart(12, '0')}`;

function runChild(args: string[]): { child: ChildProcess; lines: AsyncIterable<string> } {
  const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return { child, lines: createInterface({ input: child.stdout as NodeJS.ReadableStream }) };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** Rows in workout_logs: all of them, and how many distinct log_ids among them. */
async function countAllRows(): Promise<{ rows: number; distinct: number }> {
  const result = await h.database.db.execute(
    sql`select count(*)::int as rows, count(distinct id)::int as distinct from workout_logs`,
  );
  const [row] = (result as unknown as { rows: { rows: number; distinct: number }[] }).rows;
  return { rows: row?.rows ?? -1, distinct: row?.distinct ?? -1 };
}

describe('the agent killed at random points during a burst', () => {
  it('stores exactly 1,000 sets, none twice, through spool, API, QStash and callback', async () => {
    const random = seededRandom('agent SIGKILL');
    const users = SEED_USERS.map((u) => u.user.id).join(',');
    const confirmed = new Set<number>();
    const firstUnconfirmed = () => {
      let n = 0;
      while (confirmed.has(n)) n++;
      return n;
    };
    let kills = 0;
    let killedWhileSending = 0;

    while (firstUnconfirmed() < SETS) {
      const start = firstUnconfirmed();
      const { child, lines } = runChild([
        'burst',
        spoolRoot,
        h.url,
        DEV_DEFAULTS.SERVICE_API_TOKEN,
        users,
        PREFIX,
        String(SETS),
        String(start),
      ]);
      // Killed after a random number of confirmations, or at a random moment of sending.
      const killAfter = 1 + Math.floor(random.next() * 150);
      let seen = 0;
      let burstDone = false;
      for await (const line of lines) {
        if (line.startsWith('confirmed ')) {
          confirmed.add(Number(line.slice(-12)));
          if (++seen >= killAfter) break;
        }
        if (line === 'burst done') {
          burstDone = true;
          break;
        }
      }
      if (burstDone) {
        await new Promise((resolve) => setTimeout(resolve, random.next() * 300));
        killedWhileSending++;
      }
      await kill(child);
      kills++;
    }

    // One more agent start adopts whatever the dead ones left and sends it.
    const recovery = runChild(['recover', spoolRoot, h.url, DEV_DEFAULTS.SERVICE_API_TOKEN]);
    let remaining: string | undefined;
    for await (const line of recovery.lines) {
      if (line.startsWith('remaining ')) remaining = line.slice('remaining '.length);
    }
    expect(remaining).toBe('0');
    await h.settle();

    const stored = await h.storedLogs(Array.from({ length: SETS }, (_, n) => logId(n)));
    const all = await countAllRows();
    const qstash = h.qstash;
    reportFigures('agent SIGKILL at random points', {
      seed: random.seed,
      sets_sent: SETS,
      agent_kills: kills,
      kills_while_sending: killedWhileSending,
      qstash_deliveries: qstash?.deliveries.length ?? 0,
      rows_stored: all.rows,
      duplicates: all.rows - all.distinct,
      dead_letters: qstash?.deadLetters.length ?? 0,
    });
    expect(kills).toBeGreaterThan(1);
    expect(stored).toHaveLength(SETS);
    expect(all).toEqual({ rows: SETS, distinct: SETS });
    expect(qstash?.deadLetters).toEqual([]);
  }, 300_000);
});
