/**
 * A separate agent-like process for the spool crash test (run directly by Node 24):
 *   node spool-child.ts burst   <dir> <apiBaseUrl> <token> <userIds> <idPrefix> <count> [start]
 *   node spool-child.ts recover <dir> <apiBaseUrl> <token>
 *   node spool-child.ts partial <dir> <apiBaseUrl> <token> <userId> <idPrefix>
 * `burst` appends sets number `start` (default 0) to `count - 1` as fast as it can, several at a
 * time, spread over the comma-separated users, and prints `confirmed <log_id>` for each append
 * that resolved; the test kills it with SIGKILL in the middle. `recover` opens a new
 * spool in the same directory (adopting the dead one), drains it and prints `remaining <n>`.
 * `partial` runs under a small file size limit: it appends one set, then a burst too big for
 * the limit, then one more set, prints `confirmed <log_id>` or `refused <log_id>` for each and
 * exits without closing the spool.
 */
import { LogSpool } from '../../agent/log-spool.ts';
import { createApiClient } from '../../shared/api-client.ts';
import { silentLogger } from '../../workers/logger.ts';

const [mode, dir, baseUrl, token, userIds, idPrefix, count, start] = process.argv.slice(2);
if (!dir || !baseUrl || !token) throw new Error('usage: see the header of this file');
const api = createApiClient({ baseUrl, serviceToken: token });
const users = (userIds ?? '').split(',');
const newEntry = (log_id: string, n = 0) => ({
  log_id,
  user_id: users[n % users.length] as string,
  exercise: 'crash test squat',
  reps: 5,
  weight_kg: 100,
  logged_at: new Date().toISOString(),
});
const spool = await LogSpool.open({
  dir,
  send: (entries, signal) => api.ingestLogs(entries, signal),
  logger: silentLogger,
  initialBackoffMs: 20,
});

if (mode === 'burst') {
  const total = Number(count);
  const parallel = 8;
  for (let first = Number(start ?? 0); first < total; first += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, total - first) }, async (_, k) => {
        const log_id = `${idPrefix}${String(first + k).padStart(12, '0')}`;
        await spool.append(newEntry(log_id, first + k));
        process.stdout.write(`confirmed ${log_id}\n`);
      }),
    );
  }
  process.stdout.write('burst done\n');
  // Stay alive (sending) until killed.
  setInterval(() => {}, 1000);
} else if (mode === 'partial') {
  const appendOne = async (n: number) => {
    const log_id = `${idPrefix}${String(n).padStart(12, '0')}`;
    const outcome = await spool.append(newEntry(log_id)).then(
      () => 'confirmed',
      () => 'refused',
    );
    process.stdout.write(`${outcome} ${log_id}\n`);
  };
  await appendOne(0);
  await Promise.all(Array.from({ length: 12 }, (_, k) => appendOne(1 + k)));
  await appendOne(13);
  process.exit(0);
} else {
  const { remaining } = await spool.drain(20_000);
  await spool.close();
  process.stdout.write(`remaining ${remaining}\n`);
}
