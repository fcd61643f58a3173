/**
 * The edge API as the voice agent (or any other service) calls it: a typed `hc<App>` client with
 * service auth. Every answer is parsed with the shared zod schema before it is used, and every
 * failure becomes an ApiRequestError that says whether trying again can help.
 *
 * Only an answer in the API's own error format (`{"error":{"code","message"}}`) counts as the
 * API's verdict. Anything else (an HTML page from a proxy, a body that does not parse) may have
 * come from something in between, so it is treated as a transient failure.
 */
import { hc } from 'hono/client';
import type { App } from '../workers/app.ts';
import {
  type CoachingContext,
  coachingContextSchema,
  ERROR_CODES,
  errorBodySchema,
  type LogEntry,
  type SpecialistQueryRequest,
  type SpecialistQueryResponse,
  type StoreSessionSummaryRequest,
  specialistQueryResponseSchema,
} from './schemas.ts';

export class ApiRequestError extends Error {
  /** The HTTP status, or undefined when no answer arrived (network error, timeout). */
  readonly status: number | undefined;
  /**
   * The API's error code (`bad_request`, ...), or one of this client's own: `network`,
   * `timeout`, `http_error` (an error answer not in the API's format), `bad_response`.
   */
  readonly code: string;
  /** Whether the answer was the API's own error body, i.e. the API itself said no. */
  readonly fromApi: boolean;

  constructor(status: number | undefined, code: string, message: string) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
    this.fromApi = status !== undefined && (ERROR_CODES as readonly string[]).includes(code);
  }

  /**
   * Whether the same request may succeed later. Only the API's own 4xx is final, except 401/403
   * (credentials are a deployment problem, fixed without touching the request), 408 and 429.
   */
  get retryable(): boolean {
    if (!this.fromApi || this.status === undefined || this.status >= 500) return true;
    return [401, 403, 408, 429].includes(this.status);
  }

  /**
   * Whether the API refused the content of the request (400, 413, 422 in its own error format):
   * the same request can never succeed, though a part of it might.
   */
  get refusesContent(): boolean {
    return this.fromApi && [400, 413, 422].includes(this.status ?? 0);
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  serviceToken: string;
  /** Defaults to the global fetch; tests pass `app.request` to skip the network. */
  fetch?: typeof fetch;
}

export interface EdgeApi {
  /** Whether the API answers its liveness probe (`GET /health/live`, which touches nothing). */
  isLive(signal?: AbortSignal): Promise<boolean>;
  /** The user's coaching context, or null when the user has no profile (404). */
  getContext(userId: string, signal?: AbortSignal): Promise<CoachingContext | null>;
  /**
   * Hands a batch (1 to 100 sets) to the API; resolves once the API answered 2xx. The body of
   * that answer is not needed: the sets are stored, whatever it says.
   */
  ingestLogs(entries: readonly LogEntry[], signal?: AbortSignal): Promise<void>;
  askSpecialist(
    request: SpecialistQueryRequest,
    signal?: AbortSignal,
  ): Promise<SpecialistQueryResponse>;
  /** Stores (or replaces) a session's summary; idempotent, so a retry is always safe. */
  storeSessionSummary(
    roomName: string,
    request: StoreSessionSummaryRequest,
    signal?: AbortSignal,
  ): Promise<void>;
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
    async isLive(signal) {
      try {
        const response = await client.health.live.$get(undefined, init(signal));
        // Read as JSON like every other answer, which also releases the connection.
        await response.json().catch(() => undefined);
        return response.ok;
      } catch {
        return false;
      }
    },

    async getContext(userId, signal) {
      const response = await send(() =>
        client.v1.users[':user_id'].context.$get({ param: { user_id: userId } }, init(signal)),
      );
      if (!response.ok) {
        const error = await failure(response);
        // Only the API's own 404 means "no profile"; a 404 page from a proxy or a wrong
        // API_BASE_URL must not end a session as if the user did not exist.
        if (error.status === 404 && error.fromApi) return null;
        throw error;
      }
      return parse(response, coachingContextSchema);
    },

    async ingestLogs(entries, signal) {
      const response = await send(() =>
        client.v1.logs.$post({ json: { entries: [...entries] } }, init(signal)),
      );
      if (!response.ok) throw await failure(response);
      // Read (and so release) the body without judging it: a 2xx means the sets are stored.
      await response.arrayBuffer().catch(() => undefined);
    },

    async askSpecialist(request, signal) {
      const response = await send(() =>
        client.v1.specialists.query.$post({ json: request }, init(signal)),
      );
      if (!response.ok) throw await failure(response);
      return parse(response, specialistQueryResponseSchema);
    },

    async storeSessionSummary(roomName, request, signal) {
      const response = await send(() =>
        client.v1['voice-sessions'][':room_name'].summary.$put(
          { param: { room_name: roomName }, json: request },
          init(signal),
        ),
      );
      if (!response.ok) throw await failure(response);
      await response.arrayBuffer().catch(() => undefined);
    },
  };
}
