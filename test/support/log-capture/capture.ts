/**
 * Log capture for the whole test run: every line a test worker writes to stdout or stderr, every
 * console call (vitest hands those to the main process) and every line of a child process a test
 * starts is appended to a file under the run's capture directory; at the end of the run
 * (global.ts) every captured line is searched for secrets and the demo users' personal details.
 * Output a test deliberately intercepts itself (a spy on process.stdout.write) is not captured.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEED_USERS } from '../../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../../shared/dev-defaults.ts';

export const CAPTURE_DIR_VARIABLE = 'TEST_LOG_CAPTURE_DIR';

/** Appends text to this process's capture file, when the run captures. */
export function captureOutput(text: string): void {
  const dir = process.env[CAPTURE_DIR_VARIABLE];
  if (!dir || text.length === 0) return;
  appendFileSync(join(dir, `${process.pid}.log`), text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Values that must never be in a log line, each with the name the report uses (never the value).
 * Secrets shorter than 12 characters (the dev LiveKit pair `devkey` / `secret`) are words that
 * occur in ordinary lines, so they cannot be searched for meaningfully and are left out.
 */
export function forbiddenValues(): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of Object.entries(DEV_DEFAULTS)) {
    if (/SECRET|TOKEN|KEY|PASSWORD/.test(name) && typeof value === 'string' && value.length >= 12) {
      values.set(value, name);
    }
  }
  for (const seed of SEED_USERS) {
    values.set(seed.user.email, `a demo user's email`);
    values.set(seed.profile.name, `a demo user's name`);
  }
  return values;
}

/** Three base64url segments whose header and payload are JSON objects: a JWT. */
const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{16,}/;

/** What a captured text leaks, one description per kind found. */
export function findLeaks(text: string): string[] {
  const found = new Set<string>();
  for (const [value, name] of forbiddenValues()) if (text.includes(value)) found.add(name);
  if (JWT.test(text)) found.add('a JWT');
  return [...found];
}
