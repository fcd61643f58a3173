import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/workerd/**', 'node_modules/**'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
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
