/**
 * A text console for trying the coach without audio:
 *   npm run coach -- --user <uuid> [--type workout|diet|supplement|general]
 *
 * The same FitnessVoiceAgent runs in the framework's text mode (no STT, TTS or room) against the
 * configured LLM and the edge API; each line on stdin is one user turn.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { initializeLogger, voice } from '@livekit/agents';
import { createApiClient } from '../shared/api-client.ts';
import { ConfigError } from '../shared/config.ts';
import { withDevDefaults } from '../shared/dev-defaults.ts';
import { systemClock } from '../shared/runtime.ts';
import { AGENT_TYPES, agentTypeSchema, userIdSchema } from '../shared/schemas.ts';
import { FitnessVoiceAgent } from './coach.ts';
import { loadCoachConfig } from './config.ts';
import { loadCoachingContext } from './context-loader.ts';
import { redactFrameworkLogs } from './log-redaction.ts';
import { LogSpool } from './log-spool.ts';
import { createAgentLogger } from './logger.ts';
import { createLlm } from './providers.ts';
import { SPOOL_DRAIN_TIMEOUT_MS } from './session.ts';

const USAGE = `usage: npm run coach -- --user <uuid> [--type ${AGENT_TYPES.join('|')}]`;

/** Exit codes: 2 for a wrong command line (as shells and most CLIs do), 1 for a failure. */
function fail(message: string, exitCode = 1): never {
  console.error(message);
  process.exit(exitCode);
}

function usageError(problem: string): never {
  return fail(`${problem}\n${USAGE}`, 2);
}

function readArguments() {
  let values: { user?: string; type?: string };
  try {
    ({ values } = parseArgs({
      options: { user: { type: 'string' }, type: { type: 'string', default: 'general' } },
    }));
  } catch (error) {
    // Unknown options, stray arguments and options without a value.
    usageError(error instanceof Error ? error.message : 'invalid arguments');
  }
  if (values.user === undefined) usageError('--user is required');
  const user = userIdSchema.safeParse(values.user);
  if (!user.success) usageError('--user must be a user id (a UUID)');
  const type = agentTypeSchema.safeParse(values.type);
  if (!type.success) usageError(`--type must be one of ${AGENT_TYPES.join(', ')}`);
  return { userId: user.data, agentType: type.data };
}

async function main(): Promise<void> {
  const { userId, agentType } = readArguments();
  initializeLogger({ pretty: true, level: process.env.LOG_LEVEL ?? 'warn' });
  redactFrameworkLogs();
  let config: ReturnType<typeof loadCoachConfig>;
  try {
    // The console is a developer tool: the local API's dev token applies when none is set.
    config = loadCoachConfig(withDevDefaults(process.env));
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const logger = createAgentLogger('coach-console', { user_id: userId, agent_type: agentType });
  const api = createApiClient(config.api);
  const context = await loadCoachingContext(api, userId).catch((error: unknown) =>
    fail(
      `could not load the coaching context: ${error instanceof Error ? error.message : 'unknown error'}`,
    ),
  );
  if (context === null) fail('that user has no profile');

  const spool = await LogSpool.open({
    dir: config.spoolDir,
    send: (entries, signal) => api.ingestLogs(entries, signal),
    logger,
  });
  const agent = new FitnessVoiceAgent({
    agentType,
    context,
    logSink: spool,
    specialists: api,
    logger,
    clock: systemClock,
  });
  // Typed lines are whole turns: no audio, so no turn detector (the default one needs a VAD).
  const session = new voice.AgentSession({
    llm: await createLlm(config.llm),
    vad: null,
    turnHandling: { turnDetection: null },
  });
  await session.start({ agent });
  console.log(`coach: ${agent.greeting}`);
  // Every line the coach says, as it joins the conversation: the model's replies, the lines tools
  // say themselves (agent/say-instead-of-replying.ts) and the unprompted end of a rest.
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, ({ item }) => {
    if (item.type === 'message' && item.role === 'assistant') {
      console.log(`coach: ${item.textContent ?? ''}`);
    }
  });
  // A line a tool says is a speech of its own, which the turn's run does not wait for.
  const speeches: voice.SpeechHandle[] = [];
  session.on(voice.AgentSessionEventTypes.SpeechCreated, ({ speechHandle }) => {
    speeches.push(speechHandle);
  });

  const input = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you: ' });
  input.prompt();
  for await (const line of input) {
    if (line.trim()) {
      await session.run({ userInput: line }).wait();
      for (let speech = speeches.shift(); speech; speech = speeches.shift()) {
        await speech.waitForPlayout();
      }
    }
    input.prompt();
  }
  const { remaining } = await spool.drain(SPOOL_DRAIN_TIMEOUT_MS);
  if (remaining > 0) console.error(`${remaining} logged set(s) will be sent on the next start`);
  await session.close();
  await spool.close();
}

await main();
