/**
 * Keeps personal data out of the framework's log lines in a job process.
 *
 * @livekit/agents puts everything personal it logs under keys with a `pii` segment
 * (`lk.pii.arguments` holds tool arguments, `lk.pii.user_transcript` what the user said), some of
 * them at info and error level, so no log level both keeps our own info lines and hides them. Its
 * own redaction (`lk.redaction.enabled`, LIVEKIT_TELEMETRY_ALLOW_PII) only filters traces and logs
 * exported to LiveKit Cloud, never the process's stdout, and `initializeLogger` takes no pino
 * options. So the agent wraps the framework's pino logger in a child whose `formatters.log` drops
 * those keys from the fields of every log call, at every level, and installs it as the
 * framework's logger. There is no opt-out.
 *
 * What this does not reach, precisely:
 * - Bindings of child loggers (`logger.child({...})`): pino serializes them when the child is
 *   made, and `formatters.log` never sees them. The framework binds one personal key so:
 *   `lk.pii.room_name` on the JobContext's logger (job.js), which exists before the job's entry
 *   can install this. Room names are random ids the edge API makes
 *   (workers/livekit/session-token.ts), not personal data; the agent logs them as ids too.
 * - The agent server's main process, whose logger the CLI sets up with no hook for the agent.
 *   It runs no session; its one personal key is `lk.pii.ws_data` (a LiveKit message it could
 *   not read), at warn level.
 */
import { log } from '@livekit/agents';

/** The framework's own test for a personal field (telemetry/redaction.js, PII_SEGMENT_RE). */
const PERSONAL_KEY = /(^|\.)pii(\.|$)/i;

/**
 * Where the framework keeps its logger: a `Symbol.for` key (log_core.js) so every copy of the
 * package shares one logger. `log()` reads it on each call and the framework exports no setter.
 */
const FRAMEWORK_LOGGER = Symbol.for('@livekit/agents:logger');

type FrameworkLogger = ReturnType<typeof log>;

const redactedLoggers = new WeakSet<FrameworkLogger>();

export function isPersonalLogKey(key: string): boolean {
  return PERSONAL_KEY.test(key);
}

/** The log fields without the personal ones. */
export function withoutPersonalFields(fields: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => !isPersonalLogKey(key)));
}

/**
 * Makes the fields of every framework log call from now on in this process free of personal
 * ones (see the header for the bindings this cannot reach).
 * Call it after the framework has set up its logger (in a job process: at the start of the job's
 * entry function, because the framework installs a per-job logger just before calling it), and
 * before the session, its plugins and tools are created, since they take their logger then.
 */
export function redactFrameworkLogs(): void {
  const current = log();
  if (redactedLoggers.has(current)) return;
  const redacted = current.child({}, { formatters: { log: withoutPersonalFields } });
  redactedLoggers.add(redacted);
  (globalThis as Record<symbol, unknown>)[FRAMEWORK_LOGGER] = redacted;
}
