/**
 * Workout log ingest. `POST /` takes a batch from a service and hands every set to the queue;
 * `POST /deliver` is the queue's callback and the only place sets are written.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { UnofficialStatusCode } from 'hono/utils/http-status';
import { parseJson } from '../../shared/parse-json.ts';
import { errorName } from '../../shared/runtime.ts';
import {
  type IngestLogsRequest,
  ingestLogsRequestSchema,
  ingestLogsResponseSchema,
} from '../../shared/schemas.ts';
import {
  ApiError,
  badRequest,
  describeIssues,
  errorBody,
  unauthorized,
  unavailable,
} from '../errors.ts';
import { deliverLogs, LogDeliveryError } from '../logs/deliver.ts';
import { requireAuth } from '../middleware/auth.ts';
import { isUtf8, requireUtf8Body } from '../middleware/utf8-body.ts';
import { bearerSecurity, errorResponse } from '../openapi.ts';
import type { CoachingRepository } from '../ports.ts';
import { createRouter } from '../router.ts';

const jsonBody = { content: { 'application/json': { schema: ingestLogsRequestSchema } } };

const ingestRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Queue logged sets for storage',
  description:
    'Validates the batch whole (one bad entry rejects it, naming that entry) and hands each set to ' +
    'the queue, deduplicated by log_id. Answers once every set is queued; storage follows.',
  security: bearerSecurity,
  middleware: [requireAuth('service'), requireUtf8Body] as const,
  request: { body: { ...jsonBody, required: true } },
  responses: {
    202: {
      description: 'Every set was handed to the queue',
      content: { 'application/json': { schema: ingestLogsResponseSchema } },
    },
    400: errorResponse('The batch is invalid or names an unknown user'),
    401: errorResponse('No or bad credentials'),
    403: errorResponse('Not a service token'),
    413: errorResponse('Body over 64 KB'),
    503: errorResponse('The queue is unavailable; retry later'),
  },
});

const deliverResponseSchema = z.strictObject({
  stored: z.number().int().openapi({ description: 'How many sets were new (redeliveries are 0)' }),
});

const deliverRoute = createRoute({
  method: 'post',
  path: '/deliver',
  summary: 'QStash delivery callback',
  description:
    'Called by QStash only. Upstash-Signature is verified against the raw body and this URL with ' +
    'the current and next signing keys before anything else; the sets are then stored idempotently.',
  request: {
    headers: z.object({
      'upstash-signature': z.string().openapi({ description: 'QStash’s JWT over this request' }),
    }),
    body: { ...jsonBody, required: true },
  },
  responses: {
    200: {
      description: 'The sets are stored',
      content: { 'application/json': { schema: deliverResponseSchema } },
    },
    489: errorResponse(
      'The verified body is not a valid batch; Upstash-NonRetryable-Error tells QStash not to retry',
    ),
    401: errorResponse('Missing or invalid signature; nothing was written'),
    503: errorResponse('The database is unavailable; QStash retries'),
  },
});

/** A 400 naming each entry whose user does not exist, or nothing when all of them do. */
async function assertUsersExist(
  entries: IngestLogsRequest['entries'],
  repository: CoachingRepository,
): Promise<void> {
  // A database outage surfaces as the guarded repository's 503.
  const existing = await repository.findExistingUserIds([
    ...new Set(entries.map((e) => e.user_id)),
  ]);
  const unknown = entries.flatMap((entry, index) =>
    existing.has(entry.user_id) ? [] : [`entries.${index}.user_id: no user has this id`],
  );
  if (unknown.length > 0) throw badRequest(`invalid body: ${unknown.slice(0, 10).join('; ')}`);
}

function parseBatch(body: string): IngestLogsRequest {
  const result = parseJson(ingestLogsRequestSchema, body);
  if (result.success) return result.data;
  throw badRequest(
    result.issues
      ? `invalid body: ${describeIssues(result.issues)}`
      : 'invalid body: malformed JSON',
  );
}

/** QStash's documented status for "do not retry"; it needs the Upstash-NonRetryable-Error header. */
const NON_RETRYABLE_STATUS = 489 as UnofficialStatusCode;

const router = createRouter();

// Documented from the same schemas but routed by hand: the signature covers the raw bytes, so no
// validator may read (and re-serialize) the body before the handler has verified it.
router.openAPIRegistry.registerPath(deliverRoute);

export const logRoutes = router
  .openapi(ingestRoute, async (c) => {
    const { entries } = c.req.valid('json');
    const { repository, queue, logger } = c.var.services;
    await assertUsersExist(entries, repository);
    try {
      await queue.publish(entries);
    } catch (error) {
      logger.error('log_publish_failed', {
        request_id: c.var.requestId,
        entries: entries.length,
        error: errorName(error),
      });
      throw unavailable('the log queue is unavailable; please retry');
    }
    return c.json({ accepted: entries.length }, 202);
  })
  .post(deliverRoute.path, async (c) => {
    const { callbackVerifier, config, repository, logger, forgetContexts } = c.var.services;
    const bytes = await c.req.arrayBuffer();
    const body = new TextDecoder().decode(bytes);
    const signature = c.req.header('upstash-signature') ?? '';
    // Without QStash there is no callback URL: nothing from outside can be a genuine delivery.
    const url = config.queue.kind === 'qstash' ? config.queue.callbackUrl : null;
    if (url === null || !(await callbackVerifier.verify({ signature, body, url }))) {
      logger.warn('log_callback_rejected', { request_id: c.var.requestId });
      throw unauthorized('the Upstash-Signature header is missing or invalid');
    }
    let entries: IngestLogsRequest['entries'];
    try {
      if (!isUtf8(bytes)) throw badRequest('invalid body: not valid UTF-8 text');
      ({ entries } = parseBatch(body));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Genuinely from QStash yet unreadable (say, published before a stricter schema shipped):
      // no retry can fix it, so QStash is told to move it to its dead-letter queue at once.
      logger.error('log_callback_invalid', { request_id: c.var.requestId });
      c.header('Upstash-NonRetryable-Error', 'true');
      return c.json(errorBody(error.code, error.message), NON_RETRYABLE_STATUS);
    }
    try {
      const stored = await deliverLogs(repository, entries, logger, forgetContexts);
      return c.json({ stored }, 200);
    } catch (error) {
      if (error instanceof LogDeliveryError) {
        throw unavailable('the database is unavailable; the delivery will be retried');
      }
      throw error;
    }
  });
