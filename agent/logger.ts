/**
 * The agent's structured log lines, written through the framework's logger so they share its
 * output, level and OpenTelemetry export. Fields carry ids, counts, durations and codes only.
 */
import { log } from '@livekit/agents';
import type { Logger } from '../shared/runtime.ts';

export function createAgentLogger(component: string, base: Record<string, unknown> = {}): Logger {
  // log() is resolved per line: the framework initializes its logger after this module loads.
  const emit = (
    level: 'info' | 'warn' | 'error',
    event: string,
    fields?: Record<string, unknown>,
  ) => log()[level]({ component, event, ...base, ...fields }, event);
  return {
    info: (event, fields) => emit('info', event, fields),
    warn: (event, fields) => emit('warn', event, fields),
    error: (event, fields) => emit('error', event, fields),
  };
}
