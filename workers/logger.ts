/**
 * One JSON object per line, which Workers Logs, Fly.io and any log shipper parse as they are.
 * Callers pass only ids, counts, durations and codes: never secrets or personal data.
 */
import type { Logger } from './ports.ts';

type Level = 'info' | 'warn' | 'error';

export function createJsonLogger(
  component: string,
  write: (line: string) => void = (line) => console.log(line),
): Logger {
  const emit = (level: Level, event: string, fields?: Record<string, unknown>) =>
    write(JSON.stringify({ time: new Date().toISOString(), level, component, event, ...fields }));
  return {
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  };
}

/** For tests and benchmarks that must not print. */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
