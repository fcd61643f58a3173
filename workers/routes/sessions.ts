/** `POST /v1/sessions`: a signed-in user asks for a LiveKit room with their coach in it. */
import { createRoute } from '@hono/zod-openapi';
import { createSessionRequestSchema, createSessionResponseSchema } from '../../shared/schemas.ts';
import { errorBody, notFound } from '../errors.ts';
import { cryptoRandomBytes, mintSessionToken } from '../livekit/session-token.ts';
import { requireAuth } from '../middleware/auth.ts';
import { requireUtf8Body } from '../middleware/utf8-body.ts';
import { bearerSecurity, errorResponse } from '../openapi.ts';
import { createRouter } from '../router.ts';

/**
 * Session tokens are limited per user and minute. On Workers the `SESSION_RATE_LIMITER` binding
 * counts instead (its limit and 60 s period live in wrangler.toml, not SESSION_RATE_LIMIT_PER_MINUTE),
 * so a refused caller may retry after one period either way.
 */
export const SESSION_RATE_LIMIT_PERIOD_SECONDS = 60;

const createSession = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start a voice coaching session',
  description:
    'Mints a LiveKit participant token for a fresh room whose configuration dispatches the coach ' +
    'agent with the session metadata.',
  security: bearerSecurity,
  middleware: [requireAuth('user'), requireUtf8Body] as const,
  request: {
    body: {
      required: true,
      content: { 'application/json': { schema: createSessionRequestSchema } },
    },
  },
  responses: {
    201: {
      description: 'The session was created',
      content: { 'application/json': { schema: createSessionResponseSchema } },
    },
    400: errorResponse('The body is not a valid session request'),
    401: errorResponse('No or invalid user token'),
    403: errorResponse('The caller is not a user'),
    404: errorResponse('The user has no profile'),
    429: errorResponse('Too many sessions started; see Retry-After'),
  },
});

export const sessionRoutes = createRouter().openapi(createSession, async (c) => {
  const { services, principal } = c.var;
  // requireAuth('user') let only users through; the check narrows the type.
  if (principal.kind !== 'user') throw new Error('session route reached without a user');
  const { userId } = principal;
  const { agent_type } = c.req.valid('json');

  const { success } = await services.sessionRateLimiter.limit({ key: userId });
  if (!success) {
    return c.json(
      errorBody('rate_limited', 'too many sessions started; try again in a minute'),
      429,
      { 'Retry-After': String(SESSION_RATE_LIMIT_PERIOD_SECONDS) },
    );
  }
  const now = services.clock.now();
  const session = await mintSessionToken({
    userId,
    agentType: agent_type,
    livekit: services.config.livekit,
    now,
    randomBytes: cryptoRandomBytes,
  });
  // The profile check is part of the insert: one round trip. The room name is fresh and
  // unguessable, so nothing recorded can only mean the user has no profile; the token minted for
  // them is dropped unseen.
  const recorded = await services.repository.recordVoiceSession({
    roomName: session.roomName,
    userId,
    agentType: agent_type,
    startedAt: now,
  });
  if (!recorded) throw notFound('no coaching profile exists for this user');
  services.logger.info('session_created', {
    request_id: c.var.requestId,
    user_id: userId,
    room_name: session.roomName,
    agent_type,
  });
  return c.json(
    {
      server_url: services.config.livekit.url,
      room_name: session.roomName,
      participant_identity: session.identity,
      participant_token: session.token,
      agent_type,
      expires_at: session.expiresAt.toISOString(),
      agent_join_timeout_ms: services.config.livekit.agentJoinTimeoutSeconds * 1000,
    },
    201,
  );
});
