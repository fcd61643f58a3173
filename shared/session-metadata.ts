/**
 * Reads the session metadata the edge API puts on a LiveKit room and its agent dispatch. The
 * agent calls this on `ctx.job.metadata` (falling back to the room's), so a malformed or foreign
 * string becomes a clear error value instead of a crash inside a live session.
 */
import { z } from 'zod';
import { parseJson } from './parse-json.ts';
import { type SessionMetadata, sessionMetadataSchema } from './schemas.ts';

export type SessionMetadataResult =
  | { success: true; data: SessionMetadata }
  | { success: false; error: string };

export function parseSessionMetadata(json: string): SessionMetadataResult {
  const parsed = parseJson(sessionMetadataSchema, json);
  if (parsed.success) return parsed;
  return {
    success: false,
    error: parsed.issues
      ? `session metadata is invalid: ${z.prettifyError(parsed.issues)}`
      : 'session metadata is not valid JSON',
  };
}
