/**
 * The edge API: one Hono app, split into a small sub-app per domain. The routes are chained so
 * `AppType` carries every path and body type to `hc<AppType>` (see shared/api-client.ts).
 */
import { bodyLimit } from 'hono/body-limit';
import { recordRequest } from './analytics/request-metrics.ts';
import type { Services } from './app-env.ts';
import { ApiError } from './errors.ts';
import { handleError, handleNotFound } from './middleware/errors.ts';
import { createRouter } from './router.ts';
import { demoTokenRoutes, usesDevAuth } from './routes/demo-token.ts';
import { healthRoutes } from './routes/health.ts';
import { livekitWebhookRoutes } from './routes/livekit-webhooks.ts';
import { logRoutes } from './routes/logs.ts';
import { sessionRoutes } from './routes/sessions.ts';
import { specialistRoutes } from './routes/specialists.ts';
import { userRoutes } from './routes/users.ts';
import { voiceSessionRoutes } from './routes/voice-sessions.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export function createApp(services: Services) {
  const app = createRouter();
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use('*', async (c, next) => {
    c.set('services', services);
    c.set('requestId', c.req.header('cf-ray') ?? crypto.randomUUID());
    await next();
  });
  app.use('*', recordRequest);
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(
          413,
          'payload_too_large',
          `request bodies are limited to ${MAX_BODY_BYTES} bytes`,
        );
      },
    }),
  );

  const routes = app
    .route('/', healthRoutes)
    .route('/v1/sessions', sessionRoutes)
    .route('/v1/users', userRoutes)
    .route('/v1/logs', logRoutes)
    .route('/v1/specialists', specialistRoutes)
    .route('/v1/livekit', livekitWebhookRoutes)
    .route('/v1/voice-sessions', voiceSessionRoutes);
  // Development only, and left out of the typed client and the OpenAPI document.
  if (usesDevAuth(services.config.auth)) app.route('/', demoTokenRoutes);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Fitness voice coach edge API',
      version: '1.0.0',
      description: 'Session tokens, coaching context, specialist answers and workout log ingest.',
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A user JWT (sub = user UUID) or the service API token.',
  });

  return routes;
}

export type App = ReturnType<typeof createApp>;
