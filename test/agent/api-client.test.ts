/**
 * How the agent's API client reads the edge API's answers when they are not the happy path: only
 * the API's own 404 means "no profile", and anything else that is not the API's answer is an
 * error the caller can retry.
 */
import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../shared/api-client.ts';

const USER_ID = '00000000-0000-4000-8000-000000000001';

function clientAnswering(status: number, body: string, contentType: string) {
  return createApiClient({
    baseUrl: 'http://edge.test',
    serviceToken: 'service-token-for-this-test-only',
    fetch: async () => new Response(body, { status, headers: { 'content-type': contentType } }),
  });
}

describe('getContext', () => {
  it("answers null for the API's own 404", async () => {
    const api = clientAnswering(
      404,
      JSON.stringify({ error: { code: 'not_found', message: 'no profile' } }),
      'application/json',
    );
    expect(await api.getContext(USER_ID)).toBeNull();
  });

  it('throws a retryable error for a 404 page that is not the API speaking', async () => {
    const api = clientAnswering(404, '<html>Not Found</html>', 'text/html');
    const error = await api.getContext(USER_ID).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ApiRequestError', status: 404, retryable: true });
  });
});
