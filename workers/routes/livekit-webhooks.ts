/**
 * `POST /v1/livekit/webhook`: LiveKit's signed room events. `room_finished` records the end of the
 * voice session started by `POST /v1/sessions`; `participant_joined` of a user schedules the check
 * that a coach joined too (`POST /v1/livekit/agent-check`, called back by QStash after
 * AGENT_JOIN_TIMEOUT_SECONDS; see workers/livekit/agent-check.ts); every other event is
 * acknowledged and ignored.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { TokenVerifier } from 'livekit-server-sdk';
import { parseJson } from '../../shared/parse-json.ts';
import type { Services } from '../app-env.ts';
import { badRequest, describeIssues, unauthorized, unavailable } from '../errors.ts';
import { AGENT_CHECK_OUTCOMES, checkAgentJoined } from '../livekit/agent-check.ts';
import { AGENT_KIND, createRoomPresence } from '../livekit/room-presence.ts';
import { errorResponse } from '../openapi.ts';
import { createRouter } from '../router.ts';

/** Year 9999: anything later is not a time LiveKit could have stamped. */
const MAX_UNIX_SECONDS = 253_402_300_799;

/**
 * The fields this API reads of LiveKit's WebhookEvent, in the proto3 JSON livekit-server sends
 * (int64 as a decimal string, zero values omitted). Other fields pass unread, so newer servers
 * that add fields are still understood.
 */
const webhookEventSchema = z
  .object({
    event: z.string().min(1).openapi({ example: 'room_finished' }),
    id: z.string().optional().openapi({ description: 'Unique per event; redeliveries keep it' }),
    createdAt: z
      .union([z.number(), z.string().regex(/^\d{1,15}$/, 'must be a decimal integer')])
      .transform(Number)
      .pipe(z.number().int().min(0).max(MAX_UNIX_SECONDS))
      .optional()
      .openapi({ type: 'string', description: 'When LiveKit emitted the event (Unix seconds)' }),
    room: z.object({ name: z.string().min(1) }).optional(),
    participant: z
      .object({
        // proto3 JSON names the enum (`AGENT`); a zero value (a standard participant) is omitted.
        kind: z.union([z.string(), z.number()]).optional(),
      })
      .optional(),
  })
  .refine((event) => event.event !== 'room_finished' || event.room !== undefined, {
    path: ['room'],
    message: 'a room_finished event must name its room',
  });

type WebhookEvent = z.infer<typeof webhookEventSchema>;

const webhookResponseSchema = z.strictObject({
  event: z.string().openapi({ description: 'The event received' }),
  session_ended: z.boolean().openapi({
    description: 'Whether this delivery recorded the end of a voice session (redeliveries: false)',
  }),
  agent_check_scheduled: z.boolean().optional().openapi({
    description: 'participant_joined only: whether the check that a coach joined was scheduled',
  }),
});

const webhookRoute = createRoute({
  method: 'post',
  path: '/webhook',
  summary: 'LiveKit webhook',
  description:
    'Called by LiveKit only. The Authorization header is a JWT signed with the LiveKit API secret ' +
    'whose sha256 claim is the hash of the raw body; it is verified before anything else. ' +
    'room_finished records when the voice session of that room ended (once); participant_joined ' +
    'of a user (not an agent) schedules the check that a coach joined; other events and ' +
    'rooms this API did not start are acknowledged, since LiveKit retries anything but a 2xx.',
  request: {
    headers: z.object({
      authorization: z
        .string()
        .openapi({ description: 'LiveKit’s JWT over this body (no scheme)' }),
    }),
    body: {
      required: true,
      content: { 'application/webhook+json': { schema: webhookEventSchema } },
    },
  },
  responses: {
    200: {
      description: 'The event was received',
      content: { 'application/json': { schema: webhookResponseSchema } },
    },
    400: errorResponse('Genuinely from LiveKit, but not a readable webhook event'),
    401: errorResponse('Missing or invalid signature; nothing was written'),
    413: errorResponse('Body over 64 KB'),
    503: errorResponse('The database is unavailable; LiveKit retries'),
  },
});

/**
 * Whether LiveKit signed exactly these bytes, checked as the SDK's WebhookReceiver checks them:
 * its TokenVerifier, then the sha256 claim against the body's hash. `receive()` itself is not
 * called because it parses too, and throws alike for a forgery (401) and a genuine but unreadable
 * body (400).
 */
async function isSignedByLivekit(
  body: string,
  authorization: string,
  credentials: { apiKey: string; apiSecret: string },
): Promise<boolean> {
  let claims: { sha256?: unknown };
  try {
    claims = await new TokenVerifier(credentials.apiKey, credentials.apiSecret).verify(
      authorization,
    );
  } catch {
    return false;
  }
  const hash = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body)),
  );
  return claims.sha256 === btoa(String.fromCharCode(...hash));
}

function parseEvent(body: string): { event: WebhookEvent } | { error: string } {
  const result = parseJson(webhookEventSchema, body);
  if (result.success) return { event: result.data };
  return {
    error: result.issues
      ? `invalid body: ${describeIssues(result.issues)}`
      : 'invalid body: malformed JSON',
  };
}

/** A room name as session-token.ts makes them, with room to grow. */
const agentCheckRequestSchema = z.strictObject({
  room_name: z.string().min(1).max(256),
});

const agentCheckResponseSchema = z.strictObject({
  outcome: z.enum(AGENT_CHECK_OUTCOMES).openapi({
    description:
      'agent_present: a coach is in the room; agent_missing: none is, the room was told on ' +
      'fvc.coach_unavailable and it was counted; user_left: nobody is waiting any more',
  }),
});

const agentCheckRoute = createRoute({
  method: 'post',
  path: '/agent-check',
  summary: 'Did a coach join? (QStash callback)',
  description:
    'Called by QStash only, AGENT_JOIN_TIMEOUT_SECONDS after a user joined a room. When no agent ' +
    'is in the room the user is told on the data topic fvc.coach_unavailable and an ' +
    'agent_missing data point is written.',
  request: {
    headers: z.object({
      'upstash-signature': z.string().openapi({ description: 'QStash’s JWT over this request' }),
    }),
    body: { required: true, content: { 'application/json': { schema: agentCheckRequestSchema } } },
  },
  responses: {
    200: {
      description: 'The room was checked',
      content: { 'application/json': { schema: agentCheckResponseSchema } },
    },
    400: errorResponse('Genuinely from QStash, but not a readable check'),
    401: errorResponse('Missing or invalid signature; nothing was checked'),
    503: errorResponse('LiveKit is unreachable; QStash retries'),
  },
});

const isAgent = (kind: string | number | undefined) => kind === 'AGENT' || kind === AGENT_KIND;

/** The check itself, wherever it runs (the callback route, or the in-process scheduler's timer). */
function runAgentCheck(services: Services, roomName: string) {
  const { config, logger, analytics } = services;
  return checkAgentJoined({
    roomName,
    waitedSeconds: config.livekit.agentJoinTimeoutSeconds,
    rooms: createRoomPresence(config.livekit),
    logger,
    ...(analytics ? { analytics } : {}),
  });
}

const router = createRouter();

// Documented from the schemas but routed by hand: the signature covers the raw bytes, so no
// validator may read (and re-parse) the body before the handler has verified it.
router.openAPIRegistry.registerPath(webhookRoute);
router.openAPIRegistry.registerPath(agentCheckRoute);

export const livekitWebhookRoutes = router
  .post(webhookRoute.path, async (c) => {
    const { config, repository, clock, logger } = c.var.services;
    const body = await c.req.text();
    const authorization = c.req.header('authorization') ?? '';
    if (!(await isSignedByLivekit(body, authorization, config.livekit))) {
      logger.warn('livekit_webhook_rejected', { request_id: c.var.requestId });
      throw unauthorized('the Authorization header is not a valid LiveKit signature of this body');
    }
    const parsed = parseEvent(body);
    if ('error' in parsed) {
      // Genuinely from LiveKit yet unreadable: a version mismatch worth an alert, not a retry loop.
      logger.error('livekit_webhook_invalid', { request_id: c.var.requestId });
      throw badRequest(parsed.error);
    }
    const { event } = parsed;
    if (event.event === 'participant_joined' && event.room && !isAgent(event.participant?.kind)) {
      const roomName = event.room.name;
      const services = c.var.services;
      await services.agentChecks.schedule(
        { roomName, delaySeconds: config.livekit.agentJoinTimeoutSeconds },
        async () => void (await runAgentCheck(services, roomName)),
      );
      return c.json({ event: event.event, session_ended: false, agent_check_scheduled: true }, 200);
    }
    if (event.event !== 'room_finished' || !event.room) {
      return c.json({ event: event.event, session_ended: false }, 200);
    }
    // LiveKit's own timestamp, so a delivery retried later still records when the room closed.
    const endedAt = event.createdAt ? new Date(event.createdAt * 1000) : clock.now();
    const ended = await repository.endVoiceSession({ roomName: event.room.name, endedAt });
    logger.info('livekit_room_finished', {
      request_id: c.var.requestId,
      event_id: event.id,
      room_name: event.room.name,
      session_ended: ended,
    });
    return c.json({ event: event.event, session_ended: ended }, 200);
  })
  .post(agentCheckRoute.path, async (c) => {
    const { callbackVerifier, config, logger } = c.var.services;
    const body = await c.req.text();
    const signature = c.req.header('upstash-signature') ?? '';
    // Without QStash the checks run in-process: nothing from outside can be a genuine callback.
    const url = config.queue.kind === 'qstash' ? config.queue.agentCheckUrl : null;
    if (url === null || !(await callbackVerifier.verify({ signature, body, url }))) {
      logger.warn('agent_check_rejected', { request_id: c.var.requestId });
      throw unauthorized('the Upstash-Signature header is missing or invalid');
    }
    const parsed = parseJson(agentCheckRequestSchema, body);
    if (!parsed.success) {
      throw badRequest(
        parsed.issues
          ? `invalid body: ${describeIssues(parsed.issues)}`
          : 'invalid body: malformed JSON',
      );
    }
    try {
      const outcome = await runAgentCheck(c.var.services, parsed.data.room_name);
      return c.json({ outcome }, 200);
    } catch (error) {
      logger.error('agent_check_failed', {
        request_id: c.var.requestId,
        error: error instanceof Error ? error.name : 'unknown',
      });
      throw unavailable('LiveKit is unreachable; the check will be retried');
    }
  });
