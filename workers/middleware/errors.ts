/** Turns anything thrown in a handler into the API's one JSON error shape. */
import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorName } from '../../shared/runtime.ts';
import type { ErrorCode } from '../../shared/schemas.ts';
import type { AppEnv } from '../app-env.ts';
import { ApiError, errorBody } from '../errors.ts';

const codeForStatus: Partial<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  429: 'rate_limited',
  503: 'unavailable',
};

export const handleError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) {
    return c.json(errorBody(error.code, error.message), error.status);
  }
  if (error instanceof HTTPException && error.status < 500) {
    // The contract has no 415: a body that is not JSON is bad input like any other.
    const status = (error.status === 415 ? 400 : error.status) as ContentfulStatusCode;
    // Hono's own exceptions (malformed JSON, for one) carry safe, client-facing messages.
    const message = error.message || 'the request could not be processed';
    return c.json(errorBody(codeForStatus[status] ?? 'bad_request', message), status);
  }
  c.var.services?.logger.error('unhandled_error', {
    request_id: c.var.requestId,
    path: c.req.routePath,
    // Only the class: a message can quote SQL, values or a provider's answer.
    error: errorName(error),
  });
  return c.json(errorBody('internal', 'something went wrong; please try again'), 500);
};

export const handleNotFound: NotFoundHandler<AppEnv> = (c) =>
  c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404);
