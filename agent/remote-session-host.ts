/**
 * Closes the framework's remote session host on a started session.
 *
 * `AgentSession.start` (agents 1.9) always puts a `SessionHost` on the room: it sends every
 * session event (state changes, transcripts, conversation items, each reply's metrics) to the
 * caller as a byte stream on `lk.agent.session`, a few native calls each, and answers requests the
 * caller's app sends on that topic. Nothing in this project speaks that protocol: the app and the
 * playground never register the topic, so every stream was encoded, sent and dropped. The
 * requests are an input channel outside the ones the coach validates: `getAgentInfo` returns the
 * coach's whole instructions, `runInput` runs text through the session, `updateIo` turns its
 * audio off. The framework has no option for it and the host is a private field, so this reads
 * it defensively: where a framework version does not have it, nothing changes and the result
 * says so.
 */

interface ClosableHost {
  close(): Promise<void>;
}

function hostOf(session: object): ClosableHost | undefined {
  const host: unknown = Reflect.get(session, 'sessionHost');
  if (typeof host !== 'object' || host === null) return undefined;
  const close: unknown = Reflect.get(host, 'close');
  return typeof close === 'function' ? (host as ClosableHost) : undefined;
}

/**
 * `closed` when the session had a host and it is closed now, `absent` when it had none,
 * `close_failed` when closing threw: the session goes on either way, as it did with a host.
 */
export type RemoteSessionHostState = 'closed' | 'absent' | 'close_failed';

export async function closeRemoteSessionHost(session: object): Promise<RemoteSessionHostState> {
  const host = hostOf(session);
  if (!host) return 'absent';
  try {
    await host.close();
    return 'closed';
  } catch {
    return 'close_failed';
  }
}
