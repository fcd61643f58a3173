/**
 * One idle coaching job, for the RSS measurement of bench/agent.ts (run as its own Node 24
 * process with --expose-gc). It builds everything a job holds once it is waiting for the user:
 * the framework, the plugins, the VAD, the API client, the context, the spool, the coach and a
 * started AgentSession with STT, TTS and LLM objects. It cannot join a LiveKit room here, so
 * the room's WebRTC connection (native memory in @livekit/rtc-node) is not included.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inference, initializeLogger, voice } from '@livekit/agents';
import { FitnessVoiceAgent } from '../agent/coach.ts';
import { loadVoiceAgentConfig } from '../agent/config.ts';
import { LogSpool } from '../agent/log-spool.ts';
import { createLlm, createStt, createTts } from '../agent/providers.ts';
import { createApiClient } from '../shared/api-client.ts';
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { systemClock } from '../shared/runtime.ts';
import { exampleContext } from '../test/agent/fixtures.ts';
import { silentLogger } from '../workers/logger.ts';

initializeLogger({ pretty: false, level: 'silent' });
const config = loadVoiceAgentConfig(
  withDevDefaults({
    DEEPGRAM_API_KEY: 'bench-key',
    CARTESIA_API_KEY: 'bench-key',
    OPENAI_API_KEY: 'bench-key',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
    LOG_SPOOL_DIR: await mkdtemp(join(tmpdir(), 'agent-rss-')),
  }),
);
const api = createApiClient(config.api);
const spool = await LogSpool.open({
  dir: config.spoolDir,
  send: async () => {},
  logger: silentLogger,
});
const agent = new FitnessVoiceAgent({
  agentType: 'workout',
  context: exampleContext(),
  logSink: spool,
  specialists: api,
  logger: silentLogger,
  clock: systemClock,
});
const session = new voice.AgentSession({
  stt: createStt(config.stt),
  tts: createTts(config.tts),
  llm: await createLlm(config.llm),
  vad: new inference.VAD({ model: 'silero' }),
  turnHandling: { turnDetection: 'vad', interruption: { mode: 'vad' } },
});
await session.start({ agent });
await new Promise((resolve) => setTimeout(resolve, 1000));
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
await new Promise((resolve) => setTimeout(resolve, 200));
process.stdout.write(`${JSON.stringify({ rss: process.memoryUsage().rss })}\n`);
process.exit(0);
