/**
 * Private Redis and PostgreSQL servers for outage tests: each on a free port with its data in a
 * temporary directory, so a test can stop and start it without touching the shared servers on
 * 6379 and 5432 that other test files use at the same time.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '../support/net.ts';

export interface PrivateServer {
  port: number;
  /** A URL of the server (for PostgreSQL: its `postgres` database as the `postgres` user). */
  url: string;
  /** Starts the server (again) on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it ("SIGKILL" for a crash, "SIGINT" for PostgreSQL's fast shutdown). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

async function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function managedServer(options: {
  port: number;
  url: string;
  dataDir: string;
  spawnServer: () => ChildProcess;
  /** Extra readiness check after the port accepts connections. */
  ready?: () => boolean;
}): PrivateServer {
  let child: ChildProcess | undefined;
  let output = '';
  const server: PrivateServer = {
    port: options.port,
    url: options.url,
    async start() {
      if (child) return;
      const started = options.spawnServer();
      child = started;
      started.stdout?.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
      });
      started.stderr?.on('data', (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
      });
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        if (started.exitCode !== null) {
          child = undefined;
          throw new Error(`the private server exited while starting:\n${output}`);
        }
        if ((await acceptsConnections(options.port)) && (options.ready?.() ?? true)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`the private server did not start within 30 s:\n${output}`);
    },
    async stop(signal = 'SIGKILL') {
      const running = child;
      child = undefined;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill(signal);
      await exited;
    },
    async destroy() {
      await server.stop('SIGKILL');
      await rm(options.dataDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** A redis-server without persistence. */
export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freeTcpPort();
  const dataDir = await mkdtemp(join(tmpdir(), 'private-redis-'));
  const server = managedServer({
    port,
    url: `redis://127.0.0.1:${port}`,
    dataDir,
    spawnServer: () =>
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dataDir],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
  });
  await server.start();
  return server;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL 15 cluster made with initdb (trust auth, superuser `postgres`). PostgreSQL refuses
 * to run as root, so as root it runs as the system's `postgres` user.
 */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const port = await freeTcpPort();
  const dataDir = await mkdtemp(join(tmpdir(), 'private-postgres-'));
  const asUser = userInfo().uid === 0 ? systemPostgresUser() : undefined;
  if (asUser) chownSync(dataDir, asUser.uid, asUser.gid);
  const cluster = join(dataDir, 'cluster');
  execFileSync(
    join(PG_BIN, 'initdb'),
    ['-D', cluster, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    { stdio: 'ignore', ...asUser },
  );
  let ready = false;
  const server = managedServer({
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    spawnServer: () => {
      ready = false;
      const child = spawn(
        join(PG_BIN, 'postgres'),
        [
          '-D',
          cluster,
          '-p',
          String(port),
          '-k',
          dataDir,
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          'max_connections=50',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], ...asUser },
      );
      // The port opens before recovery ends; this line says queries are accepted.
      child.stderr?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready to accept connections')) ready = true;
      });
      return child;
    },
    ready: () => ready,
  });
  await server.start();
  return server;
}

function systemPostgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root needs a `postgres` system user to run PostgreSQL as');
  }
}
