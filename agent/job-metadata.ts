/**
 * Which user and agent type a job is for. The explicit dispatch's metadata is authoritative; the
 * room's metadata (set by the same edge API call) is the fallback for rooms without it.
 */
import { parseSessionMetadata, type SessionMetadataResult } from '../shared/session-metadata.ts';

export function readSessionMetadata(
  dispatchMetadata: string | undefined,
  roomMetadata: string | undefined,
): SessionMetadataResult {
  const source = dispatchMetadata?.trim() ? dispatchMetadata : roomMetadata;
  if (!source?.trim()) {
    return { success: false, error: 'the job carries no session metadata (dispatch or room)' };
  }
  return parseSessionMetadata(source);
}
