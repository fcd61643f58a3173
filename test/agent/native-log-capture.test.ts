/**
 * The job process turns off the native client's log capture (agent/native-log-capture.ts): with
 * it on, as rtc-node ships, every native log record reaches JavaScript as an event and is decoded
 * for nothing. Checked on the real native client and a real livekit-server, in child processes,
 * since the native client is made once per process.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NativeBindings, turnOffNativeLogCapture } from '../../agent/native-log-capture.ts';
import {
  type LivekitServer,
  livekitServerAvailability,
  startLivekitServer,
} from '../support/livekit-server.ts';

const CHILD = fileURLToPath(new URL('./native-log-child.ts', import.meta.url));

interface ChildReport {
  outcome: string;
  connected: boolean;
  events: Record<string, number>;
}

function fakeBindings() {
  const calls: Array<{ captureLogs: boolean; sdkVersion: string }> = [];
  const bindings: NativeBindings = {
    livekitInitialize: (_callback, captureLogs, sdkVersion) => {
      calls.push({ captureLogs, sdkVersion });
    },
  };
  return { bindings, calls };
}

describe('turning off native log capture', () => {
  it('makes the client start without capture, keeping its callback and version', () => {
    const { bindings, calls } = fakeBindings();
    expect(turnOffNativeLogCapture(bindings, () => false)).toBe('off');
    const callback = () => undefined;
    bindings.livekitInitialize(callback, true, '0.13.35');
    expect(calls).toEqual([{ captureLogs: false, sdkVersion: '0.13.35' }]);
  });

  it('wraps once however often it runs', () => {
    const { bindings, calls } = fakeBindings();
    turnOffNativeLogCapture(bindings, () => false);
    const wrapped = bindings.livekitInitialize;
    expect(turnOffNativeLogCapture(bindings, () => true)).toBe('off');
    expect(bindings.livekitInitialize).toBe(wrapped);
    bindings.livekitInitialize(() => undefined, true, 'v');
    expect(calls).toHaveLength(1);
  });

  it('says so, and changes nothing, when the client was already made', () => {
    const { bindings } = fakeBindings();
    const initialize = bindings.livekitInitialize;
    expect(turnOffNativeLogCapture(bindings, () => true)).toBe('already_started');
    expect(bindings.livekitInitialize).toBe(initialize);
  });
});

const availability = livekitServerAvailability();

describe.skipIf(!availability.available)('the native client on a real livekit-server', () => {
  let server: LivekitServer;

  beforeAll(async () => {
    if (!availability.available) return;
    server = await startLivekitServer(availability.binary);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function joinAndPublish(mode: 'capture-off' | 'as-shipped'): Promise<ChildReport> {
    const token = new AccessToken(server.apiKey, server.apiSecret, { identity: `agent-${mode}` });
    token.addGrant({ roomJoin: true, room: `native-logs-${mode}`, canPublish: true });
    const child = spawn(process.execPath, [CHILD, mode, server.url, await token.toJwt()], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // What job processes get (job-process-env.ts); irrelevant while capture is on.
      env: { ...process.env, RUST_LOG: 'off' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildReport;
  }

  it('sends no log records to JavaScript once capture is off, and still sends room events', async () => {
    // As rtc-node ships: the records arrive (this is what the change removes).
    const shipped = await joinAndPublish('as-shipped');
    expect(shipped.connected).toBe(true);
    expect(shipped.events.logs ?? 0).toBeGreaterThan(100);

    const off = await joinAndPublish('capture-off');
    expect(off.outcome).toBe('off');
    expect(off.connected).toBe(true);
    expect(off.events.logs ?? 0).toBe(0);
    // The client still hears everything else: the connection, the published track, the audio.
    expect(off.events.connect).toBe(1);
    expect(off.events.publishTrack).toBe(1);
    expect(off.events.captureAudioFrame ?? 0).toBeGreaterThan(0);
  }, 60_000);
});
