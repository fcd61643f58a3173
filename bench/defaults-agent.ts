/**
 * The yardstick of the voice benchmark: an agent with nothing but the framework's defaults, in
 * the shape of LiveKit's Node starter (one Agent with instructions, an AgentSession with the same
 * speech, model and VAD plugins as the coach, no tools, default endpointing, interruption and
 * preemptive generation, default server options; turn detection by the voice detector, see
 * below). It listens with the starter's Deepgram model, Nova 3 on `/v1/listen`, whatever
 * DEEPGRAM_MODEL says. The benchmark runs it beside the coach on the same livekit-server and
 * stand-ins and compares them turn by turn, so `voice_vs_default_agent_ratio_*` says what the
 * coach's own settings gain, whatever the machine is doing.
 *
 * Run as `node bench/defaults-agent.ts start` with the agent server's usual variables
 * (LIVEKIT_*, DEEPGRAM_*, CARTESIA_*, VOICE_LLM_PROVIDER and its key); it registers under
 * LIVEKIT_AGENT_NAME. It reads no coaching context: the dispatch metadata is not used.
 */
import { fileURLToPath } from 'node:url';
import { cli, defineAgent, inference, ServerOptions, voice } from '@livekit/agents';
import { loadVoiceAgentConfig } from '../agent/config.ts';
import { createLlm, createStt, createTts } from '../agent/providers.ts';

/** What it says when the caller joins; the coach's greeting has the same length and shape. */
export const DEFAULTS_AGENT_GREETING = 'Hi there! How can I help you with your training today?';

/** The starter's speech-to-text model. */
export const STARTER_DEEPGRAM_MODEL = 'nova-3';

export default defineAgent({
  entry: async (ctx) => {
    const config = loadVoiceAgentConfig(process.env);
    await ctx.connect();
    const session = new voice.AgentSession({
      stt: createStt({ ...config.stt, model: STARTER_DEEPGRAM_MODEL }),
      tts: createTts(config.tts),
      llm: await createLlm(config.llm),
      vad: new inference.VAD({ model: 'silero' }),
      // The one departure from the defaults: left unset, the framework builds its audio turn
      // detector and adaptive interruption, which need LiveKit Cloud or a model download. Here
      // they cannot load and every turn waits out their timeouts (about 3 s a turn, measured),
      // a yardstick no one would ship. The voice detector is the framework's fallback for both.
      turnHandling: { turnDetection: 'vad', interruption: { mode: 'vad' } },
    });
    await session.start({
      agent: new voice.Agent({ instructions: 'You are a helpful fitness coach. Keep it short.' }),
      room: ctx.room,
    });
    session.say(DEFAULTS_AGENT_GREETING);
  },
});

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = loadVoiceAgentConfig(process.env);
  cli.runApp(
    new ServerOptions({
      agent: fileURLToPath(import.meta.url),
      agentName: config.livekit.agentName,
      wsURL: config.livekit.url,
      apiKey: config.livekit.apiKey,
      apiSecret: config.livekit.apiSecret,
      port: config.healthPort,
    }),
  );
}
