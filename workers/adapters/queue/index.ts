/** Picks the log queue and its callback verifier the configuration names. */
import type { ApiConfig } from '../../config.ts';
import type { DeliverLogs } from '../../logs/deliver.ts';
import type { CallbackVerifier, Logger, LogOutbox, LogQueue } from '../../ports.ts';
import { createInProcessLogQueue } from './in-process.ts';
import { createQStashLogQueue } from './qstash.ts';
import { createQStashVerifier, rejectAllCallbacks } from './verifier.ts';

export function createLogQueue(
  config: ApiConfig['queue'],
  deliver: DeliverLogs,
  logger: Logger,
  /** The database's outbox table; the in-process queue cannot keep accepted sets without it. */
  outbox: LogOutbox | undefined,
): LogQueue {
  if (config.kind === 'qstash') {
    return createQStashLogQueue({
      url: config.url,
      token: config.token,
      callbackUrl: config.callbackUrl,
    });
  }
  if (!outbox) throw new Error('the in-process log queue needs the database outbox');
  return createInProcessLogQueue({ outbox, deliver, logger });
}

export function createCallbackVerifier(config: ApiConfig['queue']): CallbackVerifier {
  return config.kind === 'qstash'
    ? createQStashVerifier({
        currentSigningKey: config.currentSigningKey,
        nextSigningKey: config.nextSigningKey,
      })
    : rejectAllCallbacks;
}
