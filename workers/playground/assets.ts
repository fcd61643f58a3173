/**
 * Where the playground page's built files live and how the Node entry serves them. On Workers the
 * same directory is the `[assets]` directory of wrangler.toml, so both runtimes serve the same
 * files under the same path. The files are built by scripts/build-playground.ts (run by
 * `npm install`, `npm run dev` and `npm test`) and never committed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { App } from '../app.ts';
import { errorBody } from '../errors.ts';

/** The assets root: wrangler.toml's `[assets] directory`. */
export const ASSETS_DIR = fileURLToPath(new URL('../../dist/public/', import.meta.url));
/** The page's URL path, and its folder under ASSETS_DIR. */
export const PLAYGROUND_PATH = '/playground/';
export const PLAYGROUND_DIR = join(ASSETS_DIR, PLAYGROUND_PATH);

/** Serves the built page on `app` under PLAYGROUND_PATH, as Workers static assets would. */
export function servePlayground(app: App): void {
  const files = serveStatic({ root: ASSETS_DIR });
  app.get(PLAYGROUND_PATH.slice(0, -1), (c) => c.redirect(PLAYGROUND_PATH, 301));
  app.get(`${PLAYGROUND_PATH}*`, async (c, next) => {
    // Checked per request, so a build made after the server started is served without a restart.
    if (!existsSync(join(PLAYGROUND_DIR, 'index.html'))) {
      return c.json(
        errorBody('unavailable', 'the playground is not built; run `npm run build:playground`'),
        503,
      );
    }
    return files(c, next);
  });
}
