/**
 * Publishes to the room what a watching client (the playground page) shows beside the
 * conversation: each tool call as it ends, from the same measurement the tool wrapper already
 * makes for the metrics (agent/tools.ts `instrumented`), and each reply's latency with its parts,
 * as the session's SessionStats joins it for the summary and the per-turn log line.
 * Events follow shared/room-events.ts; a tool event never carries arguments or results.
 */
import type { Room } from '@livekit/rtc-node';
import { ROOM_EVENTS_TOPIC, type RoomEvent, roomEventSchema } from '../shared/room-events.ts';
import { roundToTenth } from '../shared/round.ts';
import { errorName, type Logger } from '../shared/runtime.ts';
import type { ToolCallMetrics } from './metrics/job-metrics.ts';
import type { TurnLatency } from './session-stats.ts';

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
        this.publish({ type: 'tool', tool, outcome, duration_ms: roundToTenth(seconds * 1000) });
      },
      specialistCall: (specialist, outcome, seconds) =>
        metrics.specialistCall(specialist, outcome, seconds),
    };
  }

  /** Publishes one reply's latency, as the session's SessionStats joined it (agent/session.ts). */
  publishTurn(turn: TurnLatency): void {
    this.publish({
      type: 'turn_latency',
      end_to_end_ms: turn.end_to_end_ms,
      eou_delay_ms: turn.eou_delay_ms,
      llm_ttft_ms: turn.llm_ttft_ms,
      tts_ttfb_ms: turn.tts_ttfb_ms,
    });
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
