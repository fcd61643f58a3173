/**
 * Reads the session metadata the edge API puts on a LiveKit room and its agent dispatch. The
 * agent calls this on `ctx.job.metadata` (falling back to the room's), so a malformed or foreign
 * string becomes a clear error value instead of a crash inside a live session.
 */
import { z } from 'zod';
import { type SessionMetadata, sessionMetadataSchema } from './schemas.ts';

export type SessionMetadataResult =
  | { success: true; data: SessionMetadata }
  | { success: false; error: string };

export function parseSessionMetadata(json: string): SessionMetadataResult {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { success: false, error: 'session metadata is not valid JSON' };
  }
  const parsed = sessionMetadataSchema.safeParse(value);
  if (!parsed.success) {
    return {
      success: false,
      error: `session metadata is invalid: ${z.prettifyError(parsed.error)}`,
    };
  }
  return { success: true, data: parsed.data };
}
