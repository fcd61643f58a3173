/** RoomPresence (ports.ts) on LiveKit's RoomService API, through livekit-server-sdk. */
import { DataPacket_Kind, RoomServiceClient, ServerError } from 'livekit-server-sdk';
import type { ApiConfig } from '../config.ts';
import type { RoomPresence } from '../ports.ts';

/**
 * ParticipantInfo.Kind.AGENT in LiveKit's protocol (livekit_models.proto); the SDK does not
 * re-export the enum.
 */
export const AGENT_KIND = 4;

export function createRoomPresence(
  livekit: Pick<ApiConfig['livekit'], 'url' | 'apiKey' | 'apiSecret'>,
): RoomPresence {
  const rooms = new RoomServiceClient(livekit.url, livekit.apiKey, livekit.apiSecret);
  return {
    async participants(roomName) {
      try {
        const participants = await rooms.listParticipants(roomName);
        return participants.map((p) => ({ isAgent: p.kind === AGENT_KIND }));
      } catch (error) {
        // LiveKit answers not_found for a room that has closed (or never opened).
        if (error instanceof ServerError && error.status === 404) return null;
        throw error;
      }
    },
    async notify(roomName, topic, payload) {
      await rooms.sendData(roomName, payload, DataPacket_Kind.RELIABLE, { topic });
    },
  };
}
