/**
 * The node projects' global setup: opens the run's capture directory before any worker starts
 * (workers inherit its path through the environment) and, once every test has run, fails the run
 * if any captured line holds a secret, a JWT or a demo user's name or email.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CAPTURE_DIR_VARIABLE, findLeaks } from './capture.ts';

export function setup(): () => void {
  // Both node projects (the real-time voice files run as their own) share one capture: the
  // first setup opens it and checks it at the end.
  if (process.env[CAPTURE_DIR_VARIABLE]) return () => undefined;
  const dir = mkdtempSync(join(tmpdir(), 'test-log-capture-'));
  process.env[CAPTURE_DIR_VARIABLE] = dir;
  return () => {
    const leaks: string[] = [];
    let lines = 0;
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        lines++;
        for (const leak of findLeaks(line)) leaks.push(`${leak} in a line of process ${file}`);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (leaks.length > 0) {
      throw new Error(
        `log capture: ${leaks.length} leak(s) in ${lines} captured lines:\n${[...new Set(leaks)].join('\n')}`,
      );
    }
    console.info(`log capture: ${lines} captured lines, no secret, JWT or demo user detail`);
  };
}
