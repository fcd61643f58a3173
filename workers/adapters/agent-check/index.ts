/**
 * Schedules the delayed "did a coach join?" check of a room (see AgentCheckScheduler in ports.ts):
 * a delayed QStash message when QStash is configured, a timer in this process otherwise.
 */
import { Client } from '@upstash/qstash';
import type { ApiConfig } from '../../config.ts';
import type { AgentCheckScheduler, Logger } from '../../ports.ts';

/** A check that cannot reach LiveKit is retried this often by QStash, then dropped. */
const CHECK_RETRIES = 2;

export function createAgentCheckScheduler(
  config: ApiConfig['queue'],
  logger: Logger,
): AgentCheckScheduler {
  if (config.kind === 'qstash') {
    const client = new Client({
      baseUrl: config.url,
      token: config.token,
      devMode: false,
      enableTelemetry: false,
    });
    return {
      async schedule({ roomName, delaySeconds }) {
        await client.publishJSON({
          url: config.agentCheckUrl,
          body: { room_name: roomName },
          delay: delaySeconds,
          // A user who reconnects joins again: one check per room is enough.
          deduplicationId: `agent-check-${roomName}`,
          retries: CHECK_RETRIES,
        });
      },
    };
  }
  return {
    async schedule({ delaySeconds }, run) {
      const timer = setTimeout(() => {
        run().catch((error: unknown) => {
          logger.warn('agent_check_failed', {
            error: error instanceof Error ? error.name : 'unknown',
          });
        });
      }, delaySeconds * 1000);
      // A pending check must not keep a local server or a test process alive.
      (timer as { unref?: () => void }).unref?.();
    },
  };
}
