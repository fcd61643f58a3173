/**
 * Every sub-app is made here so that all of them turn validation failures into the API's one
 * error shape (a 400 naming each bad field) instead of zod's raw output.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.ts';
import { ApiError, describeIssues } from './errors.ts';

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === 'json' ? 'body' : result.target;
        throw new ApiError(400, 'bad_request', `invalid ${where}: ${describeIssues(result.error)}`);
      }
    },
  });
}
