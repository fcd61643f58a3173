import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { captureOutput } from './test/support/log-capture/capture.ts';

/** The test files whose callers speak real-time audio to the agent (the `voice` project). */
const REAL_TIME_VOICE_FILES = [
  'test/e2e/voice-*.test.ts',
  'test/e2e/deepgram-listening.test.ts',
  'test/e2e/deepgram-flux.test.ts',
  'test/e2e/demo.test.ts',
  'test/playground/browser.test.ts',
];

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
          exclude: ['test/workerd/**', 'node_modules/**', ...REAL_TIME_VOICE_FILES],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Every line the run writes is captured and searched for secrets at its end.
          globalSetup: ['test/support/log-capture/global.ts'],
          setupFiles: ['test/support/log-capture/worker-setup.ts'],
        },
      },
      {
        // Callers speaking in real time to the agent process over a real livekit-server (five at
        // once in one scenario). On two cores, sharing them with other test files starved the job
        // processes past the model's 1.2 s first-token deadline, and the coach apologised instead
        // of answering; so these run after everything else, one file at a time.
        test: {
          name: 'voice',
          include: REAL_TIME_VOICE_FILES,
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          globalSetup: ['test/support/log-capture/global.ts'],
          setupFiles: ['test/support/log-capture/worker-setup.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 2 },
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
