/**
 * Provider faults survived, on the whole voice path: the real livekit-server, the real agent
 * server process, the edge API, and the provider stand-ins breaking on purpose. The user's words
 * come from the Deepgram stand-in's `speak()`; what the coach says is read back from the text the
 * Cartesia stand-in synthesised and from the audio frames that reach the user over WebRTC.
 *
 * 1. The speech-to-text socket dropped (cut, or closed with an error code): the next utterance is
 *    heard and answered.
 * 2. The text-to-speech socket dropped before and during a reply: the user hears the reply again
 *    or a short apology, and the next turn works.
 * 3. The model failing, hanging or stalling mid-turn: a spoken apology, and the next turn works.
 * 4. The specialist down or slow: the fallback line is said with no extra model request, and the
 *    quick tools and logging keep working in the same session.
 *
 * Times from the fault to the coach's audio are printed for the report, not asserted (this
 * machine is shared; the figures belong with the benchmarks).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AudioStream,
  ParticipantKind,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
} from '@livekit/rtc-node';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { SPEECH_APOLOGY } from '../../agent/resilience/recovering-tts.ts';
import { REPLY_APOLOGY } from '../../agent/resilience/reply-deadline.ts';
import { SPECIALIST_FALLBACK } from '../../agent/tools.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { DEV_DEFAULTS, withDevDefaults } from '../../shared/dev-defaults.ts';
import { createApp } from '../../workers/app.ts';
import { loadApiConfig } from '../../workers/config.ts';
import { createOrchestrator } from '../../workers/orchestrator/index.ts';
import { type CartesiaStandin, startCartesiaStandin } from '../support/cartesia-standin.ts';
import { type DeepgramStandin, startDeepgramStandin } from '../support/deepgram-standin.ts';
import {
  type LivekitServer,
  livekitServerAvailability,
  startLivekitServer,
} from '../support/livekit-server.ts';
import { freeTcpPort } from '../support/net.ts';
import {
  type ChatCompletionMessage,
  endsWithToolOutput,
  type OpenAIStandin,
  type StandinReply,
  startOpenAIStandin,
} from '../support/openai-standin.ts';
import { createTestServices, type TestServices } from '../support/services.ts';
import { type AgentProcess, type LogLine, startAgentProcess } from './agent-process.ts';
import {
  createSession,
  eventually,
  type ServedApp,
  serveApp,
  withLivekitServer,
} from './livekit.ts';

const availability = livekitServerAvailability();
if (!availability.available) console.warn(`skipping voice fault tests: ${availability.reason}`);

/** The name the API's session tokens dispatch to (its dev-default configuration). */
const AGENT_NAME = DEV_DEFAULTS.LIVEKIT_AGENT_NAME;
/** Louder than any quiet frame; the Cartesia stand-in's tone peaks near 6,500. */
const SPEECH_LEVEL = 1000;
/** A reply long enough that a drop after a few chunks lands in its middle. */
const LONG_REPLY =
  'Today is legs. Start with back squats, three sets of eight at sixty kilos, then walking lunges.';

let server: LivekitServer;
let test: TestServices;
let app: ReturnType<typeof createApp>;
let api: ServedApp;
let voiceLlm: OpenAIStandin;
let orchestratorLlm: OpenAIStandin;
let deepgram: DeepgramStandin;
let cartesia: CartesiaStandin;
let spoolDir: string;
let agent: AgentProcess;
const rooms: Room[] = [];

/** The text of the last user message the model was sent. */
function lastUserText(messages: ChatCompletionMessage[]): string {
  const last = messages.filter((m) => m.role === 'user').at(-1);
  if (!last) return '';
  return typeof last.content === 'string'
    ? last.content
    : (last.content ?? []).map((part) => part.text ?? '').join('');
}

/**
 * The voice model, scripted by what the user said: most utterances are echoed, so each answer
 * names its question; a few words ask for a fault or a tool.
 */
function scriptedModel(messages: ChatCompletionMessage[]): StandinReply {
  const said = lastUserText(messages).toLowerCase();
  if (endsWithToolOutput(messages)) return { content: `Done with ${said}.` };
  if (said.includes('model fails')) return { status: 500 };
  if (said.includes('model hangs')) return { hang: true };
  if (said.includes('model stalls')) {
    return {
      content: 'Let me think about that one.',
      interrupt: { afterChunks: 1, mode: 'stall' },
    };
  }
  if (said.includes('long reply')) return { content: LONG_REPLY };
  if (said.includes('ask the specialist')) {
    return {
      toolCalls: [
        {
          name: 'ask_specialist_agent',
          arguments: JSON.stringify({
            query: 'Can I swap squats for leg press?',
            specialist: 'workout',
          }),
        },
      ],
    };
  }
  if (said.includes("today's workout")) {
    return { toolCalls: [{ name: 'get_todays_workout', arguments: '{}' }] };
  }
  const logged = /log (ten|twelve) squats/.exec(said);
  if (logged) {
    return {
      toolCalls: [
        {
          name: 'log_workout_set',
          arguments: JSON.stringify({
            exercise: 'fault test squat',
            reps: logged[1] === 'ten' ? 10 : 12,
            weight: 60,
            unit: 'kg',
          }),
        },
      ],
    };
  }
  return { content: `Heard you: ${said}.` };
}

beforeAll(async () => {
  if (!availability.available) return;
  [server, test, voiceLlm, orchestratorLlm, deepgram, cartesia, spoolDir] = await Promise.all([
    startLivekitServer(availability.binary),
    createTestServices(),
    startOpenAIStandin({ handler: (req) => scriptedModel(req.body.messages) }),
    startOpenAIStandin(),
    startDeepgramStandin(),
    startCartesiaStandin(),
    mkdtemp(join(tmpdir(), 'fvc-fault-spool-')),
  ]);
  // The specialists answer from the real orchestrator, on a model stand-in the tests can break.
  const orchestratorConfig = loadApiConfig(
    withDevDefaults({
      ORCHESTRATOR_LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'standin-key',
      OPENAI_BASE_URL: orchestratorLlm.baseUrl,
    }),
  ).orchestrator;
  test.services.orchestrator = createOrchestrator({
    config: orchestratorConfig,
    repository: test.services.repository,
    logger: test.services.logger,
    clock: test.services.clock,
  });
  app = createApp(withLivekitServer(test.services, server));
  api = await serveApp(app, DEV_DEFAULTS.SERVICE_API_TOKEN);
  agent = startAgentProcess({
    LIVEKIT_URL: server.url,
    LIVEKIT_API_KEY: server.apiKey,
    LIVEKIT_API_SECRET: server.apiSecret,
    LIVEKIT_AGENT_NAME: AGENT_NAME,
    API_BASE_URL: api.url,
    SERVICE_API_TOKEN: DEV_DEFAULTS.SERVICE_API_TOKEN,
    DEEPGRAM_API_KEY: deepgram.apiKey,
    DEEPGRAM_BASE_URL: deepgram.baseUrl,
    CARTESIA_API_KEY: cartesia.apiKey,
    CARTESIA_BASE_URL: cartesia.baseUrl,
    VOICE_LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-standin',
    OPENAI_BASE_URL: voiceLlm.baseUrl,
    LOG_SPOOL_DIR: spoolDir,
    AGENT_HEALTH_PORT: String(await freeTcpPort()),
    AGENT_MAX_CONCURRENT_JOBS: '4',
  });
  await agent.waitForLog('registered worker', (line) => line.msg === 'registered worker', 60_000);
}, 180_000);

afterAll(async () => {
  await Promise.all(rooms.map((room) => room.disconnect()));
  await agent?.stop();
  await Promise.all([
    api?.close(),
    voiceLlm?.close(),
    orchestratorLlm?.close(),
    deepgram?.close(),
    cartesia?.close(),
  ]);
  await test?.cleanup();
  await server?.stop();
  if (spoolDir) await rm(spoolDir, { recursive: true, force: true });
}, 60_000);

/** One user in a room with the coach, listening to every frame of the coach's voice. */
interface Conversation {
  roomName: string;
  /** performance.now() of every loud frame the user received. */
  loudFrames: number[];
  /** Deepgram streams that belong to this session (opened since it began). */
  streamsFrom: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function listen(track: RemoteTrack, loudFrames: number[]): void {
  const reader = new AudioStream(track, { sampleRate: 24000, numChannels: 1 }).getReader();
  void (async () => {
    for (;;) {
      const { value: frame, done } = await reader.read();
      if (done) return;
      if (frame.data.some((sample) => Math.abs(sample) > SPEECH_LEVEL)) {
        loudFrames.push(performance.now());
      }
    }
  })();
}

/** Waits until the coach has been quiet for `quietMs` (its current line is over). */
async function coachQuiet(talk: Conversation, quietMs = 700): Promise<void> {
  await eventually(
    'the coach to finish speaking',
    () => {
      const last = talk.loudFrames.at(-1) ?? 0;
      return performance.now() - last > quietMs ? true : undefined;
    },
    30_000,
  );
}

/** Joins a new session, waits for the greeting to be heard and for the coach to listen. */
async function startConversation(): Promise<Conversation> {
  onTestFailed(() => {
    const recent = agent.logs
      .filter((line) => typeof line.event === 'string' || line.level !== 40)
      .slice(-60)
      .map((line) => JSON.stringify(line));
    console.error(`agent log, last lines:\n${recent.join('\n')}\n${agent.rawOutput()}`);
  });
  const streamsFrom = deepgram.streams.length;
  const session = await createSession(app, DEMO_USER_ID, 'workout');
  const room = new Room();
  rooms.push(room);
  const loudFrames: number[] = [];
  room.on(RoomEvent.TrackSubscribed, (track: RemoteTrack, _pub, participant: RemoteParticipant) => {
    if (participant.kind === ParticipantKind.AGENT && track.kind === TrackKind.KIND_AUDIO) {
      listen(track, loudFrames);
    }
  });
  await room.connect(session.server_url, session.participant_token, {
    autoSubscribe: true,
    dynacast: false,
  });
  const talk: Conversation = { roomName: session.room_name, loudFrames, streamsFrom };
  await eventually(
    'the greeting to be heard',
    () => (loudFrames.length > 0 ? true : undefined),
    150_000,
  );
  await openStream(talk);
  await coachQuiet(talk);
  return talk;
}

/** The session's open Deepgram stream (the newest), once it has been up long enough to listen. */
async function openStream(talk: Conversation, after = talk.streamsFrom) {
  const stream = await eventually(
    'an open Deepgram stream',
    () => deepgram.streams.slice(after).findLast((s) => !s.closed),
    10_000,
  );
  // The plugin listens for results once its socket's open event ran; give it that moment.
  await sleep(200);
  return stream;
}

let shared: Promise<Conversation> | undefined;
/**
 * The one conversation the faults take turns on. One session for all of them, as a user who hits
 * several faults in one call would, and one job start instead of nine on a shared machine.
 */
function conversation(): Promise<Conversation> {
  shared ??= startConversation().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

/** Says `words` and resolves with when the coach's next loud frame arrived after them. */
async function say(
  talk: Conversation,
  words: string,
): Promise<{ saidAt: number; heardAt: number }> {
  const saidAt = performance.now();
  deepgram.speak(words);
  const heardAt = await eventually(
    `the coach to answer "${words}"`,
    () => talk.loudFrames.find((t) => t > saidAt),
    20_000,
  );
  return { saidAt, heardAt };
}

/** Waits for the Cartesia stand-in to have been asked to say something containing `text`. */
function synthesised(text: string, since = 0) {
  return eventually(`"${text}" to be synthesised`, () =>
    cartesia.generations.slice(since).find((g) => g.transcript.includes(text)),
  );
}

/** `tool:outcome` of every tool call the session's job logged, in order. */
function toolCalls(talk: Conversation): string[] {
  return agentLogsFor(talk.roomName)
    .filter((line) => line.event === 'tool_call')
    .map((line) => `${line.tool}:${line.outcome}`);
}

/** The log lines of the job that served `room` (its lines carry the job's id). */
function agentLogsFor(room: string): LogLine[] {
  const started = agent.logs.find((l) => l.event === 'session_started' && l.room === room);
  return started ? agent.logs.filter((l) => l.job_id === started.job_id) : [];
}

/** Rows of the set the scripted model logs, once the API's queue has delivered what it holds. */
async function storedFaultSquats(): Promise<number> {
  await test.queue.drain();
  const result = await test.db.execute(
    sql`select count(*)::int as n from workout_logs where user_id = ${DEMO_USER_ID}::uuid and exercise = 'fault test squat'`,
  );
  return Number((result as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
}

function report(what: string, ms: number): void {
  console.info(`[voice faults] ${what}: ${Math.round(ms)} ms`);
}

describe.skipIf(!availability.available)('provider faults on the voice path', () => {
  for (const mode of ['terminate', 'close'] as const) {
    it(`hears and answers the next utterance after the speech-to-text socket drops (${mode})`, async () => {
      const talk = await conversation();
      await coachQuiet(talk);
      const since = cartesia.generations.length;
      await say(talk, `question before the ${mode} drop`);
      await synthesised(`Heard you: question before the ${mode} drop.`, since);
      await coachQuiet(talk);

      const before = deepgram.streams.length;
      const droppedAt = performance.now();
      expect(await deepgram.dropStreams(mode)).toBeGreaterThan(0);
      await openStream(talk, before);
      const words = `after the ${mode} drop`;
      const { heardAt } = await say(talk, words);
      await synthesised(`Heard you: ${words}.`, since);
      report(`STT ${mode}: drop to the coach's answer audio`, heardAt - droppedAt);
      await agent.waitForLog('the reopen log', (line) => line.event === 'stt_stream_reopened');
    }, 240_000);
  }

  it('retries a reply whose speech socket dropped before any audio, and the next turn works', async () => {
    const talk = await conversation();
    await coachQuiet(talk);
    const since = cartesia.generations.length;
    const drops = cartesia.drops;
    cartesia.dropMidReply({ afterChunks: 0 });
    await say(talk, 'a long reply please');
    const spaced = (text: string) => text.replace(/\s+/g, ' ').trim();
    // The dropped attempt carried the reply's first sentence or more; the retry carries all of it.
    const retried = await eventually('the whole reply synthesised after the drop', () =>
      cartesia.generations
        .slice(since)
        .find((g) => spaced(g.transcript) === LONG_REPLY && g.done && g.chunksSent > 0),
    );
    expect(cartesia.drops).toBe(drops + 1);
    expect(cartesia.generations.indexOf(retried)).toBeGreaterThan(since);
    expect(
      cartesia.generations.slice(since).some((g) => g.transcript.includes(SPEECH_APOLOGY)),
    ).toBe(false);
    await coachQuiet(talk);
    await say(talk, 'next turn after the retry');
    await synthesised('Heard you: next turn after the retry.');
  }, 240_000);

  it('apologises when the speech socket drops mid-reply, and the next turn works', async () => {
    const talk = await conversation();
    await coachQuiet(talk);
    const since = cartesia.generations.length;
    cartesia.dropMidReply({ afterChunks: 3, mode: 'close' });
    const { saidAt } = await say(talk, 'a long reply please');
    const apology = await synthesised(SPEECH_APOLOGY, since);
    const apologyQueuedAt = performance.now();
    await eventually('the apology to be heard', () =>
      talk.loudFrames.find((t) => t > apologyQueuedAt - 50),
    );
    expect(apology.chunksSent).toBeGreaterThan(0);
    report('TTS mid-reply drop: question to apology synthesised', apologyQueuedAt - saidAt);
    await coachQuiet(talk);
    await say(talk, 'next turn after the apology');
    await synthesised('Heard you: next turn after the apology.');
  }, 240_000);

  for (const fault of ['model fails', 'model hangs', 'model stalls'] as const) {
    it(`says the apology when the ${fault} mid-turn, and the next turn works`, async () => {
      const talk = await conversation();
      await coachQuiet(talk);
      const since = cartesia.generations.length;
      const { saidAt, heardAt } = await say(talk, `the ${fault} now`);
      await synthesised(REPLY_APOLOGY, since);
      report(`LLM "${fault}": question to first audio (apology or its lead-in)`, heardAt - saidAt);
      await coachQuiet(talk);
      // Words that do not ask for the fault again.
      const next = `next turn after the ${fault.replace('model ', '')} fault`;
      await say(talk, next);
      await synthesised(`Heard you: ${next}.`, since);
    }, 240_000);
  }

  for (const fault of ['down', 'slow'] as const) {
    it(`says the specialist fallback with no extra model request when the specialist is ${fault}, and tools and logging still work`, async () => {
      orchestratorLlm.setHandler(() => (fault === 'down' ? { status: 500 } : { hang: true }));
      const talk = await conversation();
      await coachQuiet(talk);
      const toolCallsBefore = toolCalls(talk).length;
      const since = cartesia.generations.length;
      const requestsBefore = voiceLlm.requests.length;
      const { saidAt } = await say(talk, 'ask the specialist about leg press');
      const fallback = await synthesised(SPECIALIST_FALLBACK, since);
      const fallbackAt = performance.now();
      report(`specialist ${fault}: question to fallback synthesised`, fallbackAt - saidAt);
      expect(fallback.transcript).toContain(SPECIALIST_FALLBACK);
      await coachQuiet(talk);
      // One model request for the question, none after the tool: the fallback went straight out.
      expect(voiceLlm.requests.length - requestsBefore).toBe(1);

      // The quick tool and logging in the same session.
      // The tool says the day itself, with no model request after it.
      await say(talk, "what's today's workout");
      await synthesised('Today is ', since);
      await coachQuiet(talk);
      const rowsBefore = await storedFaultSquats();
      // A set of its own in each case: the same set again within 20 s would count as re-sent.
      const setLine = `log ${fault === 'down' ? 'ten' : 'twelve'} squats at sixty kilos`;
      await say(talk, setLine);
      // The tool's own confirmation, said with no model request after it.
      await synthesised(`Logged ${fault === 'down' ? 10 : 12} reps of fault test squat`, since);
      const outcomes = await eventually('three tool calls logged', () => {
        const calls = toolCalls(talk).slice(toolCallsBefore);
        return calls.length >= 3 ? calls : undefined;
      });
      expect(outcomes).toEqual([
        'ask_specialist_agent:failed',
        'get_todays_workout:ok',
        'log_workout_set:ok',
      ]);
      await eventually('the logged set in PostgreSQL', async () =>
        (await storedFaultSquats()) === rowsBefore + 1 ? true : undefined,
      );
      orchestratorLlm.reset();
    }, 240_000);
  }
});
