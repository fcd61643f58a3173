/**
 * What a voice session achieved, stored by the agent with the session's row. The next session's
 * context carries it (see workers/context/context-service.ts), so the coach picks up from there.
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  storeSessionSummaryRequestSchema,
  storeSessionSummaryResponseSchema,
} from '../../shared/schemas.ts';
import { notFound } from '../errors.ts';
import { requireAuth } from '../middleware/auth.ts';
import { bearerSecurity, errorResponse } from '../openapi.ts';
import { createRouter } from '../router.ts';

const roomParamsSchema = z.strictObject({
  room_name: z.string().min(1).max(128).openapi({ description: 'The room the API made' }),
});

const storeSummary = createRoute({
  method: 'put',
  path: '/{room_name}/summary',
  summary: "Store a voice session's summary",
  description:
    'Sets (or replaces) the summary of a session the API recorded for this user. The same ' +
    'request twice leaves the same row, so the agent may send it again after a failure. The ' +
    "user's cached context is dropped so the next session reads the summary.",
  security: bearerSecurity,
  middleware: [requireAuth('service')] as const,
  request: {
    params: roomParamsSchema,
    body: {
      content: { 'application/json': { schema: storeSessionSummaryRequestSchema } },
      required: true,
    },
  },
  responses: {
    200: {
      description: 'The summary is stored',
      content: { 'application/json': { schema: storeSessionSummaryResponseSchema } },
    },
    400: errorResponse('The body or the room name is invalid'),
    401: errorResponse('No or bad credentials'),
    403: errorResponse('Not a service token'),
    404: errorResponse('No session of this user has this room name'),
    503: errorResponse('The database is unavailable; retry later'),
  },
});

export const voiceSessionRoutes = createRouter().openapi(storeSummary, async (c) => {
  const { room_name } = c.req.valid('param');
  const { user_id, summary } = c.req.valid('json');
  const { repository, forgetContexts } = c.var.services;
  const stored = await repository.storeSessionSummary({
    roomName: room_name,
    userId: user_id,
    summary,
  });
  if (!stored) throw notFound('no session of this user has this room name');
  await forgetContexts([user_id]);
  return c.json({ room_name }, 200);
});
