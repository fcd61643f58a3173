/** Picks the log queue and its callback verifier the configuration names. */
import type { ApiConfig } from '../../config.ts';
import type { DeliverLogs } from '../../logs/deliver.ts';
import type { CallbackVerifier, Logger, LogQueue } from '../../ports.ts';
import { createInProcessLogQueue } from './in-process.ts';
import { createQStashLogQueue } from './qstash.ts';
import { createQStashVerifier, rejectAllCallbacks } from './verifier.ts';

export function createLogQueue(
  config: ApiConfig['queue'],
  deliver: DeliverLogs,
  logger: Logger,
): LogQueue {
  return config.kind === 'qstash'
    ? createQStashLogQueue({
        url: config.url,
        token: config.token,
        callbackUrl: config.callbackUrl,
      })
    : createInProcessLogQueue({ deliver, logger });
}

export function createCallbackVerifier(config: ApiConfig['queue']): CallbackVerifier {
  return config.kind === 'qstash'
    ? createQStashVerifier({
        currentSigningKey: config.currentSigningKey,
        nextSigningKey: config.nextSigningKey,
      })
    : rejectAllCallbacks;
}
