/**
 * A deploy stops the agent server with SIGTERM and Fly sends SIGKILL kill_timeout later. The
 * server's own shutdown (let sessions end, then close the remaining jobs, each draining its log
 * spool) must end before that, or sessions are cut off without their summary and spool drain.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadVoiceAgentConfig } from '../../agent/config.ts';
import { KILL_TIMEOUT_MS, serverOptions } from '../../agent/main.ts';
import { SPOOL_DRAIN_TIMEOUT_MS } from '../../agent/session.ts';
import { withDevDefaults } from '../../shared/dev-defaults.ts';

const FLY_TOML = fileURLToPath(new URL('../../agent/fly.toml', import.meta.url));

describe('the agent server shutdown fits in agent/fly.toml kill_timeout', () => {
  it('drains sessions and closes jobs before the SIGKILL', async () => {
    const flyToml = await readFile(FLY_TOML, 'utf8');
    const killTimeoutS = /^kill_timeout\s*=\s*"(\d+)s"/m.exec(flyToml)?.[1];
    expect(killTimeoutS).toBeDefined();
    const killTimeoutMs = Number(killTimeoutS) * 1000;
    expect(KILL_TIMEOUT_MS).toBe(killTimeoutMs);
    expect(flyToml).toMatch(/^kill_signal\s*=\s*"SIGTERM"/m);

    const options = serverOptions(
      loadVoiceAgentConfig(
        withDevDefaults({
          DEEPGRAM_API_KEY: 'k',
          CARTESIA_API_KEY: 'k',
          OPENAI_API_KEY: 'k',
        }),
      ),
    );
    expect(options.drainTimeout).toBeGreaterThan(0);
    // Sessions get the drain; what is left closes each remaining job, spool drain included.
    expect(
      options.drainTimeout + options.shutdownProcessTimeout + SPOOL_DRAIN_TIMEOUT_MS,
    ).toBeLessThan(killTimeoutMs);
  });
});
