/**
 * The edge API as the voice agent (or any other service) calls it: a typed `hc<App>` client with
 * service auth. Every answer is parsed with the shared zod schema before it is used, and every
 * failure becomes an ApiRequestError that says whether trying again can help.
 */
import { hc } from 'hono/client';
import type { App } from '../workers/app.ts';
import {
  type CoachingContext,
  coachingContextSchema,
  errorBodySchema,
  ingestLogsResponseSchema,
  type LogEntry,
  type SpecialistQueryRequest,
  type SpecialistQueryResponse,
  specialistQueryResponseSchema,
} from './schemas.ts';

export class ApiRequestError extends Error {
  /** The HTTP status, or undefined when no answer arrived (network error, timeout). */
  readonly status: number | undefined;
  /** The API's error code (`bad_request`, ...) or `network` / `bad_response`. */
  readonly code: string;

  constructor(status: number | undefined, code: string, message: string) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
  }

  /**
   * Whether the same request may succeed later. A 4xx is permanent except 401/403 (credentials
   * are a deployment problem, fixed without touching the request), 408 and 429.
   */
  get retryable(): boolean {
    if (this.status === undefined || this.status >= 500) return true;
    return [401, 403, 408, 429].includes(this.status);
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  serviceToken: string;
  /** Defaults to the global fetch; tests pass `app.request` to skip the network. */
  fetch?: typeof fetch;
}

export interface EdgeApi {
  /** The user's coaching context, or null when the user has no profile (404). */
  getContext(userId: string, signal?: AbortSignal): Promise<CoachingContext | null>;
  /** Hands a batch (1 to 100 sets) to the API; resolves with how many it accepted. */
  ingestLogs(entries: readonly LogEntry[], signal?: AbortSignal): Promise<number>;
  askSpecialist(
    request: SpecialistQueryRequest,
    signal?: AbortSignal,
  ): Promise<SpecialistQueryResponse>;
}

async function send(request: () => Promise<Response>): Promise<Response> {
  try {
    return await request();
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new ApiRequestError(
      undefined,
      timedOut ? 'timeout' : 'network',
      timedOut ? 'the API did not answer in time' : 'the API could not be reached',
    );
  }
}

async function failure(response: Response): Promise<ApiRequestError> {
  const body = errorBodySchema.safeParse(await response.json().catch(() => null));
  const code = body.success ? body.data.error.code : 'http_error';
  const message = body.success ? body.data.error.message : `HTTP ${response.status}`;
  return new ApiRequestError(response.status, code, message);
}

async function parse<T>(
  response: Response,
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
): Promise<T> {
  const parsed = schema.safeParse(await response.json().catch(() => null));
  if (!parsed.success) {
    throw new ApiRequestError(
      response.status,
      'bad_response',
      'the API answered an unexpected body',
    );
  }
  return parsed.data;
}

export function createApiClient(options: ApiClientOptions): EdgeApi {
  const client = hc<App>(options.baseUrl, {
    headers: { authorization: `Bearer ${options.serviceToken}` },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const init = (signal: AbortSignal | undefined) => (signal ? { init: { signal } } : undefined);

  return {
    async getContext(userId, signal) {
      const response = await send(() =>
        client.v1.users[':user_id'].context.$get({ param: { user_id: userId } }, init(signal)),
      );
      if (response.status === 404) return null;
      if (!response.ok) throw await failure(response);
      return parse(response, coachingContextSchema);
    },

    async ingestLogs(entries, signal) {
      const response = await send(() =>
        client.v1.logs.$post({ json: { entries: [...entries] } }, init(signal)),
      );
      if (!response.ok) throw await failure(response);
      return (await parse(response, ingestLogsResponseSchema)).accepted;
    },

    async askSpecialist(request, signal) {
      const response = await send(() =>
        client.v1.specialists.query.$post({ json: request }, init(signal)),
      );
      if (!response.ok) throw await failure(response);
      return parse(response, specialistQueryResponseSchema);
    },
  };
}
