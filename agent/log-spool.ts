/**
 * The crash-safe queue between `log_workout_set` and `POST /v1/logs`.
 *
 * A confirmed set is on disk before the coach confirms it: each append is written to an
 * append-only JSONL file and fdatasync'd (concurrent appends share one write and one sync).
 * A background sender posts the oldest sets in batches of at most 100 and records a set as done
 * only after the API accepted it; while the API is unreachable it retries with exponential
 * backoff. Because the API is idempotent on `log_id`, resending after a crash is harmless, so the
 * rule is simply: never forget a set before the API has it.
 *
 * On disk, one directory per open spool (one per job process):
 *   owner.json        who owns it (pid, host, boot id, process start time), so another process
 *                     can adopt it once the owner is gone
 *   spool.jsonl       every appended set, one LogEntry per line
 *   acked.jsonl       log_ids the API accepted (losing a line only causes a harmless resend)
 * and, shared by all spools, `dead-letter.jsonl`: sets the API refused with a 4xx. Such a set can
 * never be accepted (e.g. its user was deleted), so it is moved aside and logged rather than
 * blocking the spool forever; an operator can inspect or replay the file.
 *
 * At open, a spool adopts the directories of owners that are gone and resends their
 * unacknowledged sets. An owner is gone when it ran on another host or an earlier boot, or when
 * its pid is dead or now belongs to a process that started at another time (pids repeat across
 * restarts, and on Fly the hostname survives them). Directory entries are fsync'd, so a spool
 * file that was synced cannot vanish with a crash.
 */
import { randomUUID } from 'node:crypto';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiRequestError } from '../shared/api-client.ts';
import type { Logger } from '../shared/runtime.ts';
import { LOG_LIMITS, type LogEntry, logEntrySchema } from '../shared/schemas.ts';
import { abortableSleep } from './abortable-sleep.ts';

export type SendBatch = (entries: readonly LogEntry[], signal: AbortSignal) => Promise<unknown>;

/** Told how many sets each send moved (agent/metrics counts them). */
export interface LogSpoolObserver {
  delivered(count: number): void;
  retrying(count: number): void;
  deadLettered(count: number): void;
}

const ignoreSpoolEvents: LogSpoolObserver = {
  delivered: () => undefined,
  retrying: () => undefined,
  deadLettered: () => undefined,
};

export interface LogSpoolOptions {
  dir: string;
  /** Posts one batch; throws ApiRequestError (or anything) on failure. */
  send: SendBatch;
  logger: Logger;
  /** First retry delay; doubles per failure up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A batch that takes longer than this is abandoned and retried. */
  requestTimeoutMs?: number;
  /** Compact the files once this many acknowledged sets have piled up. */
  compactAfterAcks?: number;
  /**
   * After an idle spool receives a set, wait this long for more before sending, so a burst goes
   * out as one batch instead of one request per set.
   */
  lingerMs?: number;
  observer?: LogSpoolObserver;
}

export const defaultLogSpoolOptions = {
  initialBackoffMs: 250,
  maxBackoffMs: 30_000,
  requestTimeoutMs: 10_000,
  compactAfterAcks: 1000,
  lingerMs: 20,
  observer: ignoreSpoolEvents,
} as const satisfies Partial<LogSpoolOptions>;

export interface DrainResult {
  /** Sets still waiting for the API; they stay on disk for the next start. */
  remaining: number;
}

interface PendingWrite {
  entries: readonly LogEntry[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

const SPOOL_FILE = 'spool.jsonl';
const ACKED_FILE = 'acked.jsonl';
const OWNER_FILE = 'owner.json';
const DEAD_LETTER_FILE = 'dead-letter.jsonl';
const ADOPTING_PREFIX = 'adopting-';
/** Directories still being created; never adopted. */
const CREATING_PREFIX = '.creating-';

/** Gives up on a request whose sender ignores the abort signal, so close() can never hang. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new ApiRequestError(undefined, 'timeout', 'the API did not answer in time'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const ownerSchema = z.object({
  pid: z.number().int(),
  host: z.string(),
  /** Absent where the platform has no boot id, and in spools written before it was recorded. */
  boot: z.string().optional(),
  started: z.string().optional(),
});
type Owner = z.infer<typeof ownerSchema>;

async function readBootId(): Promise<string | undefined> {
  const text = await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/** The kernel's start time of a process (field 22 of /proc/<pid>/stat), where there is one. */
async function readStartTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // Field 2, the command name, may hold spaces and parentheses; the fields after it do not.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

async function currentOwner(): Promise<Owner> {
  const [boot, started] = await Promise.all([readBootId(), readStartTime(process.pid)]);
  return {
    pid: process.pid,
    host: hostname(),
    ...(boot ? { boot } : {}),
    ...(started ? { started } : {}),
  };
}

/** Makes created, renamed and removed entries of a directory durable. */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } catch (error) {
    // Some platforms cannot sync a directory at all; there is nothing more to do on them.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP') {
      throw error;
    }
  } finally {
    await dir.close();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text.split('\n').filter((line) => line.length > 0);
}

/** Parses spool lines; a torn last line (crash mid-write) was never confirmed and is skipped. */
function parseEntries(lines: readonly string[]): { entries: LogEntry[]; skipped: number } {
  const entries: LogEntry[] = [];
  let skipped = 0;
  for (const line of lines) {
    try {
      const parsed = logEntrySchema.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

async function readDeadLetterIds(root: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const line of await readLines(join(root, DEAD_LETTER_FILE))) {
    try {
      const id = (JSON.parse(line) as { entry?: { log_id?: unknown } }).entry?.log_id;
      if (typeof id === 'string') ids.add(id);
    } catch {
      // A torn dead-letter line only means that set may be retried once more.
    }
  }
  return ids;
}

/** The sets of one spool directory that the API has not accepted yet. */
async function readUnacknowledged(
  dir: string,
  deadLetters: ReadonlySet<string>,
): Promise<{ entries: LogEntry[]; acked: number; skipped: number }> {
  const acked = new Set(await readLines(join(dir, ACKED_FILE)));
  const { entries, skipped } = parseEntries(await readLines(join(dir, SPOOL_FILE)));
  const unique = new Map<string, LogEntry>();
  for (const entry of entries) {
    if (!acked.has(entry.log_id) && !deadLetters.has(entry.log_id)) unique.set(entry.log_id, entry);
  }
  return { entries: [...unique.values()], acked: acked.size, skipped };
}

/**
 * Opens one spool on first use and hands the same one to every later caller. A failed open is
 * forgotten, so the next caller tries again (a full disk may have been cleared since).
 */
export function sharedLogSpool(options: LogSpoolOptions): () => Promise<LogSpool> {
  let opening: Promise<LogSpool> | undefined;
  return () => {
    opening ??= LogSpool.open(options).catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  };
}

export class LogSpool {
  readonly dir: string;
  private readonly root: string;
  private readonly options: Required<Omit<LogSpoolOptions, 'dir'>>;
  private spoolFile!: FileHandle;
  /** Bytes of whole lines in the spool file; a failed append is cut back to this. */
  private spoolBytes = 0;
  /** A failed append could not be cut back: the next one starts on a line of its own. */
  private tornTail = false;
  private ackedFile!: FileHandle;
  /** Appended but not yet accepted by the API, oldest first. */
  private readonly pending = new Map<string, LogEntry>();
  private writes: PendingWrite[] = [];
  private writing: Promise<void> | null = null;
  private compactRequested = false;
  private ackedSinceCompaction = 0;
  private readonly stop = new AbortController();
  /** Set while the sender waits for work. */
  private wake: (() => void) | null = null;
  /** Aborted by drain() to cut a backoff sleep short. */
  private retryNow = new AbortController();
  private sender: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  private constructor(root: string, dir: string, options: LogSpoolOptions) {
    this.root = root;
    this.dir = dir;
    const { dir: _dir, ...rest } = options;
    this.options = { ...defaultLogSpoolOptions, ...rest };
  }

  /** Opens a new spool under `options.dir`, adopts orphaned spools and starts the sender. */
  static async open(options: LogSpoolOptions): Promise<LogSpool> {
    const root = options.dir;
    await mkdir(root, { recursive: true });
    const id = `${process.pid}-${randomUUID().slice(0, 8)}`;
    const creating = join(root, `${CREATING_PREFIX}${id}`);
    await mkdir(creating);
    await writeFile(join(creating, OWNER_FILE), JSON.stringify(await currentOwner()), {
      flush: true,
    });
    const spool = new LogSpool(root, join(root, id), options);
    spool.spoolFile = await open(join(creating, SPOOL_FILE), 'a');
    spool.ackedFile = await open(join(creating, ACKED_FILE), 'a');
    await syncDirectory(creating);
    // Only a directory with its owner recorded becomes visible to other processes' adoption.
    await rename(creating, spool.dir);
    await syncDirectory(root);
    await spool.adoptOrphans();
    spool.sender = spool.runSender();
    return spool;
  }

  /** How many sets wait for the API. */
  get size(): number {
    return this.pending.size;
  }

  /** When the set that has waited longest was logged (sets wait in the order they came). */
  get oldestWaitingLoggedAt(): string | undefined {
    return this.pending.values().next().value?.logged_at;
  }

  /**
   * Makes the set durable on disk and queues it for sending. When this resolves, the set will
   * reach the API eventually, even if the process is killed right after.
   */
  async append(entry: LogEntry): Promise<void> {
    if (this.closed) throw new Error('the log spool is closed');
    await this.write([entry]);
    this.wake?.();
  }

  /** Waits until every set is accepted by the API or `timeoutMs` passed. */
  async drain(timeoutMs: number): Promise<DrainResult> {
    if (this.pending.size > 0) {
      this.wake?.();
      this.retryNow.abort();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.idleWaiters.push(done);
      });
    }
    return { remaining: this.pending.size };
  }

  /** Stops the sender and closes the files. Unsent sets stay on disk for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.wake?.();
    await this.sender;
    await this.writing;
    await this.spoolFile.close();
    await this.ackedFile.close();
    if (this.pending.size === 0) await rm(this.dir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------ durable writes

  /**
   * Group commit: whoever arrives while a sync runs is written with the next one. A set joins
   * `pending` in the same step that made it durable, so compaction (which runs in this same
   * loop) can never drop a set that is on disk but not yet pending.
   */
  private write(entries: readonly LogEntry[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writes.push({ entries, resolve, reject });
      this.kickWriter();
    });
  }

  private kickWriter(): void {
    this.writing ??= this.runWriter().finally(() => {
      this.writing = null;
    });
  }

  private async runWriter(): Promise<void> {
    while (this.writes.length > 0 || this.compactRequested) {
      if (this.compactRequested) {
        this.compactRequested = false;
        await this.compact().catch((error: unknown) => {
          this.options.logger.warn('log_spool_compaction_failed', {
            error: error instanceof Error ? error.name : 'unknown',
          });
        });
        continue;
      }
      const batch = this.writes;
      this.writes = [];
      const entries = batch.flatMap((w) => w.entries);
      const lines = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
      const text = this.tornTail ? `\n${lines}` : lines;
      try {
        await this.spoolFile.appendFile(text);
        await this.spoolFile.datasync();
      } catch (error) {
        await this.cutBackFailedAppend();
        for (const w of batch) w.reject(error);
        continue;
      }
      this.spoolBytes += Buffer.byteLength(text);
      this.tornTail = false;
      for (const entry of entries) this.pending.set(entry.log_id, entry);
      for (const w of batch) w.resolve();
    }
  }

  /**
   * A write that failed part way (ENOSPC, EIO) may have left part of a line, which the next set
   * would be glued to. Cut the file back to its last whole line, or, if even that fails, make
   * the next set start a line of its own so that only the fragment is unreadable.
   */
  private async cutBackFailedAppend(): Promise<void> {
    try {
      await this.spoolFile.truncate(this.spoolBytes);
    } catch {
      this.tornTail = true;
    }
  }

  // ------------------------------------------------------------------ sending

  private async runSender(): Promise<void> {
    let failures = 0;
    while (!this.stop.signal.aborted) {
      const batch = [...this.pending.values()].slice(0, LOG_LIMITS.batchMax);
      if (batch.length === 0) {
        this.notifyIdle();
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        await abortableSleep(this.options.lingerMs, this.stop.signal);
        continue;
      }
      try {
        await this.deliver(batch);
        failures = 0;
      } catch (error) {
        failures++;
        this.options.observer.retrying(batch.length);
        const delay = Math.min(
          this.options.maxBackoffMs,
          this.options.initialBackoffMs * 2 ** Math.min(failures - 1, 20),
        );
        this.options.logger.warn('log_spool_send_failed', {
          entries: batch.length,
          attempt: failures,
          retry_in_ms: delay,
          status: error instanceof ApiRequestError ? error.status : undefined,
          code: error instanceof ApiRequestError ? error.code : 'unexpected',
        });
        await abortableSleep(
          delay * (0.5 + Math.random() / 2),
          AbortSignal.any([this.stop.signal, this.retryNow.signal]),
        );
        if (this.retryNow.signal.aborted) this.retryNow = new AbortController();
      }
    }
  }

  /**
   * Sends a batch. Only the API's own refusal of the content (see ApiRequestError.refusesContent)
   * is permanent; anything else, including an answer that is not the API's, is retried. A
   * permanent refusal of a batch is narrowed down by halves, so only the sets the API refuses on
   * their own are dead-lettered and the rest are delivered.
   */
  private async deliver(batch: readonly LogEntry[]): Promise<void> {
    const signal = AbortSignal.any([
      this.stop.signal,
      AbortSignal.timeout(this.options.requestTimeoutMs),
    ]);
    try {
      await untilAborted(this.options.send(batch, signal), signal);
    } catch (error) {
      if (!(error instanceof ApiRequestError) || !error.refusesContent) throw error;
      if (batch.length === 1) {
        await this.deadLetter(batch, error);
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await this.deliver(batch.slice(0, half));
      await this.deliver(batch.slice(half));
      return;
    }
    await this.acknowledge(batch);
  }

  private async acknowledge(batch: readonly LogEntry[]): Promise<void> {
    await this.ackedFile.appendFile(batch.map((e) => `${e.log_id}\n`).join(''));
    for (const entry of batch) this.pending.delete(entry.log_id);
    this.options.observer.delivered(batch.length);
    this.ackedSinceCompaction += batch.length;
    this.options.logger.info('log_spool_delivered', {
      entries: batch.length,
      waiting: this.pending.size,
    });
    if (this.ackedSinceCompaction >= this.options.compactAfterAcks) {
      this.ackedSinceCompaction = 0;
      this.compactRequested = true;
      this.kickWriter();
    }
  }

  private async deadLetter(batch: readonly LogEntry[], error: ApiRequestError): Promise<void> {
    const at = new Date().toISOString();
    const lines = batch
      .map((entry) => `${JSON.stringify({ entry, status: error.status, code: error.code, at })}\n`)
      .join('');
    const file = await open(join(this.root, DEAD_LETTER_FILE), 'a');
    try {
      await file.appendFile(lines);
      await file.datasync();
    } finally {
      await file.close();
    }
    await syncDirectory(this.root);
    for (const entry of batch) this.pending.delete(entry.log_id);
    this.options.observer.deadLettered(batch.length);
    this.options.logger.error('log_spool_dead_lettered', {
      entries: batch.length,
      status: error.status,
      code: error.code,
      log_ids: batch.map((e) => e.log_id),
    });
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const done of waiters) done();
  }

  // ------------------------------------------------------------------ compaction and recovery

  /**
   * Rewrites the spool with only the unacknowledged sets, then empties the ack file. Runs inside
   * the writer loop so no append can land in the file being replaced. The new file's handle is
   * open before it replaces the old file, and the old handle is given up only after that
   * succeeded, so a failed compaction leaves the spool as it was. A crash between the steps
   * leaves ack ids that match nothing (harmless) or sets already accepted (resent, idempotent).
   */
  private async compact(): Promise<void> {
    const keep = [...this.pending.values()].map((e) => `${JSON.stringify(e)}\n`).join('');
    const tmp = join(this.dir, `${SPOOL_FILE}.tmp`);
    await rm(tmp, { force: true });
    const next = await open(tmp, 'ax');
    try {
      await next.appendFile(keep);
      await next.datasync();
      await rename(tmp, join(this.dir, SPOOL_FILE));
    } catch (error) {
      await next.close();
      await rm(tmp, { force: true }).catch(() => undefined);
      throw error;
    }
    const previous = this.spoolFile;
    this.spoolFile = next;
    this.spoolBytes = Buffer.byteLength(keep);
    this.tornTail = false;
    await previous.close().catch(() => undefined);
    await syncDirectory(this.dir);
    await this.ackedFile.truncate(0);
  }

  private async adoptOrphans(): Promise<void> {
    const deadLetters = await readDeadLetterIds(this.root);
    for (const name of await readdir(this.root)) {
      const path = join(this.root, name);
      if (path === this.dir || name === DEAD_LETTER_FILE || name.startsWith(CREATING_PREFIX))
        continue;
      if (!name.startsWith(ADOPTING_PREFIX) && !(await this.isOrphan(path))) continue;
      // Renaming claims the directory: if two processes race, only one rename succeeds.
      const claimed = join(this.root, `${ADOPTING_PREFIX}${randomUUID().slice(0, 8)}`);
      try {
        await rename(path, claimed);
      } catch {
        continue;
      }
      const { entries, skipped } = await readUnacknowledged(claimed, deadLetters);
      const fresh = entries.filter((entry) => !this.pending.has(entry.log_id));
      if (fresh.length > 0) await this.write(fresh);
      await rm(claimed, { recursive: true, force: true });
      this.options.logger.info('log_spool_recovered', {
        entries: fresh.length,
        unreadable_lines: skipped,
      });
    }
  }

  private async isOrphan(path: string): Promise<boolean> {
    let owner: Owner;
    try {
      owner = ownerSchema.parse(JSON.parse(await readFile(join(path, OWNER_FILE), 'utf8')));
    } catch {
      // Not a spool directory (a stray file, or no readable owner): leave it alone.
      return false;
    }
    const self = await currentOwner();
    if (owner.host !== self.host) return true;
    if (owner.boot !== undefined && self.boot !== undefined && owner.boot !== self.boot)
      return true;
    if (!isAlive(owner.pid)) return true;
    if (owner.started === undefined) return false;
    const started = await readStartTime(owner.pid);
    return started !== undefined && started !== owner.started;
  }
}
