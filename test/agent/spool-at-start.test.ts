/**
 * The real agent server (`node agent/main.ts start`) on a real livekit-server resends the sets
 * an earlier process left in the spool as soon as it starts, without any session being
 * dispatched to it: its warm job processes adopt orphaned spools in prewarm.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import type { LogEntry } from '../../shared/schemas.ts';
import { startAgentProcess } from '../e2e/agent-process.ts';
import { eventually } from '../e2e/livekit.ts';
import { livekitServerAvailability, startLivekitServer } from '../support/livekit-server.ts';
import { freeTcpPort } from '../support/net.ts';
import { type EdgeApiServer, startEdgeApi } from './edge-api.ts';

const availability = livekitServerAvailability();

describe.skipIf(!availability.available)('the agent server at start', () => {
  let edge: EdgeApiServer;
  let spoolDir: string;

  beforeAll(async () => {
    edge = await startEdgeApi();
    spoolDir = await mkdtemp(join(tmpdir(), 'agent-start-spool-'));
  });
  afterAll(async () => {
    await edge?.close();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
  });

  it('resends an orphaned spool before any job arrives', async () => {
    if (!availability.available) return;
    const sets: LogEntry[] = Array.from({ length: 3 }, () => ({
      log_id: randomUUID(),
      user_id: DEMO_USER_ID,
      exercise: 'bench press',
      reps: 8,
      weight_kg: 70,
      logged_at: new Date().toISOString(),
    }));
    // Left by a process of an earlier machine that was stopped before it could send them.
    const orphan = join(spoolDir, '4242-0a1b2c3d');
    await mkdir(orphan);
    await writeFile(join(orphan, 'owner.json'), JSON.stringify({ pid: 4242, host: 'earlier' }));
    await writeFile(
      join(orphan, 'spool.jsonl'),
      sets.map((e) => `${JSON.stringify(e)}\n`).join(''),
    );

    const server = await startLivekitServer(availability.binary);
    const agent = startAgentProcess({
      AGENT_HEALTH_PORT: String(await freeTcpPort()),
      LIVEKIT_URL: server.url,
      LIVEKIT_API_KEY: server.apiKey,
      LIVEKIT_API_SECRET: server.apiSecret,
      API_BASE_URL: edge.baseUrl,
      SERVICE_API_TOKEN: edge.serviceToken,
      LOG_SPOOL_DIR: spoolDir,
      DEEPGRAM_API_KEY: 'unused',
      CARTESIA_API_KEY: 'unused',
      OPENAI_API_KEY: 'unused',
    });
    try {
      await agent.waitForLog(
        'registered worker',
        (line) => line.msg === 'registered worker',
        60_000,
      );
      const ids = sets.map((e) => e.log_id);
      await eventually(
        'the orphaned sets in the database',
        async () => ((await edge.countLogs(ids)) === sets.length ? true : undefined),
        60_000,
      );
      expect(await readdir(spoolDir)).not.toContain('4242-0a1b2c3d');
      expect(agent.logs.some((line) => line.event === 'log_spool_recovered')).toBe(true);
    } finally {
      await agent.stop();
      await server.stop();
    }
  }, 180_000);
});
