/**
 * Starts a real livekit-server (scripts/install-livekit-server.sh builds it) for one test file.
 * Each instance binds to 127.0.0.1 on its own free ports with its own random API key, so test
 * files running in parallel never share a server or a room.
 *
 * Outside CI a missing binary skips the tests that need it, with a message saying how to install
 * it; in CI (CI=true) a missing binary is an error, so the end-to-end tests cannot silently vanish.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freeTcpPort } from './net.ts';

export interface LivekitServer {
  /** WebSocket URL for clients, agents and server SDKs (they swap the scheme to http themselves). */
  url: string;
  apiKey: string;
  apiSecret: string;
  /** The server's recent output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export type LivekitServerAvailability =
  | { available: true; binary: string }
  | { available: false; reason: string };

const INSTALL_HINT = 'run scripts/install-livekit-server.sh (needs Go) or set LIVEKIT_SERVER_BIN';
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_LIMIT_CHARS = 20_000;

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function goBinDir(): string {
  try {
    const gobin = execFileSync('go', ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
    if (gobin) return gobin;
    return join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin');
  } catch {
    // No Go toolchain: `go install` would have used its default GOPATH.
    return join(homedir(), 'go', 'bin');
  }
}

/** The binary's path: LIVEKIT_SERVER_BIN, `livekit-server` on PATH, or Go's bin directory. */
export function findLivekitServerBinary(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.LIVEKIT_SERVER_BIN) {
    return isExecutable(env.LIVEKIT_SERVER_BIN) ? env.LIVEKIT_SERVER_BIN : null;
  }
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'livekit-server');
    if (isExecutable(candidate)) return candidate;
  }
  const goBin = goBinDir();
  // `go install github.com/livekit/livekit-server/cmd/server` names the binary `server`.
  return ['livekit-server', 'server'].map((name) => join(goBin, name)).find(isExecutable) ?? null;
}

/**
 * Whether the tests that need a real server can run here. Throws in CI when the binary is
 * missing, which fails the test file at collection instead of skipping it.
 */
export function livekitServerAvailability(
  env: NodeJS.ProcessEnv = process.env,
): LivekitServerAvailability {
  const binary = findLivekitServerBinary(env);
  if (binary) return { available: true, binary };
  const reason = `livekit-server is not installed: ${INSTALL_HINT}`;
  if (env.CI === 'true') throw new Error(`${reason} (required in CI)`);
  return { available: false, reason };
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', resolve);
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

interface ServerPorts {
  http: number;
  rtcTcp: number;
  rtcUdp: number;
}

export interface LivekitServerOptions {
  /** Where the server POSTs its signed webhooks (signed with the server's one API key). */
  webhookUrls?: readonly string[];
}

/**
 * JSON is valid YAML, so the configuration is built as an object and serialised with
 * JSON.stringify: no quoting rules to get wrong.
 */
function serverConfig(
  ports: ServerPorts,
  apiKey: string,
  apiSecret: string,
  { webhookUrls = [] }: LivekitServerOptions,
): string {
  return JSON.stringify({
    port: ports.http,
    bind_addresses: ['127.0.0.1'],
    keys: { [apiKey]: apiSecret },
    rtc: {
      tcp_port: ports.rtcTcp,
      // One UDP port (a mux) instead of a range, so parallel servers cannot collide.
      udp_port: ports.rtcUdp,
      node_ip: '127.0.0.1',
      use_external_ip: false,
      enable_loopback_candidate: true,
    },
    turn: { enabled: false },
    // Rooms of a finished test close quickly instead of lingering for the default 5 minutes.
    room: { empty_timeout: 10, departure_timeout: 5 },
    logging: { level: 'info', json: true },
    ...(webhookUrls.length > 0 ? { webhook: { api_key: apiKey, urls: webhookUrls } } : {}),
  });
}

async function waitUntilReady(
  httpUrl: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`livekit-server exited before it was ready:\n${output()}`);
    }
    try {
      const response = await fetch(httpUrl);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`livekit-server was not ready after ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A second signal would make the server skip its graceful close; SIGKILL bounds the wait.
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts a server on fresh ports with a fresh key pair and resolves once it answers HTTP. */
export async function startLivekitServer(
  binary: string,
  options: LivekitServerOptions = {},
): Promise<LivekitServer> {
  const ports: ServerPorts = {
    http: await freeTcpPort(),
    rtcTcp: await freeTcpPort(),
    rtcUdp: await freeUdpPort(),
  };
  const apiKey = `test-${randomBytes(6).toString('hex')}`;
  const apiSecret = randomBytes(32).toString('hex');

  let recent = '';
  const record = (chunk: Buffer) => {
    recent = (recent + chunk.toString('utf8')).slice(-OUTPUT_LIMIT_CHARS);
  };
  const child = spawn(binary, ['--config-body', serverConfig(ports, apiKey, apiSecret, options)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  const output = () => recent;
  // A test worker that dies must not leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;

  try {
    await waitUntilReady(`http://127.0.0.1:${ports.http}/`, child, output);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return {
    url: `ws://127.0.0.1:${ports.http}`,
    apiKey,
    apiSecret,
    output,
    stop: () => stopProcess(child),
  };
}
