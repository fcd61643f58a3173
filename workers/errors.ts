/**
 * The one error shape of the API: `{"error": {"code", "message"}}`. Anything thrown that is not an
 * ApiError becomes a 500 with a generic message; its details go to the log, never to the client.
 */
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { ErrorBody, ErrorCode } from '../shared/schemas.ts';

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;

  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export const badRequest = (message: string) => new ApiError(400, 'bad_request', message);
export const unauthorized = (message = 'missing or invalid credentials') =>
  new ApiError(401, 'unauthorized', message);
export const forbidden = (message = 'you may only access your own data') =>
  new ApiError(403, 'forbidden', message);
export const notFound = (message: string) => new ApiError(404, 'not_found', message);
export const unavailable = (message: string) => new ApiError(503, 'unavailable', message);

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Turns zod issues into one readable sentence naming each bad field, e.g. `entries.3.reps: must be at least 1`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => {
      const path = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const where = path ? `${path}: ` : '';
        return `${where}unknown field(s) ${issue.keys.join(', ')}`;
      }
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
