/** `POST /v1/specialists/query`: a question answered by one of the orchestrator's specialists. */
import { createRoute } from '@hono/zod-openapi';
import { PROVIDER_KEY_VARIABLES } from '../../shared/llm-providers.ts';
import { errorName } from '../../shared/runtime.ts';
import {
  specialistQueryRequestSchema,
  specialistQueryResponseSchema,
} from '../../shared/schemas.ts';
import { ApiError, notFound, unavailable } from '../errors.ts';
import { assertCanAccess, requireAuth } from '../middleware/auth.ts';
import { requireUtf8Body } from '../middleware/utf8-body.ts';
import { bearerSecurity, errorResponse } from '../openapi.ts';
import {
  SPECIALIST_UNAVAILABLE_MESSAGE,
  SpecialistUnavailableError,
  UnknownUserError,
} from '../orchestrator/index.ts';
import { createRouter } from '../router.ts';

export const ORCHESTRATOR_NOT_CONFIGURED_MESSAGE =
  'specialists are not configured: set ORCHESTRATOR_LLM_PROVIDER (openai, anthropic or google) ' +
  `and that provider's key (${Object.values(PROVIDER_KEY_VARIABLES).join(', ')})`;

const querySpecialist = createRoute({
  method: 'post',
  path: '/query',
  summary: 'Ask a specialist',
  description:
    'Routes the question to the named specialist, or classifies it when none is named, and ' +
    'answers in short spoken sentences from the user’s own plans and logs. A failure or an ' +
    'answer that would take longer than about two seconds gives 503 specialist_unavailable, ' +
    'whose message can be spoken to the user as it is.',
  security: bearerSecurity,
  middleware: [requireAuth('user', 'service'), requireUtf8Body] as const,
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: specialistQueryRequestSchema } },
    },
  },
  responses: {
    200: {
      description: 'The specialist who answered and the answer',
      content: { 'application/json': { schema: specialistQueryResponseSchema } },
    },
    400: errorResponse('The body is invalid, e.g. an unknown specialist or a blank query'),
    401: errorResponse('No or invalid credentials'),
    403: errorResponse('A user asked for another user'),
    404: errorResponse('The user has no profile'),
    503: errorResponse(
      'specialist_unavailable: no answer within the budget; unavailable: no LLM provider configured',
    ),
  },
});

export const specialistRoutes = createRouter().openapi(querySpecialist, async (c) => {
  const { user_id, query, specialist } = c.req.valid('json');
  assertCanAccess(c.var.principal, user_id);
  const { orchestrator, logger } = c.var.services;
  if (!orchestrator) throw unavailable(ORCHESTRATOR_NOT_CONFIGURED_MESSAGE);
  const route = specialist ? 'direct' : 'classified';
  try {
    const result = await orchestrator.answer(
      { userId: user_id, query, specialist },
      c.req.raw.signal,
    );
    c.set('specialistCall', { specialist: result.specialist, route, outcome: 'ok' });
    return c.json(result, 200);
  } catch (error) {
    if (error instanceof UnknownUserError) throw notFound('the user has no profile');
    c.set('specialistCall', {
      specialist: specialist ?? 'unclassified',
      route,
      outcome:
        error instanceof SpecialistUnavailableError && error.reason === 'timeout'
          ? 'timeout'
          : 'fallback',
    });
    // The orchestrator logs its own typed failures; anything else is logged here. Either way the
    // caller (often a voice) gets the one sentence it can say, never a provider's error.
    if (!(error instanceof SpecialistUnavailableError)) {
      logger.error('specialist_error', {
        request_id: c.var.requestId,
        user_id,
        error: errorName(error),
      });
    }
    throw new ApiError(503, 'specialist_unavailable', SPECIALIST_UNAVAILABLE_MESSAGE);
  }
});
