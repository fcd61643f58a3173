/**
 * The coach's four tools. Descriptions are written for the LLM; results are short texts written
 * for a voice. Every call is logged with its name, duration and outcome only: never the
 * arguments, the answer or anything else the user said.
 */
import { randomUUID } from 'node:crypto';
import { llm } from '@livekit/agents';
import { z } from 'zod';
import type { EdgeApi } from '../shared/api-client.ts';
import type { Clock, Logger } from '../shared/runtime.ts';
import {
  type CoachingContext,
  type LogEntry,
  SPECIALISTS,
  specialistQueryRequestSchema,
} from '../shared/schemas.ts';
import { sayInsteadOfReplying } from './resilience/spoken-fallback.ts';
import { describeTodaysWorkout, todaysMealsJson } from './today.ts';
import { buildLogEntry, WEIGHT_UNITS } from './workout-set.ts';

export const TOOL_NAMES = [
  'get_todays_workout',
  'get_todays_meals',
  'log_workout_set',
  'ask_specialist_agent',
] as const;
export type ToolName = (typeof TOOL_NAMES)[number];

/** What the user hears when a specialist cannot answer in time. */
export const SPECIALIST_FALLBACK = "I'm having trouble with that right now. Can you rephrase?";
export const SET_NOT_SAVED = 'I could not save that set just now. Please tell me it again.';
export const SPECIALIST_FILLER = 'Let me check that with my specialist, one moment.';

export interface CoachToolsOptions {
  context: CoachingContext;
  /** Durable before it resolves (see LogSpool.append). */
  logSink: { append(entry: LogEntry): Promise<void> };
  specialists: Pick<EdgeApi, 'askSpecialist'>;
  logger: Logger;
  clock: Clock;
  newLogId?: () => string;
  /** The whole specialist call must end within this, to keep the 2 s voice budget. */
  specialistDeadlineMs?: number;
  /** The filler line plays only when the specialist takes longer than this. */
  fillerDelayMs?: number;
}

export const defaultCoachToolsOptions = {
  newLogId: randomUUID,
  specialistDeadlineMs: 1800,
  fillerDelayMs: 300,
} as const satisfies Partial<CoachToolsOptions>;

type Outcome = 'ok' | 'rejected' | 'failed';

/** Runs a tool body and logs one line about it; `rejected` is a refusal the model can act on. */
async function instrumented<T>(
  logger: Logger,
  tool: ToolName,
  body: () => Promise<{ outcome: Outcome; value: T }>,
): Promise<T> {
  const started = performance.now();
  let outcome: Outcome = 'failed';
  try {
    const result = await body();
    outcome = result.outcome;
    return result.value;
  } finally {
    const fields = {
      tool,
      outcome,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
    };
    if (outcome === 'failed') logger.warn('tool_call', fields);
    else logger.info('tool_call', fields);
  }
}

/** Says the filler line if the session can speak (it cannot in unit tests or once closing). */
function sayFiller(options: llm.ToolOptions<unknown> | undefined): void {
  try {
    options?.ctx?.session.say(SPECIALIST_FILLER, { addToChatCtx: false });
  } catch {
    // A session that is closing refuses new speech; the answer itself still arrives.
  }
}

export function createCoachTools(options: CoachToolsOptions) {
  const { context, logSink, specialists, logger, clock } = options;
  const settings = { ...defaultCoachToolsOptions, ...options };
  /** A tool answered from the pre-loaded context: rendered once, as the context never changes. */
  const contextLookup = (name: ToolName, description: string, render: () => string) => {
    let text: string | undefined;
    return llm.tool({
      name,
      description,
      execute: () =>
        instrumented(logger, name, async () => {
          text ??= render();
          return { outcome: 'ok', value: text };
        }),
    });
  };

  const get_todays_workout = contextLookup(
    'get_todays_workout',
    "Get the user's planned workout for today: each exercise with sets, reps, load and rest. Use it whenever the user asks what to train today.",
    () => describeTodaysWorkout(context),
  );

  const get_todays_meals = contextLookup(
    'get_todays_meals',
    "Get the user's planned meals for today as JSON: each meal with calories and macros. Use it whenever the user asks what to eat today.",
    () => todaysMealsJson(context),
  );

  const log_workout_set = llm.tool({
    name: 'log_workout_set',
    description:
      'Log one set the user just did. Call it once per set. Reps is a whole number; weight is the load (0 for bodyweight).',
    parameters: z.object({
      exercise: z.string().describe('The exercise name, e.g. "back squat"'),
      reps: z.number().describe('How many repetitions, a whole number'),
      weight: z.number().describe('The weight used; 0 for bodyweight exercises'),
      unit: z
        .enum(WEIGHT_UNITS)
        .optional()
        .describe(
          "The weight's unit as the user said it; leave out to use the user's preferred unit",
        ),
    }),
    execute: (args) =>
      instrumented(logger, 'log_workout_set', async () => {
        const result = buildLogEntry(args, {
          userId: context.profile.user_id,
          units: context.preferences.units,
          logId: settings.newLogId(),
          now: clock.now(),
        });
        if (!result.ok) return { outcome: 'rejected', value: result.reason };
        try {
          await logSink.append(result.entry);
        } catch {
          // Nothing was confirmed, so the user simply repeats the set.
          return { outcome: 'failed', value: SET_NOT_SAVED };
        }
        const { reps, weight_kg } = result.entry;
        return {
          outcome: 'ok',
          value: `Logged ${reps} reps of ${result.entry.exercise} at ${weight_kg} kg.`,
        };
      }),
  });

  const ask_specialist_agent = llm.tool({
    name: 'ask_specialist_agent',
    description:
      'Ask an expert for questions that need reasoning beyond today’s plan: plan changes, exercise substitutions, nutrition advice, supplement safety and dosing, progress tracking or scheduling. Pass the user’s question in their words.',
    parameters: z.object({
      query: z.string().describe("The user's question, self-contained"),
      specialist: z
        .enum(SPECIALISTS)
        .describe('Which expert: workout, diet, supplement, tracker, scheduler or general'),
    }),
    execute: (args, toolOptions) =>
      instrumented(logger, 'ask_specialist_agent', async () => {
        const request = specialistQueryRequestSchema.safeParse({
          user_id: context.profile.user_id,
          query: args.query,
          specialist: args.specialist,
        });
        if (!request.success) return { outcome: 'rejected', value: SPECIALIST_FALLBACK };
        const filler = setTimeout(() => sayFiller(toolOptions), settings.fillerDelayMs);
        const deadline = AbortSignal.timeout(settings.specialistDeadlineMs);
        const signal = toolOptions?.abortSignal
          ? AbortSignal.any([deadline, toolOptions.abortSignal])
          : deadline;
        try {
          const answer = await specialists.askSpecialist(request.data, signal);
          return { outcome: 'ok', value: answer.answer };
        } catch {
          // Unavailable or too slow: the user hears the fallback now, not after one more model turn.
          sayInsteadOfReplying(toolOptions, SPECIALIST_FALLBACK);
          return { outcome: 'failed', value: SPECIALIST_FALLBACK };
        } finally {
          clearTimeout(filler);
        }
      }),
  });

  return { get_todays_workout, get_todays_meals, log_workout_set, ask_specialist_agent };
}

export type CoachTools = ReturnType<typeof createCoachTools>;
