/**
 * What a process and everything it started cost right now, read from Linux's /proc: CPU time
 * used so far and memory. The agent server forks one process per job (and keeps warm ones), so
 * its cost is the sum over the tree, not the main process alone. Resident memory (RSS) counts the
 * pages every Node process shares (the node binary itself, ~50 MB) once per process; the
 * proportional set size (PSS) splits them among the processes sharing them, so the sum over the
 * tree is what the machine really holds.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Linux reports CPU time in clock ticks of 1/100 s (`getconf CLK_TCK` on every common kernel). */
const TICKS_PER_SECOND = 100;

export interface ProcessSample {
  pid: number;
  ppid: number;
  /** User plus system CPU time so far. */
  cpuMs: number;
  rssBytes: number;
  pssBytes: number;
}

export interface TreeSample {
  /** The root first, then every descendant alive at the time of the sample. */
  processes: ProcessSample[];
  cpuMs: number;
  rssBytes: number;
  pssBytes: number;
  /** performance.now() when the sample was taken. */
  at: number;
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces. */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

async function sampleProcess(pid: number): Promise<ProcessSample | undefined> {
  try {
    const [stat, status, rollup] = await Promise.all([
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/status`, 'utf8'),
      // Readable for this user's own processes only; others count as 0 (the tree is ours).
      readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => ''),
    ]);
    const fields = statFields(stat);
    // After the name: state(0) ppid(1) ... utime(11) stime(12), per proc(5).
    const ppid = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssKb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0);
    const pssKb = Number(/^Pss:\s+(\d+) kB$/m.exec(rollup)?.[1] ?? 0);
    return {
      pid,
      ppid,
      cpuMs: (ticks * 1000) / TICKS_PER_SECOND,
      rssBytes: rssKb * 1024,
      pssBytes: pssKb * 1024,
    };
  } catch {
    // The process exited between the listing and the read.
    return undefined;
  }
}

export async function sampleTree(rootPid: number): Promise<TreeSample> {
  const at = performance.now();
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const all = (await Promise.all(pids.map(sampleProcess))).filter(
    (sample): sample is ProcessSample => sample !== undefined,
  );
  const children = new Map<number, ProcessSample[]>();
  for (const sample of all) {
    children.set(sample.ppid, [...(children.get(sample.ppid) ?? []), sample]);
  }
  const root = all.find((sample) => sample.pid === rootPid);
  const processes: ProcessSample[] = [];
  const queue = root ? [root] : [];
  for (let next = queue.shift(); next; next = queue.shift()) {
    processes.push(next);
    queue.push(...(children.get(next.pid) ?? []));
  }
  return {
    processes,
    cpuMs: processes.reduce((sum, p) => sum + p.cpuMs, 0),
    rssBytes: processes.reduce((sum, p) => sum + p.rssBytes, 0),
    pssBytes: processes.reduce((sum, p) => sum + p.pssBytes, 0),
    at,
  };
}

export const MB = 1024 * 1024;
