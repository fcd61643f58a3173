/**
 * Closing the framework's remote session host (agent/remote-session-host.ts). The field is
 * private to the framework, so the reading is defensive; that the pinned framework has it, and
 * that nothing is sent on its topic once it is closed, is checked end to end in
 * test/e2e/agent-session.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { closeRemoteSessionHost } from '../../agent/remote-session-host.ts';

describe('closing the remote session host', () => {
  it('closes the host a session has', async () => {
    let closed = 0;
    const session = {
      sessionHost: {
        close: async () => {
          closed += 1;
        },
      },
    };
    expect(await closeRemoteSessionHost(session)).toBe('closed');
    expect(closed).toBe(1);
  });

  it('changes nothing where a session has no host, or not one it can close', async () => {
    expect(await closeRemoteSessionHost({})).toBe('absent');
    expect(await closeRemoteSessionHost({ sessionHost: undefined })).toBe('absent');
    expect(await closeRemoteSessionHost({ sessionHost: { close: 'no' } })).toBe('absent');
  });

  it('says when closing failed, without ending the session', async () => {
    const session = { sessionHost: { close: () => Promise.reject(new Error('transport gone')) } };
    expect(await closeRemoteSessionHost(session)).toBe('close_failed');
  });
});
