/**
 * A scripted workout in the framework's text mode: the real AgentSession and OpenAI plugin
 * against the OpenAI stand-in, the real edge API on PostgreSQL behind a real log spool. The demo
 * user's Tuesday (lower body: squats, Romanian deadlifts, lunges, calf raises) is trained set by
 * set; rests pass on a fake clock shared by the agent and the API, so minutes of rest take no
 * time. The end-of-session summary is stored through the API and read back in the next session.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initializeLogger, voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FitnessVoiceAgent } from '../../agent/coach.ts';
import { summarySinkFor } from '../../agent/coaching/summary-sink.ts';
import { loadCoachingContext } from '../../agent/context-loader.ts';
import { LogSpool } from '../../agent/log-spool.ts';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import { createApiClient, type EdgeApi } from '../../shared/api-client.ts';
import type { CoachingContext } from '../../shared/schemas.ts';
import { type EdgeApiServer, startEdgeApi } from '../agent/edge-api.ts';
import { recordingLogger } from '../agent/fixtures.ts';
import { type OpenAIStandin, startOpenAIStandin } from '../support/openai-standin.ts';
import { FakeTime } from './fake-time.ts';

const MODEL_REPLY = 'Okay.';
// Tuesday 09:00 in Berlin, the demo user's zone.
const time = new FakeTime(Date.parse('2026-02-03T08:00:00Z'));

let voiceLlm: OpenAIStandin;
let edge: EdgeApiServer;
let api: EdgeApi;
let spoolRoot: string;
let spool: LogSpool;

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'silent' });
  voiceLlm = await startOpenAIStandin();
  edge = await startEdgeApi({ clock: time });
  api = createApiClient({ baseUrl: edge.baseUrl, serviceToken: edge.serviceToken });
  spoolRoot = await mkdtemp(join(tmpdir(), 'coaching-spool-'));
  spool = await LogSpool.open({
    dir: spoolRoot,
    send: (entries, signal) => api.ingestLogs(entries, signal),
    logger: recordingLogger(),
  });
});

afterAll(async () => {
  await spool?.close();
  await edge?.close();
  await voiceLlm?.close();
  if (spoolRoot) await rm(spoolRoot, { recursive: true, force: true });
});

interface Coached {
  session: voice.AgentSession;
  agent: FitnessVoiceAgent;
  context: CoachingContext;
  /** What the coach said on its own (say), in order. */
  unprompted: string[];
  /** While the user's turn is answered, the lines said are its answer, not unprompted. */
  answering: { now: boolean; said: string[] };
}

async function startSession(): Promise<Coached & { room: string }> {
  const room = `workout-${randomUUID()}`;
  await edge.test.services.repository.recordVoiceSession({
    roomName: room,
    userId: DEMO_USER_ID,
    agentType: 'workout',
    startedAt: time.now(),
  });
  const context = (await loadCoachingContext(api, DEMO_USER_ID)) as CoachingContext;
  const agent = new FitnessVoiceAgent({
    agentType: 'workout',
    context,
    logSink: spool,
    specialists: api,
    logger: recordingLogger(),
    clock: time,
    coaching: {
      timers: time,
      turnGraceMs: 1000,
      summarySink: summarySinkFor(api, room, DEMO_USER_ID),
    },
  });
  const session = new voice.AgentSession({
    llm: new openai.LLM({ model: 'gpt-4o-mini', apiKey: 'standin-key', baseURL: voiceLlm.baseUrl }),
    vad: null,
  });
  const unprompted: string[] = [];
  const answering = { now: false, said: [] as string[] };
  // The model's own replies are all "Okay." here, and a tool's own line is said while the turn
  // is answered; anything else the coach said came from the coach itself.
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, ({ item }) => {
    if (item.type !== 'message' || item.role !== 'assistant') return;
    const text = item.textContent ?? '';
    if (answering.now) answering.said.push(text);
    else if (text !== MODEL_REPLY) unprompted.push(text);
  });
  await session.start({ agent });
  return { session, agent, context, unprompted, answering, room };
}

/** The tool whose answer the model tells; every other workout tool says its own line. */
const TOLD_BY_THE_MODEL = 'finish_workout';

/**
 * The user says something and the model calls `tool` with `args`. Returns the answer: the line
 * the tool said itself (with no second model request), or the output the model answered from.
 */
async function ask(
  coached: Coached,
  userInput: string,
  tool: string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const told = tool === TOLD_BY_THE_MODEL;
  const call = { toolCalls: [{ name: tool, arguments: JSON.stringify(args) }] };
  if (told) voiceLlm.enqueue(call, { content: MODEL_REPLY });
  else voiceLlm.enqueue(call);
  const requestsBefore = voiceLlm.requests.length;
  coached.answering.now = true;
  coached.answering.said = [];
  const result = await coached.session.run({ userInput }).wait();
  coached.answering.now = false;
  const outputs = result.events.flatMap((e) =>
    e.type === 'function_call_output' ? [e.item.output] : [],
  );
  expect(outputs).toHaveLength(1);
  expect(voiceLlm.requests.length - requestsBefore).toBe(told ? 2 : 1);
  if (told) return JSON.parse(outputs[0] as string) as string;
  expect(outputs).toEqual(['']);
  expect(coached.answering.said).toHaveLength(1);
  return coached.answering.said[0] as string;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Lets the rest run out and waits for the coach's unprompted call. */
async function restEnds(coached: Coached, seconds: number): Promise<string> {
  const before = coached.unprompted.length;
  time.advance(seconds * 1000);
  await until(() => coached.unprompted.length > before, 'the end-of-rest call');
  return coached.unprompted.at(-1) as string;
}

const whatsNext = (c: Coached) => ask(c, "what's next?", 'get_workout_progress');
const logSet = (c: Coached, exercise: string, reps: number, weight: number) =>
  ask(c, `${reps} ${exercise} at ${weight}`, 'log_workout_set', { exercise, reps, weight });

describe('a workout day, coached in text mode', () => {
  it('runs the day set by set, rest by rest, and the next session picks up from its summary', async () => {
    const first = await startSession();
    expect(first.context.todays_workout?.name).toBe('Lower body strength');

    // Squats: four sets of six at 100 kg with three minutes of rest, "what's next" every time.
    expect(await whatsNext(first)).toContain(
      'Next: set 1 of 4 of Back squat, 6 reps at 100 kg. 0 sets done, 13 sets left today.',
    );
    for (let n = 1; n <= 4; n++) {
      const logged = await logSet(first, 'back squat', 6, 100);
      expect(logged).toContain('Logged 6 reps of back squat at 100 kg.');
      if (n < 4) {
        expect(logged).toContain(`Rest 3 minutes; next is set ${n + 1} of 4 of Back squat`);
        expect(await whatsNext(first)).toContain('Resting: 3 minutes left.');
        expect(await restEnds(first, 180)).toBe(
          `Rest is over. Next is set ${n + 1} of 4 of Back squat, 6 reps at 100 kg. Go when you're ready.`,
        );
        expect(await whatsNext(first)).toContain(`Next: set ${n + 1} of 4 of Back squat`);
      } else {
        expect(logged).toContain('Every set hit 6 reps: next time add 5 kg and go 105 kg.');
        expect(logged).toContain('Rest 3 minutes; next is set 1 of 3 of Romanian deadlift');
      }
    }

    // The user is talking when the rest ends: the call waits for the end of their turn.
    first.session._updateUserState('speaking');
    time.advance(180_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(first.unprompted).toHaveLength(3);
    first.session._updateUserState('listening');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(first.unprompted).toHaveLength(3);
    expect(await restEnds(first, 1)).toContain('Next is set 1 of 3 of Romanian deadlift');

    // One set of deadlifts, more rest asked for, then the rest of the exercise skipped.
    const rdl = await logSet(first, 'Romanian deadlift', 8, 85);
    expect(rdl).toContain('Rest 2 minutes 30 seconds; next is set 2 of 3 of Romanian deadlift');
    time.advance(140_000);
    expect(await ask(first, 'give me thirty more seconds', 'add_rest_time', { seconds: 30 })).toBe(
      'Okay, 30 seconds more: 40 seconds of rest left.',
    );
    expect(await restEnds(first, 40)).toContain('Next is set 2 of 3 of Romanian deadlift');
    expect(await ask(first, 'skip this exercise', 'skip_exercise')).toBe(
      'Skipped Romanian deadlift. Next is set 1 of 3 of Walking lunge, 12 reps at 20 kg.',
    );
    expect(await whatsNext(first)).toContain('5 sets done, 6 sets left today.');

    // Lunges: paused mid-rest (nothing is said while paused), resumed, and a rest skipped.
    await logSet(first, 'walking lunge', 12, 20);
    time.advance(30_000);
    expect(await ask(first, 'pause the workout', 'pause_workout')).toBe(
      "Workout paused, with 1 minute of rest left. Say resume when you're ready.",
    );
    time.advance(900_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(first.unprompted).toHaveLength(5);
    expect(await whatsNext(first)).toContain('The workout is paused');
    expect(await ask(first, "ok I'm back", 'resume_workout')).toContain('1 minute of rest left.');
    expect(await restEnds(first, 60)).toContain('Next is set 2 of 3 of Walking lunge');
    await logSet(first, 'walking lunge', 12, 20);
    expect(await ask(first, 'skip the rest', 'skip_rest')).toBe(
      'Rest skipped. Next is set 3 of 3 of Walking lunge, 12 reps at 20 kg.',
    );
    expect(await ask(first, 'repeat that', 'repeat_last')).toBe(
      'Rest skipped. Next is set 3 of 3 of Walking lunge, 12 reps at 20 kg.',
    );

    // Done for today, with a note for next time.
    const summary = await ask(first, "I'm done, my left knee is a bit sore", 'finish_workout', {
      note: 'left knee a bit sore',
    });
    expect(summary).toBe(
      'Session summary: 7 sets, total volume 3560 kg. back squat: 4 sets, best 100 kg for 6. ' +
        'Romanian deadlift: 1 set, best 85 kg for 8. walking lunge: 2 sets, best 20 kg for 12.',
    );
    await first.session.close();
    await first.agent.workout.close();
    expect((await spool.drain(5000)).remaining).toBe(0);

    // Stored with the session's row, through the API.
    const stored = await edge.test.services.repository.findLastSession(DEMO_USER_ID);
    expect(stored).toMatchObject({
      room_name: first.room,
      summary: { sets: 7, total_volume_kg: 3560, note: 'left knee a bit sore' },
    });

    // Later the same day, a new session: progress comes from the sets already logged, and the
    // coach is told about last time so it can ask.
    time.advance(3600_000);
    const second = await startSession();
    expect(second.context.last_session?.summary.note).toBe('left knee a bit sore');
    expect(second.context.todays_sets).toHaveLength(7);
    expect(await whatsNext(second)).toContain(
      'Next: set 2 of 3 of Romanian deadlift, 8 reps at 85 kg. 7 sets done, 6 sets left today.',
    );
    const instructions = voiceLlm.requests.at(-1)?.body.messages[0]?.content;
    expect(String(instructions)).toContain(
      'Noted at the end of the last session: "left knee a bit sore".',
    );
    await second.session.close();
    await second.agent.workout.close();
  }, 120_000);
});
