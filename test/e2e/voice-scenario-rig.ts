/**
 * The rig the voice scenario files share: a real livekit-server, the edge API served over HTTP
 * on a fresh seeded PostgreSQL database (its orchestrator on the specialist stand-in), the voice
 * stand-ins and the real agent server process, and simulated callers that speak to it.
 */
import { DEV_DEFAULTS, withDevDefaults } from '../../shared/dev-defaults.ts';
import type { AgentType } from '../../shared/schemas.ts';
import { createApp } from '../../workers/app.ts';
import { loadApiConfig } from '../../workers/config.ts';
import { type LivekitServer, startLivekitServer } from '../support/livekit-server.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import { describeTimeline } from '../support/turn-timeline.ts';
import { CallerError, type VoiceCaller } from '../support/voice-caller.ts';
import {
  type CallerTurn,
  callCoach,
  orchestratorEnv,
  startVoiceAgent,
  startVoiceStandins,
  takeTurn,
  temporarySpoolDir,
  type VoiceStandins,
} from '../support/voice-rig.ts';
import type { AgentProcess } from './agent-process.ts';
import { type ServedApp, serveApp, withLivekitServer } from './livekit.ts';

export interface VoiceScenarioRig {
  server: LivekitServer;
  test: TestServices;
  api: ServedApp;
  standins: VoiceStandins;
  agent: AgentProcess;
  /** A caller for `userId`; hung up by `close()` if the test does not. */
  call(userId: string, agentType: AgentType): Promise<VoiceCaller>;
  /** Says `line` (transcribed as `line`) and waits for the first coach audio after it. */
  ask(caller: VoiceCaller, line: string, timeoutMs?: number): Promise<Asked>;
  /** Everything Cartesia was asked to say from generation `since` on, as one text. */
  spokenSince(since: number): string;
  close(): Promise<void>;
}

export interface Asked {
  turn: Awaited<ReturnType<VoiceCaller['say']>>;
  heardAt: number;
}

/** The greeting: the caller hears the coach, then the coach goes quiet. */
export async function heardGreeting(caller: VoiceCaller): Promise<void> {
  await caller.waitForCoachSound(0, 60_000);
  await caller.waitForCoachDone();
}

export async function startVoiceScenarioRig(binary: string): Promise<VoiceScenarioRig> {
  const [server, standins, spool] = await Promise.all([
    startLivekitServer(binary),
    startVoiceStandins(),
    temporarySpoolDir(),
  ]);
  const test = await createTestServices({
    config: loadApiConfig(withDevDefaults(orchestratorEnv(standins))),
  });
  const api = await serveApp(
    createApp(withLivekitServer(test.services, server)),
    DEV_DEFAULTS.SERVICE_API_TOKEN,
  );
  const agent = await startVoiceAgent({ server, apiUrl: api.url, standins, spoolDir: spool.dir });
  const callers: VoiceCaller[] = [];

  return {
    server,
    test,
    api,
    standins,
    agent,
    async call(userId, agentType) {
      // A new conversation: lines a failed test queued and never said must not be heard here.
      standins.deepgram.clearTranscripts();
      const caller = await callCoach(api.url, userId, agentType);
      callers.push(caller);
      return caller;
    },
    async ask(caller, line, timeoutMs = 30_000) {
      let asked: CallerTurn;
      try {
        asked = await takeTurn(standins, caller, line, timeoutMs);
      } catch (error) {
        if (!(error instanceof CallerError)) throw error;
        const events = agent.logs.filter((l) => typeof l.event === 'string').slice(-20);
        throw new Error(
          `no answer to "${line}": ${error.message}; agent events:\n` +
            events.map((l) => JSON.stringify(l)).join('\n'),
        );
      }
      const { timeline } = asked;
      console.log(
        `"${line}": ${typeof timeline === 'string' ? timeline : describeTimeline(timeline)}`,
      );
      return { turn: asked.turn, heardAt: asked.heardAt };
    },
    spokenSince(since) {
      return standins.cartesia.generations
        .slice(since)
        .map((generation) => generation.transcript)
        .join(' ');
    },
    async close() {
      await Promise.all(callers.map((caller) => caller.hangUp()));
      await agent.stop();
      await Promise.all([api.close(), standins.close(), test.cleanup()]);
      await server.stop();
      await spool.remove();
    },
  };
}
