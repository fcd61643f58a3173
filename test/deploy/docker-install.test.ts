/**
 * Docker cannot run here, so this replays agent/Dockerfile in a temporary directory: the same
 * COPY sources, the same `npm ci --omit=dev`, the same ENV and the same CMD. Then it proves the
 * image would work: no devDependency is installed, the agent's imports all resolve from that
 * install (a bad configuration gets the one clear message, not a missing-module crash), and
 * against a real livekit-server the agent registers, prewarms its job processes and passes the
 * Dockerfile's own HEALTHCHECK.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgentProcess } from '../e2e/agent-process.ts';
import { livekitServerAvailability, startLivekitServer } from '../support/livekit-server.ts';
import { freeTcpPort } from '../support/net.ts';
import { type DockerImageSteps, imageSteps, parseDockerfile } from './dockerfile.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_BIN_DIR = dirname(process.execPath);

/**
 * RUN steps that act on the base system rather than on the app, so they cannot be replayed in a
 * directory: the CA bundle (Debian package) and the spool directory at /data (owned by `node`).
 * Any other RUN step must be an npm install step the replay understands, or this test fails.
 */
const SYSTEM_STEPS = [/^apt-get update\b/, /^mkdir -p \/data\/spool && chown -R node:node \/data$/];
/** The variables through which this machine reaches the npm registry, where they are set. */
const REGISTRY_ACCESS_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'];

function registryAccess(source: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    REGISTRY_ACCESS_VARIABLES.flatMap((name) => {
      const value = source[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

const NPM_CI = /^npm ci\b([^&]*)(?:&& npm cache clean --force)?$/;

/** Container paths in ENV that point outside the app directory, mapped into the replay. */
const containerPathsIn = (steps: DockerImageSteps, appDir: string) =>
  Object.fromEntries(
    Object.entries(steps.env).map(([key, value]) => [
      key,
      value.startsWith('/data/') ? join(appDir, '.container-data', value) : value,
    ]),
  );

/** The build context's ignore file (BuildKit reads `<Dockerfile>.dockerignore`) as a path test. */
function ignoredBy(ignoreFile: string): (relativePath: string) => boolean {
  const patterns = ignoreFile
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((glob) => {
      const escapeRegExp = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      const source = glob
        .split('**/')
        .map((part) => part.split('*').map(escapeRegExp).join('[^/]*'))
        .join('(?:.*/)?');
      // Ignoring a directory ignores everything in it.
      return new RegExp(`^${source}(?:/.*)?$`);
    });
  return (relativePath) => patterns.some((pattern) => pattern.test(relativePath));
}

const availability = livekitServerAvailability();

describe('agent/Dockerfile, replayed without Docker', () => {
  let steps: DockerImageSteps;
  let appDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    steps = imageSteps(parseDockerfile(await readFile(join(ROOT, 'agent/Dockerfile'), 'utf8')));
    const ignored = ignoredBy(await readFile(join(ROOT, 'agent/Dockerfile.dockerignore'), 'utf8'));
    appDir = await mkdtemp(join(tmpdir(), 'fvc-agent-image-'));

    for (const { sources, destination } of steps.copies) {
      const target = resolve(appDir, destination.replace(/^\/app\/?/, './'));
      for (const source of sources) {
        const into =
          destination.endsWith('/') && sources.length > 1 ? join(target, source) : target;
        await mkdir(dirname(into), { recursive: true });
        await cp(join(ROOT, source), into, {
          recursive: true,
          filter: (path) => !ignored(relative(ROOT, path)),
        });
      }
    }

    env = {
      // npm and its install scripts run on the image's Node, which is Node 24 here too.
      PATH: `${NODE_BIN_DIR}${delimiter}${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? tmpdir(),
      ...containerPathsIn(steps, appDir),
    };
    for (const step of steps.runs) {
      if (SYSTEM_STEPS.some((pattern) => pattern.test(step))) continue;
      const npmCi = NPM_CI.exec(step);
      if (!npmCi) throw new Error(`the install replay does not know this RUN step: ${step}`);
      // `npm cache clean` is left out on purpose: here it would empty the machine's shared cache.
      const flags = (npmCi[1] ?? '').trim().split(/\s+/).filter(Boolean);
      await run('npm', ['ci', ...flags, '--prefer-offline'], {
        cwd: appDir,
        // The registry as this machine reaches it (a Docker build has its own network): a
        // package missing from the npm cache is fetched through the same certificate bundle.
        env: { ...env, ...registryAccess(process.env) },
        maxBuffer: 16 * 1024 * 1024,
      });
    }
  }, 600_000);

  afterAll(async () => {
    if (appDir) await rm(appDir, { recursive: true, force: true });
  });

  it('runs as a non-root user on Node 24 slim and starts the agent server in production mode', () => {
    expect(steps.from).toMatch(/^node:24(\.\d+)*-slim$/);
    expect(steps.user).toBeDefined();
    expect(steps.user).not.toBe('root');
    expect(steps.cmd).toEqual(['node', 'agent/main.ts', 'start']);
    expect(steps.env.NODE_ENV).toBe('production');
    expect(steps.exposedPorts).toContain(Number(steps.env.AGENT_HEALTH_PORT));
    expect(steps.runs.some((step) => /npm ci\b.*--omit=dev/.test(step))).toBe(true);
  });

  it('is deployed by agent/fly.toml with its health port checked and time to drain', async () => {
    const flyToml = await readFile(join(ROOT, 'agent/fly.toml'), 'utf8');
    expect(/^\s*dockerfile\s*=\s*"Dockerfile"/m.test(flyToml)).toBe(true);
    const checkPort = /\[checks\.\w+\][^[]*?\bport\s*=\s*(\d+)/s.exec(flyToml)?.[1];
    expect(checkPort).toBe(steps.env.AGENT_HEALTH_PORT);
    const killTimeout = /^kill_timeout\s*=\s*"(\d+)s"/m.exec(flyToml)?.[1];
    expect(Number(killTimeout)).toBeGreaterThanOrEqual(30);
    // The spool directory the image sets up is where the volume is mounted.
    const mount = /\[mounts\][^[]*?destination\s*=\s*"([^"]+)"/s.exec(flyToml)?.[1];
    expect(mount).toBeDefined();
    expect(steps.env.LOG_SPOOL_DIR?.startsWith(`${mount}/`)).toBe(true);
    // Each machine's share of the sessions is set, not left to its CPU load (agent/capacity.ts).
    const maxJobs = /^\s*AGENT_MAX_CONCURRENT_JOBS\s*=\s*"(\d+)"/m.exec(flyToml)?.[1];
    expect(Number(maxJobs)).toBeGreaterThan(0);
  });

  it('installs no devDependency', async () => {
    const pkg = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const lock = JSON.parse(await readFile(join(appDir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    // A devDependency that a production package also needs is not dev in the lockfile.
    const devOnly = Object.keys(pkg.devDependencies).filter(
      (name) => lock.packages[`node_modules/${name}`]?.dev === true,
    );
    expect(devOnly).toEqual(
      expect.arrayContaining(['vitest', 'wrangler', 'node', '@biomejs/biome']),
    );
    const installed = await Promise.all(
      devOnly.map(async (name) => {
        const found = await readFile(
          join(appDir, 'node_modules', name, 'package.json'),
          'utf8',
        ).then(
          () => true,
          () => false,
        );
        return found ? name : null;
      }),
    );
    expect(installed.filter(Boolean)).toEqual([]);
  });

  it('loads every agent module from the production install and names the missing settings', async () => {
    const [command, ...args] = steps.cmd;
    expect(command).toBe('node');
    const result = await run(process.execPath, args, { cwd: appDir, env }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Voice agent configuration is invalid');
    for (const variable of [
      'LIVEKIT_URL',
      'DEEPGRAM_API_KEY',
      'CARTESIA_API_KEY',
      'API_BASE_URL',
    ]) {
      expect(result.stderr).toContain(variable);
    }
    expect(result.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
  });

  describe.skipIf(!availability.available)('against a real livekit-server', () => {
    it('registers, prewarms its job processes and passes the HEALTHCHECK', async () => {
      if (!availability.available) return;
      const server = await startLivekitServer(availability.binary);
      const healthPort = String(await freeTcpPort());
      const agentEnv = {
        ...env,
        AGENT_HEALTH_PORT: healthPort,
        LIVEKIT_URL: server.url,
        LIVEKIT_API_KEY: server.apiKey,
        LIVEKIT_API_SECRET: server.apiSecret,
        // Never called in this test: no job is dispatched.
        API_BASE_URL: 'http://127.0.0.1:9',
        SERVICE_API_TOKEN: 'image-test-service-token-0123456789',
        DEEPGRAM_API_KEY: 'image-test',
        CARTESIA_API_KEY: 'image-test',
        OPENAI_API_KEY: 'image-test',
        // Debug shows the framework's "job runner initialized", logged after prewarm succeeds.
        LOG_LEVEL: 'debug',
      };
      const [, ...args] = steps.cmd;
      const agent = startAgentProcess(agentEnv, {
        cwd: appDir,
        main: args[0],
        args: args.slice(1),
      });
      try {
        await agent.waitForLog(
          'registered worker',
          (line) => line.msg === 'registered worker',
          60_000,
        );
        await agent.waitForLog(
          'a prewarmed job process',
          (line) => line.msg === 'job runner initialized',
          60_000,
        );

        const [healthCommand, ...healthArgs] = steps.healthcheck ?? [];
        expect(healthCommand).toBe('node');
        const health = await run(process.execPath, healthArgs, { env: agentEnv }).then(
          () => 0,
          (error: { code: number }) => error.code,
        );
        expect(health).toBe(0);
        expect(agent.logs.filter((line) => Number(line.level) >= 50)).toEqual([]);
      } finally {
        await agent.stop();
        await server.stop();
      }
    }, 180_000);
  });
});
