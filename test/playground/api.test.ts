/**
 * The page's HTTP calls against the real edge API app (its `request` as the page's fetch): the
 * demo sign-in, a session for the chosen coach, and a rate-limited session as the page sees it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDevDefaults } from '../../shared/dev-defaults.ts';
import { createApp } from '../../workers/app.ts';
import { loadApiConfig } from '../../workers/config.ts';
import {
  apiBaseFrom,
  type Fetch,
  fetchDemoToken,
  startSession,
} from '../../workers/playground/page/api.ts';
import { ApiFailure, describeFailure } from '../../workers/playground/page/errors.ts';
import { createTestServices, type TestServices } from '../support/services.ts';

const API = 'http://api.test';
let test: TestServices;
let fetcher: Fetch;

beforeAll(async () => {
  // One session a minute, so the second one is refused the way a busy user's would be.
  test = await createTestServices({
    config: loadApiConfig(withDevDefaults({ SESSION_RATE_LIMIT_PER_MINUTE: '1' })),
  });
  const app = createApp(test.services);
  fetcher = async (input, init) => app.request(String(input), init);
});
afterAll(() => test?.cleanup());

describe('apiBaseFrom', () => {
  it('is the page origin when left empty, and a typed http(s) URL without trailing slash', () => {
    expect(apiBaseFrom('  ', 'http://127.0.0.1:8787')).toBe('http://127.0.0.1:8787');
    expect(apiBaseFrom('https://coach.example.workers.dev/', 'http://x')).toBe(
      'https://coach.example.workers.dev',
    );
  });

  it('refuses what is not an http(s) URL', () => {
    expect(apiBaseFrom('javascript:alert(1)', 'http://x')).toBeNull();
    expect(apiBaseFrom('not a url', 'http://x')).toBeNull();
  });
});

describe('the page against the API', () => {
  it('signs in as the demo user and starts a session, then is told to wait', async () => {
    const token = await fetchDemoToken(API, fetcher);
    const session = await startSession(API, token, 'diet', fetcher);
    expect(session.agent_type).toBe('diet');
    expect(session.participant_token.length).toBeGreaterThan(0);

    const refused = await startSession(API, token, 'diet', fetcher).catch((error) => error);
    expect(refused).toBeInstanceOf(ApiFailure);
    expect(describeFailure(refused, 'session')).toMatchObject({ kind: 'rate_limited' });
    expect(describeFailure(refused, 'session').message).toContain('60 seconds');
  });

  it('is told to sign in again with a bad token', async () => {
    const refused = await startSession(API, 'not-a-jwt', 'workout', fetcher).catch((e) => e);
    expect(describeFailure(refused, 'session').kind).toBe('signed_out');
  });
});
