/**
 * "No one waits in silence": some seconds after a user joined a room, is a coach there? When it
 * is not (every agent server full, or none running), the user's app is told on the data topic
 * COACH_UNAVAILABLE_TOPIC and ops can count it: an `agent_missing` log line and Analytics Engine
 * data point. LiveKit drops a dispatch no agent server accepts and does not retry it, so nothing
 * else would ever notice.
 */
import type { AnalyticsDataPoint, AnalyticsSink } from '../analytics/sink.ts';
import type { Logger, RoomPresence } from '../ports.ts';

/** The data topic the app listens on (documented for mobile clients in the README). */
export const COACH_UNAVAILABLE_TOPIC = 'fvc.coach_unavailable';

/** The Analytics Engine row of a room left without a coach (blob1/index1 `agent_missing`). */
export const AGENT_MISSING = 'agent_missing';

export const AGENT_CHECK_OUTCOMES = ['agent_present', 'agent_missing', 'user_left'] as const;
export type AgentCheckOutcome = (typeof AGENT_CHECK_OUTCOMES)[number];

export interface AgentCheckInput {
  roomName: string;
  /** How long the user has been waiting (the configured agent join timeout). */
  waitedSeconds: number;
  rooms: RoomPresence;
  logger: Logger;
  analytics?: AnalyticsSink;
}

/** What the app receives: why, and how long it waited, so it can say so and offer a retry. */
export function coachUnavailableMessage(waitedSeconds: number): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ reason: 'no_agent', waited_seconds: waitedSeconds }),
  );
}

export function agentMissingDataPoint(waitedSeconds: number): AnalyticsDataPoint {
  return { indexes: [AGENT_MISSING], blobs: [AGENT_MISSING], doubles: [waitedSeconds * 1000] };
}

export async function checkAgentJoined(input: AgentCheckInput): Promise<AgentCheckOutcome> {
  const { roomName, waitedSeconds, rooms, logger } = input;
  const participants = await rooms.participants(roomName);
  if (participants?.some((p) => p.isAgent)) return 'agent_present';
  // The user left (or the room closed) before the check: nobody is waiting any more.
  if (!participants?.some((p) => !p.isAgent)) return 'user_left';
  // Room names are random ids the API makes (session-token.ts), not personal.
  logger.warn(AGENT_MISSING, { room_name: roomName, waited_seconds: waitedSeconds });
  input.analytics?.writeDataPoint(agentMissingDataPoint(waitedSeconds));
  await rooms.notify(roomName, COACH_UNAVAILABLE_TOPIC, coachUnavailableMessage(waitedSeconds));
  return 'agent_missing';
}
