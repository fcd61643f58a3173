/** Per-user reads: the coaching context (cached) and the logged sets. */
import { createRoute, z } from '@hono/zod-openapi';
import {
  coachingContextSchema,
  listWorkoutLogsQuerySchema,
  userIdSchema,
  workoutLogListSchema,
} from '../../shared/schemas.ts';
import { evictCoachingContext, getCoachingContext } from '../context/context-service.ts';
import { notFound } from '../errors.ts';
import { assertCanAccess, requireAuth } from '../middleware/auth.ts';
import { bearerSecurity, errorResponse } from '../openapi.ts';
import { createRouter } from '../router.ts';

const userParamsSchema = z.strictObject({ user_id: userIdSchema });

const commonErrors = {
  400: errorResponse('The user id is not a UUID, or the query is invalid'),
  401: errorResponse('No or invalid credentials'),
  403: errorResponse('A user asked for another user'),
} as const;

const getContext = createRoute({
  method: 'get',
  path: '/{user_id}/context',
  summary: "A user's coaching context for their local today",
  security: bearerSecurity,
  middleware: [requireAuth('user', 'service')] as const,
  request: { params: userParamsSchema },
  responses: {
    200: {
      description: 'Profile, preferences, plans and today’s workout and meals',
      content: { 'application/json': { schema: coachingContextSchema } },
    },
    ...commonErrors,
    404: errorResponse('The user has no profile'),
  },
});

const evictContext = createRoute({
  method: 'delete',
  path: '/{user_id}/context',
  summary: "Drop a user's cached context (after their plans changed)",
  security: bearerSecurity,
  middleware: [requireAuth('service')] as const,
  request: { params: userParamsSchema },
  responses: {
    204: { description: 'The cached context, if any, is gone' },
    ...commonErrors,
    503: errorResponse('The cache is unavailable'),
  },
});

const listWorkoutLogs = createRoute({
  method: 'get',
  path: '/{user_id}/workout-logs',
  summary: "A user's logged sets, newest first",
  security: bearerSecurity,
  middleware: [requireAuth('user', 'service')] as const,
  request: { params: userParamsSchema, query: listWorkoutLogsQuerySchema },
  responses: {
    200: {
      description: 'The logged sets',
      content: { 'application/json': { schema: workoutLogListSchema } },
    },
    ...commonErrors,
    404: errorResponse('The user does not exist'),
  },
});

export const userRoutes = createRouter()
  .openapi(getContext, async (c) => {
    const { user_id } = c.req.valid('param');
    assertCanAccess(c.var.principal, user_id);
    const context = await getCoachingContext(c.var.services, user_id);
    if (!context) throw notFound('no coaching profile exists for this user');
    return c.json(context, 200);
  })
  .openapi(evictContext, async (c) => {
    const { user_id } = c.req.valid('param');
    await evictCoachingContext(c.var.services, user_id);
    return c.body(null, 204);
  })
  .openapi(listWorkoutLogs, async (c) => {
    const { user_id } = c.req.valid('param');
    const { since, limit } = c.req.valid('query');
    assertCanAccess(c.var.principal, user_id);
    const { repository } = c.var.services;
    if (!(await repository.findExistingUserIds([user_id])).has(user_id)) {
      throw notFound('no such user');
    }
    const logs = await repository.listWorkoutLogs(user_id, {
      since: since === undefined ? undefined : new Date(since),
      limit,
    });
    return c.json({ logs }, 200);
  });
