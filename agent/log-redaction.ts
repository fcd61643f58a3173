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
 * Two framework lines carry a personal key this could not reach on its own, both closed by
 * `redactChildLoggers()`, which makes every child logger drop personal keys from its bindings and
 * from the fields of each call:
 * - `lk.pii.room_name`, bound on the JobContext's child logger (job.js) before the job's entry
 *   runs: the child patch is installed in prewarm, which runs before any job is handed over.
 * - `lk.pii.ws_data` in the agent server's main process (worker.js, a LiveKit message it could
 *   not read, at warn level), logged on the server's child logger, made when the CLI starts the
 *   server: the patch is installed before `cli.runApp`.
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
  redactChildLoggers();
  const current = log();
  if (redactedLoggers.has(current)) return;
  const redacted = current.child({}, { formatters: { log: withoutPersonalFields } });
  redactedLoggers.add(redacted);
  (globalThis as Record<symbol, unknown>)[FRAMEWORK_LOGGER] = redacted;
}

type ChildOptions = { formatters?: { log?: (fields: object) => object } } & Record<string, unknown>;
type ChildMethod = (
  this: FrameworkLogger,
  bindings: object,
  options?: ChildOptions,
) => FrameworkLogger;
type ChildOwner = { child: ChildMethod; [REDACTED_CHILDREN]?: true };

const REDACTED_CHILDREN = Symbol.for('fitness-coach:redacted-child-loggers');

/** The object in the logger's prototype chain that holds `child`: pino's shared prototype. */
function childOwner(logger: FrameworkLogger): ChildOwner | null {
  for (let at: object | null = logger; at; at = Object.getPrototypeOf(at)) {
    if (Object.hasOwn(at, 'child')) return at as ChildOwner;
  }
  return null;
}

/**
 * From now on every pino child logger in this process (the framework's and any made later, since
 * they share pino's prototype) leaves personal keys out of its bindings and out of the fields of
 * every call on it. pino serializes bindings when the child is made, so only wrapping `child`
 * itself reaches them. Needs the framework's logger to exist (see the header for when).
 */
export function redactChildLoggers(): void {
  const owner = childOwner(log());
  if (!owner || owner[REDACTED_CHILDREN]) return;
  const child = owner.child;
  owner.child = function redactedChild(bindings, options = {}) {
    const callerFormatter = options.formatters?.log;
    return child.call(this, withoutPersonalFields(bindings), {
      ...options,
      formatters: {
        ...options.formatters,
        log: (fields: object) =>
          withoutPersonalFields(callerFormatter ? callerFormatter(fields) : fields),
      },
    });
  };
  owner[REDACTED_CHILDREN] = true;
}
