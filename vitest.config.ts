import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { captureOutput } from './test/support/log-capture/capture.ts';

export default defineConfig({
  test: {
    // Console output reaches the main process; it joins the run's log capture there.
    onConsoleLog: (line: string) => {
      captureOutput(line);
    },
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workerd/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Every line the run writes is captured and searched for secrets at its end.
          globalSetup: ['test/support/log-capture/global.ts'],
          setupFiles: ['test/support/log-capture/worker-setup.ts'],
        },
      },
      {
        // The Worker itself (workers/index.ts, as wrangler.toml names it) inside workerd, against
        // the local services that test/workerd/global-setup.ts starts in Node.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: inject('workerdBindings'),
              // Serves the Worker under test on a fixed loopback port, so the QStash stand-in
              // (in Node) can call it back at PUBLIC_BASE_URL the way QStash calls a deployed Worker.
              unsafeDirectSockets: [{ host: '127.0.0.1', port: inject('workerdPort') }],
            },
          })),
        ],
        test: {
          name: 'workerd',
          include: ['test/workerd/**/*.test.ts'],
          globalSetup: ['test/workerd/global-setup.ts'],
          // One workerd for every file, one file at a time: each pool worker starts its own
          // Miniflare, and two of them cannot both serve the Worker on the fixed port above.
          isolate: false,
          fileParallelism: false,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
