/**
 * Publishes to the room what a watching client (the playground page) shows beside the
 * conversation: each tool call as it ends, from the same measurement the tool wrapper already
 * makes for the metrics (agent/tools.ts `instrumented`), and each reply's latency with its parts,
 * from the same joining of the framework's metrics the session summary uses (SessionStats).
 * Events follow shared/room-events.ts; a tool event never carries arguments or results.
 */
import type { voice } from '@livekit/agents';
import type { Room } from '@livekit/rtc-node';
import { ROOM_EVENTS_TOPIC, type RoomEvent, roomEventSchema } from '../shared/room-events.ts';
import { errorName, type Logger } from '../shared/runtime.ts';
import type { ToolCallMetrics } from './metrics/job-metrics.ts';
import { SessionStats } from './session-stats.ts';

const round = (milliseconds: number) => Math.round(milliseconds * 10) / 10;

export class RoomEventsPublisher {
  readonly #room: Room;
  readonly #logger: Logger;

  constructor(room: Room, logger: Logger) {
    this.#room = room;
    this.#logger = logger;
  }

  /** `metrics` as it is, plus an event for every tool call it is told about. */
  observeToolCalls(metrics: ToolCallMetrics): ToolCallMetrics {
    return {
      toolCall: (tool, outcome, seconds) => {
        metrics.toolCall(tool, outcome, seconds);
        this.publish({ type: 'tool', tool, outcome, duration_ms: round(seconds * 1000) });
      },
      specialistCall: (specialist, outcome, seconds) =>
        metrics.specialistCall(specialist, outcome, seconds),
    };
  }

  /** Publishes each reply's latency from the session's metrics events. */
  attach(session: voice.AgentSession): void {
    const replies = new SessionStats(Date.now(), undefined, (reply) =>
      this.publish({
        type: 'turn_latency',
        end_to_end_ms: round(reply.endToEndMs),
        eou_delay_ms: round(reply.eouDelayMs),
        llm_ttft_ms: round(reply.llmTtftMs),
        tts_ttfb_ms: round(reply.ttsTtfbMs),
      }),
    );
    replies.attach(session);
  }

  /** Best effort: an event that cannot be sent is logged and the session goes on. */
  private publish(candidate: Pick<RoomEvent, 'type'> & Record<string, unknown>): void {
    const event = roomEventSchema.safeParse(candidate);
    if (!event.success) {
      this.#logger.warn('room_event_invalid', { type: candidate.type });
      return;
    }
    const participant = this.#room.localParticipant;
    if (!participant || !this.#room.isConnected) return;
    participant
      .sendText(JSON.stringify(event.data), { topic: ROOM_EVENTS_TOPIC })
      .catch((error: unknown) =>
        this.#logger.warn('room_event_not_sent', {
          type: event.data.type,
          error: errorName(error),
        }),
      );
  }
}
