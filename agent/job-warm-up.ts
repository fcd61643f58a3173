/**
 * What a job process runs once while it is prewarmed, so a session's first second does not pay
 * for code running for the first time in this process.
 *
 * A job process loads its modules in prewarm, but the first thing its session does, loading the
 * coaching context before it joins the room, was still cold: Node loads and compiles its fetch
 * (undici) and web streams on first use, and zod 4 generates and compiles a parser for each
 * object schema on its first parse. Measured in a fresh process on the 2-core rig: the context
 * request took 37 to 46 ms (47 to 54 ms of CPU) cold and 5 ms after this warm-up, its parse 14 to
 * 16 ms cold and 0.4 ms warm, the session metadata's parse 2 to 3 ms and 0.1 ms. All of it was on
 * the greeting's path, and under a burst of sessions CPU is what the greeting waits for. Here each
 * runs once on a sample shaped like the real thing (every optional part of the context filled),
 * and the one request goes to the API's liveness probe, which touches nothing behind the API.
 * The first model request, which answers the caller's first question, is warmed the same way
 * (agent/model-warm-up.ts), with the coach's instructions and tools for the sample context.
 */
import { llm } from '@livekit/agents';
import type { EdgeApi } from '../shared/api-client.ts';
import { systemClock } from '../shared/runtime.ts';
import {
  type CoachingContext,
  coachingContextSchema,
  type SessionMetadata,
} from '../shared/schemas.ts';
import { parseSessionMetadata } from '../shared/session-metadata.ts';
import { buildInstructions } from './instructions.ts';
import { type CreateWarmUpModel, warmUpModelRequest } from './model-warm-up.ts';
import { createCoachTools } from './tools.ts';

/** The liveness request's limit: prewarm has its own deadline, and this is only a warm-up. */
export const WARM_UP_REQUEST_TIMEOUT_MS = 2000;

export const WARM_UP_METADATA: SessionMetadata = {
  user_id: '00000000-0000-4000-8000-000000000000',
  agent_type: 'general',
  session_type: 'voice',
  created_at: '2026-01-05T07:30:00.000Z',
};

const exercise = { sets: 3, reps: 8, load_kg: 60, rest_seconds: 90 };
const meal = { description: 'Oats with berries', calories: 500, protein_g: 25, carbs_g: 70 };
const set = { reps: 8, weight_kg: 60 };

/** A context with every optional part present, so every branch of its schema runs. */
export const WARM_UP_CONTEXT: CoachingContext = {
  profile: {
    user_id: WARM_UP_METADATA.user_id,
    name: 'Sam',
    fitness_level: 'intermediate',
    goals: ['build strength'],
    injuries: ['left knee'],
    equipment: ['barbell'],
    time_zone: 'Europe/Berlin',
  },
  preferences: { units: 'metric', dietary_preferences: ['high protein'], allergies: [] },
  workout_plan: {
    id: '00000000-0000-4000-8000-000000000001',
    name: 'Strength Base',
    goal: 'strength',
    days: [{ day: 'tuesday', name: 'Rest', rest_day: true, exercises: [] }],
  },
  todays_workout: {
    day: 'monday',
    name: 'Lower body',
    rest_day: false,
    exercises: [
      { name: 'Back squat', ...exercise },
      { name: 'Plank', ...exercise, load_kg: null, notes: 'hold 45 seconds' },
    ],
  },
  meal_plan: {
    id: '00000000-0000-4000-8000-000000000002',
    name: 'Lean Gain',
    daily_calorie_target: 2400,
    days: [],
  },
  todays_meals: {
    day: 'monday',
    total_calories: 1000,
    meals: [
      { name: 'Breakfast', ...meal, fat_g: 12 },
      { name: 'Lunch', ...meal, fat_g: 15 },
    ],
  },
  date: '2026-01-05',
  weekday: 'monday',
  recent_training: [
    {
      exercise: 'Back squat',
      last_session: { date: '2026-01-01', sets: [set, set] },
      best_recent_set: { date: '2025-12-29', ...set },
    },
    { exercise: 'Plank', last_session: null, best_recent_set: null },
  ],
  todays_sets: [
    {
      log_id: '00000000-0000-4000-8000-000000000003',
      exercise: 'Back squat',
      ...set,
      logged_at: '2026-01-05T07:40:00.000Z',
    },
  ],
  last_session: {
    room_name: 'warm-up',
    started_at: '2026-01-01T07:30:00.000Z',
    ended_at: '2026-01-01T08:15:00.000+01:00',
    agent_type: 'general',
    summary: {
      sets: 2,
      total_volume_kg: 960,
      exercises: [
        { exercise: 'Back squat', sets: 2, volume_kg: 960, best_reps: 8, best_weight_kg: 60 },
      ],
      new_bests: [{ exercise: 'Back squat', reps: 8, weight_kg: 60 }],
      note: 'Solid session.',
    },
  },
};

export interface WarmUpResult {
  /** Whether the API's liveness probe answered; false is only worth a log line here. */
  apiLive: boolean;
  /**
   * Whether the warm-up model request was answered by the loopback server: false for a provider
   * whose API is not OpenAI-compatible (its request side is still warmed) or when it failed.
   */
  modelAnswered: boolean;
}

/** Runs the session's first-use code once; never throws (a cold path is slower, not broken). */
export async function warmUpJobProcess(
  api: Pick<EdgeApi, 'isLive'>,
  createModel: CreateWarmUpModel,
): Promise<WarmUpResult> {
  parseSessionMetadata(JSON.stringify(WARM_UP_METADATA));
  // A copy through JSON, as the context arrives: parsing must not depend on shared objects.
  coachingContextSchema.safeParse(JSON.parse(JSON.stringify(WARM_UP_CONTEXT)));
  await passThroughWebStream();
  const apiLive = await api.isLive(AbortSignal.timeout(WARM_UP_REQUEST_TIMEOUT_MS));
  const modelAnswered = await warmUpModelRequest(
    createModel,
    firstQuestionRequest(),
    WARM_UP_REQUEST_TIMEOUT_MS,
  );
  return { apiLive, modelAnswered };
}

/** What a session sends for the caller's first question: the coach's instructions and tools. */
function firstQuestionRequest() {
  const chatCtx = llm.ChatContext.empty();
  chatCtx.addMessage({ role: 'system', content: buildInstructions('general', WARM_UP_CONTEXT) });
  chatCtx.addMessage({ role: 'user', content: "What's my workout today?" });
  // Never called: the tools only have to be described to the model.
  const tools = createCoachTools({
    context: WARM_UP_CONTEXT,
    logSink: { append: async () => undefined },
    specialists: {
      askSpecialist: () => Promise.reject(new Error('not called during the warm-up')),
    },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: systemClock,
  });
  return { chatCtx, tools: Object.values(tools), toolName: tools.get_todays_workout.name };
}

/** One chunk through a TransformStream: the framework's audio and text pipes are web streams. */
async function passThroughWebStream(): Promise<void> {
  const stream = new TransformStream<number, number>();
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  void writer.write(1);
  await reader.read();
  await writer.close();
  await reader.read();
}
