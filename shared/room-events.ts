/**
 * What the agent tells a watching client about its own work, beside the framework's transcripts
 * and state: each tool call as it ends and each reply's measured latency. Sent as one JSON text
 * per event on its own text-stream topic; the playground page parses every one with this schema,
 * so an event it does not know is ignored rather than shown wrong. A tool event names the tool,
 * its outcome and duration and never its arguments or result: those may quote the user.
 */
import { z } from 'zod';
import { parseJson } from './parse-json.ts';

export const ROOM_EVENTS_TOPIC = 'fvc.events';

const milliseconds = z.number().finite().nonnegative();

export const toolEventSchema = z.object({
  type: z.literal('tool'),
  tool: z.string().min(1).max(64),
  /** `rejected` is a refusal the model can act on (bad arguments, say); `failed` did not work. */
  outcome: z.enum(['ok', 'rejected', 'failed']),
  duration_ms: milliseconds,
});

/** One reply: the user went quiet, then the parts that add up to its first audio. */
export const turnLatencyEventSchema = z.object({
  type: z.literal('turn_latency'),
  /** End of speech to first audio: the three parts below added. */
  end_to_end_ms: milliseconds,
  eou_delay_ms: milliseconds,
  llm_ttft_ms: milliseconds,
  tts_ttfb_ms: milliseconds,
});

export const roomEventSchema = z.discriminatedUnion('type', [
  toolEventSchema,
  turnLatencyEventSchema,
]);

export type ToolEvent = z.infer<typeof toolEventSchema>;
export type TurnLatencyEvent = z.infer<typeof turnLatencyEventSchema>;
export type RoomEvent = z.infer<typeof roomEventSchema>;

/** The event in `text`, or null for anything that is not a known event (bad JSON included). */
export function parseRoomEvent(text: string): RoomEvent | null {
  const parsed = parseJson(roomEventSchema, text);
  return parsed.success ? parsed.data : null;
}
