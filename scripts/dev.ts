/**
 * `npm run dev`: the API on its embedded defaults (workers/server.ts), plus the voice agent in dev
 * mode when its providers are configured. Works with no `.env`; reads one when present.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadVoiceAgentConfig } from '../agent/config.ts';
import { ConfigError } from '../shared/config.ts';
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { PLAYGROUND_PATH } from '../workers/playground/assets.ts';
import { type ApiServer, startApiServer } from '../workers/server.ts';

const AGENT_MAIN = fileURLToPath(new URL('../agent/main.ts', import.meta.url));

if (existsSync('.env')) process.loadEnvFile('.env');
const env = withDevDefaults(process.env);

let api: ApiServer;
try {
  api = await startApiServer(env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

process.stdout.write(
  [
    '',
    `API listening on ${api.url}  (OpenAPI document: ${api.url}/openapi.json)`,
    `Playground: ${api.url}${PLAYGROUND_PATH}  (talk to the coach from a browser)`,
    'Get a user token with `npm run token`, then for example:',
    `  curl -X POST ${api.url}/v1/sessions -H "Authorization: Bearer $(npm run -s token)" \\`,
    `    -H 'content-type: application/json' -d '{"agent_type":"workout"}'`,
    '',
  ].join('\n'),
);

const agent = startAgent();

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopping = true;
    agent?.kill(signal);
    api.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

/** The agent server in dev mode, or null (with one line saying why) when it is not configured. */
function startAgent(): ChildProcess | null {
  try {
    loadVoiceAgentConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const missing = error.problems.map((problem) => problem.split(':')[0]).join(', ');
    process.stdout.write(
      `Voice agent not started (set ${missing} to start it); serving the API only.\n`,
    );
    return null;
  }
  const child = spawn(process.execPath, [AGENT_MAIN, 'dev'], { env, stdio: 'inherit' });
  child.once('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(
        `Voice agent exited (${signal ?? `code ${code}`}); the API keeps serving.\n`,
      );
    }
  });
  return child;
}
