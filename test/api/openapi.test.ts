import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../workers/app.ts';
import { createTestServices, type TestServices } from '../support/services.ts';

let test: TestServices;
let spec: { openapi: string; paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  test = await createTestServices();
  const response = await createApp(test.services).request('/openapi.json');
  expect(response.status).toBe(200);
  spec = await response.json();
});
afterAll(() => test?.cleanup());

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(spec.openapi).toBe('3.1.0');
    const result = await new Validator().validate(spec);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route of the contract', () => {
    const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        'GET /health',
        'GET /health/live',
        'POST /v1/sessions',
        'GET /v1/users/{user_id}/context',
        'DELETE /v1/users/{user_id}/context',
        'GET /v1/users/{user_id}/workout-logs',
        'POST /v1/logs',
        'POST /v1/logs/deliver',
        'POST /v1/livekit/webhook',
        'POST /v1/livekit/agent-check',
        'POST /v1/specialists/query',
        'PUT /v1/voice-sessions/{room_name}/summary',
      ].sort(),
    );
  });
});
