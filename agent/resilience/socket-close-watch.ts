/**
 * Tells a caller when a WebSocket that a provider plugin opened on its behalf closes, without
 * reaching into the plugin: the plugin's upgrade request is seen on Node's public
 * `http.client.request.created` diagnostics channel, and it is matched to the caller through the
 * async context it was opened in (an AsyncLocalStorage that flows from `runWatched` into every
 * timer and promise the plugin starts). Only requests whose path starts with the watched path
 * count, so other HTTP traffic in the same context is ignored.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Duplex } from 'node:stream';

export interface SocketCloseWatcher {
  /** Path prefix of the provider's streaming endpoint, e.g. `/v1/listen`. */
  pathPrefix: string;
  /** Called once per matching socket, when it closes for any reason. */
  onClose: () => void;
}

const watchers = new AsyncLocalStorage<SocketCloseWatcher>();
let subscribed = false;

function onRequestCreated(message: unknown): void {
  const watcher = watchers.getStore();
  if (!watcher) return;
  const request = (message as { request?: ClientRequest }).request;
  if (!request?.path.startsWith(watcher.pathPrefix)) return;
  request.once('upgrade', (_response: unknown, socket: Duplex) => {
    socket.once('close', watcher.onClose);
  });
}

/**
 * Runs `open` (which makes the plugin open its stream) so that every socket the plugin opens for
 * it from now on, reconnects included, reports its close to `watcher`.
 */
export function runWatched<T>(watcher: SocketCloseWatcher, open: () => T): T {
  if (!subscribed) {
    diagnosticsChannel.subscribe('http.client.request.created', onRequestCreated);
    subscribed = true;
  }
  return watchers.run(watcher, open);
}
