/**
 * Builds the playground page (workers/playground/page) into the static assets directory that
 * both the Node server and Workers static assets serve (workers/playground/assets.ts): the
 * bundled script with livekit-client, the HTML and the stylesheet. Run by `npm install`
 * (`prepare`), `npm run dev` (`predev`), `npm run deploy` (`predeploy`) and, when the page is
 * missing, `npm test` (scripts/test-setup.sh). The output is git-ignored.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PLAYGROUND_DIR } from '../workers/playground/assets.ts';

const PAGE_SOURCE = fileURLToPath(new URL('../workers/playground/page/', import.meta.url));
const STATIC_FILES = ['index.html', 'style.css'];

const started = performance.now();
await rm(PLAYGROUND_DIR, { recursive: true, force: true });
await mkdir(PLAYGROUND_DIR, { recursive: true });
await build({
  entryPoints: [join(PAGE_SOURCE, 'main.ts')],
  outfile: join(PLAYGROUND_DIR, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Browsers of the last few years: WebRTC and top-level await are needed anyway.
  target: ['chrome111', 'firefox115', 'safari16'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
await Promise.all(
  STATIC_FILES.map((file) => copyFile(join(PAGE_SOURCE, file), join(PLAYGROUND_DIR, file))),
);
process.stdout.write(
  `playground built in ${Math.round(performance.now() - started)} ms: ${PLAYGROUND_DIR}\n`,
);
