/**
 * Refuses a request body that is not UTF-8. JSON text is UTF-8, and every reader (Hono's
 * `req.json()`, `req.text()`) would otherwise turn broken bytes into U+FFFD without a word, so an
 * exercise name sent with a broken byte would be accepted and stored changed. Routes that parse a
 * JSON body put this after their auth check, before their validator.
 */
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { badRequest } from '../errors.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function isUtf8(bytes: ArrayBuffer): boolean {
  try {
    strictUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

export const requireUtf8Body = createMiddleware<AppEnv>(async (c, next) => {
  // Read through Hono's cache, so the validator after this parses the same bytes once more.
  if (c.req.raw.body !== null && !isUtf8(await c.req.arrayBuffer())) {
    throw badRequest('invalid body: not valid UTF-8 text');
  }
  await next();
});
