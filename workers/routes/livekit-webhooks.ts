/**
 * `POST /v1/livekit/webhook`: LiveKit's signed room events. `room_finished` records the end of the
 * voice session started by `POST /v1/sessions`; every other event is acknowledged and ignored.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { TokenVerifier } from 'livekit-server-sdk';
import { parseJson } from '../../shared/parse-json.ts';
import { badRequest, describeIssues, unauthorized } from '../errors.ts';
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
});

const webhookRoute = createRoute({
  method: 'post',
  path: '/webhook',
  summary: 'LiveKit webhook',
  description:
    'Called by LiveKit only. The Authorization header is a JWT signed with the LiveKit API secret ' +
    'whose sha256 claim is the hash of the raw body; it is verified before anything else. ' +
    'room_finished records when the voice session of that room ended (once); other events and ' +
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

const router = createRouter();

// Documented from the schemas but routed by hand: the signature covers the raw bytes, so no
// validator may read (and re-parse) the body before the handler has verified it.
router.openAPIRegistry.registerPath(webhookRoute);

export const livekitWebhookRoutes = router.post(webhookRoute.path, async (c) => {
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
});
