/** The run's log-capture check (test/support/log-capture) finds what it must and nothing else. */
import { describe, expect, it } from 'vitest';
import { SEED_USERS } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS } from '../../shared/dev-defaults.ts';
import { mintUserToken } from '../../shared/user-token.ts';
import { findLeaks } from '../support/log-capture/capture.ts';

describe('the log-capture check', () => {
  it('finds a JWT, a secret and a demo user’s name or email in a line', async () => {
    const jwt = await mintUserToken({ userId: 'u', secret: DEV_DEFAULTS.AUTH_JWT_SECRET });
    const [seed] = SEED_USERS;
    expect(findLeaks(`{"msg":"auth","token":"${jwt}"}`)).toEqual(['a JWT']);
    expect(findLeaks(`Bearer ${DEV_DEFAULTS.SERVICE_API_TOKEN}`)).toEqual(['SERVICE_API_TOKEN']);
    expect(findLeaks(`secret=${DEV_DEFAULTS.AUTH_JWT_SECRET}`)).toEqual(['AUTH_JWT_SECRET']);
    expect(findLeaks(`to ${seed?.user.email}`)).toEqual([`a demo user's email`]);
    expect(findLeaks(`hello ${seed?.profile.name}`)).toEqual([`a demo user's name`]);
  });

  it('passes the lines the API and agent write', () => {
    expect(
      findLeaks(
        '{"level":30,"event":"session_created","user_id":"00000000-0000-4000-8000-000000000001","room_name":"workout-8f3a"}',
      ),
    ).toEqual([]);
    expect(
      findLeaks('[Upstash QStash] GET http://127.0.0.1:1/v2/queues failed with status 401'),
    ).toEqual([]);
  });
});
