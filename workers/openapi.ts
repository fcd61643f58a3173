/**
 * OpenAPI fragments the route modules share, so /openapi.json describes errors and credentials
 * the same way on every route.
 */
import { errorBodySchema } from '../shared/schemas.ts';

/** A response with the API's one error body (workers/errors.ts). */
export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorBodySchema } },
});

/**
 * The security requirement of a route behind `requireAuth`: a bearer token, whose scheme
 * workers/app.ts registers under this name.
 */
export const bearerSecurity = [{ bearer: [] }];
