/** Decides whether a call to /v1/logs/deliver really comes from the queue. */
import { Receiver } from '@upstash/qstash';
import type { CallbackVerifier } from '../../ports.ts';

export interface QStashVerifierOptions {
  currentSigningKey: string;
  nextSigningKey: string;
}

/**
 * Checks Upstash-Signature as QStash documents it: an HS256 JWT from issuer "Upstash" signed with
 * the current or (during a key rotation) the next signing key, whose subject is the callback URL
 * and whose body claim is the SHA-256 of exactly the bytes received. The Receiver uses WebCrypto
 * only, so this runs unchanged in workerd.
 */
export function createQStashVerifier(options: QStashVerifierOptions): CallbackVerifier {
  const receiver = new Receiver({
    currentSigningKey: options.currentSigningKey,
    nextSigningKey: options.nextSigningKey,
    // Never let a stray QSTASH_DEV variable swap in the SDK's well-known dev keys.
    devMode: false,
  });
  return {
    async verify({ signature, body, url }) {
      if (!signature) return false;
      try {
        return await receiver.verify({ signature, body, url });
      } catch {
        // Any failure (bad JWT, wrong key, expired, other URL, other body) is the same answer: no.
        return false;
      }
    },
  };
}

/**
 * The embedded default delivers in-process and never over HTTP, so nothing arriving at the
 * callback can be genuine: every call is refused.
 */
export const rejectAllCallbacks: CallbackVerifier = {
  async verify() {
    return false;
  },
};
