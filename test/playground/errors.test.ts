/** The words the page shows for each failure a person can meet while trying the coach. */
import { describe, expect, it } from 'vitest';
import {
  ApiFailure,
  apiFailureOf,
  CoachMissing,
  ConnectionDropped,
  describeFailure,
} from '../../workers/playground/page/errors.ts';

const domError = (name: string) => Object.assign(new Error(name), { name });

describe('describeFailure', () => {
  it('tells a refused microphone from a missing one, both retryable', () => {
    expect(describeFailure(domError('NotAllowedError'), 'microphone')).toMatchObject({
      kind: 'microphone_refused',
      retryable: true,
    });
    expect(describeFailure(domError('NotFoundError'), 'microphone')).toMatchObject({
      kind: 'microphone_missing',
    });
  });

  it('says how long to wait when rate limited, from Retry-After', () => {
    const error = describeFailure(new ApiFailure(429, 'rate_limited', 'slow down', 60), 'session');
    expect(error).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(error.message).toContain('60 seconds');
  });

  it('asks to sign in again on a 401 and names a missing profile on a 404', () => {
    expect(
      describeFailure(new ApiFailure(401, 'unauthorized', 'bad token'), 'session'),
    ).toMatchObject({ kind: 'signed_out', retryable: false });
    expect(
      describeFailure(new ApiFailure(404, 'not_found', 'no profile'), 'session'),
    ).toMatchObject({
      kind: 'no_profile',
    });
  });

  it('explains that the demo sign-in exists only on the local defaults', () => {
    expect(describeFailure(new ApiFailure(404, 'not_found', 'no route'), 'sign_in')).toMatchObject({
      kind: 'demo_unavailable',
      retryable: false,
    });
  });

  it('names a stopped agent and a dropped connection, with a way back', () => {
    const missing = describeFailure(new CoachMissing(15), 'room');
    expect(missing).toMatchObject({ kind: 'coach_missing', retryable: true });
    expect(missing.message).toContain('15 seconds');
    expect(describeFailure(new ConnectionDropped('SIGNAL_CLOSE'), 'room')).toMatchObject({
      kind: 'connection_dropped',
      retryable: true,
    });
  });

  it('tells an unreachable API (fetch TypeError) from an unreachable room', () => {
    expect(describeFailure(new TypeError('Failed to fetch'), 'session').kind).toBe(
      'api_unreachable',
    );
    expect(describeFailure(new Error('could not establish pc connection'), 'room').kind).toBe(
      'connection_failed',
    );
  });

  it('shows other API refusals with their status and message, retryable only when 5xx', () => {
    expect(describeFailure(new ApiFailure(503, 'unavailable', 'db down'), 'session')).toMatchObject(
      {
        kind: 'api_error',
        retryable: true,
      },
    );
    expect(describeFailure(new ApiFailure(400, 'bad_request', 'bad'), 'session').retryable).toBe(
      false,
    );
  });
});

describe('apiFailureOf', () => {
  it("reads the API's error body and Retry-After", async () => {
    const response = new Response(
      JSON.stringify({ error: { code: 'rate_limited', message: 'too many sessions' } }),
      { status: 429, headers: { 'retry-after': '60' } },
    );
    const failure = await apiFailureOf(response);
    expect(failure).toMatchObject({
      status: 429,
      code: 'rate_limited',
      message: 'too many sessions',
      retryAfterSeconds: 60,
    });
  });

  it('keeps the status of an answer that is not the error shape', async () => {
    const failure = await apiFailureOf(new Response('<html>bad gateway</html>', { status: 502 }));
    expect(failure).toMatchObject({ status: 502, code: undefined, message: 'HTTP 502' });
  });
});
