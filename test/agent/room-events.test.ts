/**
 * What the agent publishes for the playground: a tool call as name, outcome and duration only
 * (the metrics are still told), valid against the page's schema, and nothing while the room is
 * not connected. The room is a small stand-in holding what was sent; the end-to-end path through
 * a real room is test/playground/browser.test.ts.
 */
import type { Room } from '@livekit/rtc-node';
import { describe, expect, it } from 'vitest';
import type { ToolCallMetrics } from '../../agent/metrics/job-metrics.ts';
import { RoomEventsPublisher } from '../../agent/room-events.ts';
import { parseRoomEvent, ROOM_EVENTS_TOPIC } from '../../shared/room-events.ts';
import { silentLogger } from '../../workers/logger.ts';

function recordingRoom(isConnected = true) {
  const sent: { text: string; topic: string | undefined }[] = [];
  const room = {
    isConnected,
    localParticipant: {
      async sendText(text: string, options?: { topic?: string }) {
        sent.push({ text, topic: options?.topic });
      },
    },
  };
  return { room: room as unknown as Room, sent };
}

function recordingMetrics() {
  const calls: unknown[][] = [];
  const metrics: ToolCallMetrics = {
    toolCall: (...args) => calls.push(['toolCall', ...args]),
    specialistCall: (...args) => calls.push(['specialistCall', ...args]),
  };
  return { metrics, calls };
}

describe('RoomEventsPublisher', () => {
  it('publishes each tool call as its name, outcome and duration, and still tells the metrics', async () => {
    const { room, sent } = recordingRoom();
    const { metrics, calls } = recordingMetrics();
    const observed = new RoomEventsPublisher(room, silentLogger).observeToolCalls(metrics);
    observed.toolCall('log_workout_set', 'rejected', 0.01234);
    observed.specialistCall('workout', 'ok', 0.8);
    await Promise.resolve();

    expect(calls).toEqual([
      ['toolCall', 'log_workout_set', 'rejected', 0.01234],
      ['specialistCall', 'workout', 'ok', 0.8],
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.topic).toBe(ROOM_EVENTS_TOPIC);
    expect(JSON.parse(sent[0]?.text ?? '')).toEqual({
      type: 'tool',
      tool: 'log_workout_set',
      outcome: 'rejected',
      duration_ms: 12.3,
    });
    expect(parseRoomEvent(sent[0]?.text ?? '')).not.toBeNull();
  });

  it("publishes a reply's latency as its parts, without the commit time the log line keeps", async () => {
    const { room, sent } = recordingRoom();
    new RoomEventsPublisher(room, silentLogger).publishTurn({
      committed_at: 1_796_000_000_000,
      eou_delay_ms: 310,
      transcription_delay_ms: 250,
      llm_ttft_ms: 350,
      tts_ttfb_ms: 90,
      end_to_end_ms: 750,
    });
    await Promise.resolve();
    expect(sent.map((s) => s.topic)).toEqual([ROOM_EVENTS_TOPIC]);
    expect(parseRoomEvent(sent[0]?.text ?? '')).toEqual({
      type: 'turn_latency',
      end_to_end_ms: 750,
      eou_delay_ms: 310,
      llm_ttft_ms: 350,
      tts_ttfb_ms: 90,
    });
  });

  it('sends nothing while the room is not connected, and nothing the schema refuses', async () => {
    const offline = recordingRoom(false);
    const { metrics } = recordingMetrics();
    new RoomEventsPublisher(offline.room, silentLogger)
      .observeToolCalls(metrics)
      .toolCall('get_todays_workout', 'ok', 0.001);
    const online = recordingRoom();
    new RoomEventsPublisher(online.room, silentLogger)
      .observeToolCalls(metrics)
      .toolCall('get_todays_workout', 'exploded', 0.001);
    await Promise.resolve();
    expect(offline.sent).toEqual([]);
    expect(online.sent).toEqual([]);
  });
});
