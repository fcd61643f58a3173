/**
 * The coach's tools: four core ones here, and the workout-coaching ones (agent/coaching/tools.ts).
 * Descriptions are written for the LLM; results are short texts written for a voice, and those
 * that are finished lines are said straight away (agent/say-instead-of-replying.ts). Every call
 * is logged with its name, duration and outcome only: never the arguments, the answer or anything
 * else the user said.
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
import { COACHING_TOOL_NAMES, createCoachingTools } from './coaching/tools.ts';
import { WorkoutCoach } from './coaching/workout-coach.ts';
import type { ToolCallMetrics } from './metrics/job-metrics.ts';
import type { SpecialistOutcome } from './metrics/labels.ts';
import { sayInsteadOfReplying, sayInToolTurn } from './say-instead-of-replying.ts';
import { todaysMealsJson } from './today.ts';
import { buildLogEntry, WEIGHT_UNITS } from './workout-set.ts';

export const TOOL_NAMES = [
  'get_todays_workout',
  'get_todays_meals',
  'log_workout_set',
  'ask_specialist_agent',
  ...COACHING_TOOL_NAMES,
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
  /** Counts and times every call (agent/metrics); nothing is recorded without it. */
  metrics?: ToolCallMetrics;
  /** Today's workout as the session follows it; one is made from the context when left out. */
  workout?: WorkoutCoach;
}

const ignoreToolMetrics: ToolCallMetrics = {
  toolCall: () => undefined,
  specialistCall: () => undefined,
};

export const defaultCoachToolsOptions = {
  newLogId: randomUUID,
  specialistDeadlineMs: 1800,
  fillerDelayMs: 300,
  metrics: ignoreToolMetrics,
} as const satisfies Partial<CoachToolsOptions>;

const logSetParameters = z.object({
  exercise: z.string().describe('The exercise name, e.g. "back squat"'),
  reps: z.number().describe('How many repetitions, a whole number'),
  weight: z.number().describe('The weight used; 0 for bodyweight exercises'),
  unit: z
    .enum(WEIGHT_UNITS)
    .optional()
    .describe("The weight's unit as the user said it; leave out to use the user's preferred unit"),
});

const askSpecialistParameters = z.object({
  query: z.string().describe("The user's question, self-contained"),
  specialist: z
    .enum(SPECIALISTS)
    .describe('Which expert: workout, diet, supplement, tracker, scheduler or general'),
});

/** A spoken reason for a tool call whose arguments are not what the tool takes. */
function describeBadCall(error: z.ZodError): string {
  const fields = [...new Set(error.issues.map((issue) => String(issue.path[0] ?? 'set')))];
  return `I could not log that set: ${fields.join(' and ')} ${fields.length > 1 ? 'were' : 'was'} missing or not understood.`;
}

type Outcome = 'ok' | 'rejected' | 'failed';

interface ToolReport {
  logger: Logger;
  metrics: ToolCallMetrics;
}

/**
 * Runs a tool body, logs one line about it and records it in the metrics; `rejected` is a
 * refusal the model can act on.
 */
async function instrumented<T>(
  { logger, metrics }: ToolReport,
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
    const elapsedMs = performance.now() - started;
    metrics.toolCall(tool, outcome, elapsedMs / 1000);
    const fields = { tool, outcome, duration_ms: Math.round(elapsedMs * 100) / 100 };
    if (outcome === 'failed') logger.warn('tool_call', fields);
    else logger.info('tool_call', fields);
  }
}

/** Says the filler line if the session can speak (it cannot in unit tests or once closing). */
function sayFiller(options: llm.ToolOptions<unknown> | undefined): void {
  try {
    // Part of the turn: it is the first thing the user hears of the answer.
    sayInToolTurn(options, SPECIALIST_FILLER, { addToChatCtx: false });
  } catch {
    // A session that is closing refuses new speech; the answer itself still arrives.
  }
}

export function createCoachTools(options: CoachToolsOptions) {
  const { context, logSink, specialists, logger, clock } = options;
  const settings = { ...defaultCoachToolsOptions, ...options };
  const report: ToolReport = { logger, metrics: settings.metrics };
  const workout = options.workout ?? new WorkoutCoach({ context, clock, logger });
  /** A tool answered from the pre-loaded context: rendered once, as the context never changes. */
  const contextLookup = (name: ToolName, description: string, render: () => string) => {
    let text: string | undefined;
    return llm.tool({
      name,
      description,
      execute: () =>
        instrumented(report, name, async () => {
          text ??= render();
          return { outcome: 'ok', value: text };
        }),
    });
  };

  // The headline question gets a finished line: the day's exercises and where the user is in
  // them, said now rather than after one more model round trip. The plan's details are in the
  // instructions (instructions.ts), so a narrower question is answered there with no tool at all.
  const get_todays_workout = llm.tool({
    name: 'get_todays_workout',
    description:
      "Tell the user today's workout: the day's exercises and where they are in it. It speaks to the user itself. Use it when the user asks what today's workout is or what to train today.",
    execute: (_args, toolOptions) =>
      instrumented(report, 'get_todays_workout', async () => ({
        outcome: 'ok',
        value: sayInsteadOfReplying(toolOptions, workout.overview()),
      })),
  });

  const get_todays_meals = contextLookup(
    'get_todays_meals',
    "Get the user's planned meals for today as JSON: each meal with calories and macros. Use it whenever the user asks what to eat today.",
    () => todaysMealsJson(context),
  );

  const log_workout_set = llm.tool({
    name: 'log_workout_set',
    description:
      'Log one set the user just did. Call it once per set. Reps is a whole number; weight is the load (0 for bodyweight).',
    parameters: logSetParameters,
    execute: (args, toolOptions) =>
      instrumented(report, 'log_workout_set', async () => {
        // The framework checks arguments against the schema first; this keeps a call that
        // skipped it (or a model's free-form JSON) from crashing the tool.
        const call = logSetParameters.safeParse(args);
        if (!call.success) return { outcome: 'rejected', value: describeBadCall(call.error) };
        const result = buildLogEntry(call.data, {
          userId: context.profile.user_id,
          units: context.preferences.units,
          logId: settings.newLogId(),
          now: clock.now(),
        });
        if (!result.ok) return { outcome: 'rejected', value: result.reason };
        // The same set re-sent within seconds (a barge-in lost the first answer) is stored once.
        const logged = await workout.logSet(result.entry, (entry) => logSink.append(entry));
        // Nothing was confirmed, so the user simply repeats the set.
        if (!logged.ok) {
          return { outcome: 'failed', value: sayInsteadOfReplying(toolOptions, SET_NOT_SAVED) };
        }
        // The confirmation is a finished line (the set, the rest, what is next): said now, not
        // after one more model round trip. A refusal above goes to the model, which can ask.
        return { outcome: 'ok', value: sayInsteadOfReplying(toolOptions, logged.text) };
      }),
  });

  const ask_specialist_agent = llm.tool({
    name: 'ask_specialist_agent',
    description:
      'Ask an expert for questions that need reasoning beyond today’s plan: plan changes, exercise substitutions, nutrition advice, supplement safety and dosing, progress tracking or scheduling. Pass the user’s question in their words.',
    parameters: askSpecialistParameters,
    execute: (args, toolOptions) =>
      instrumented(report, 'ask_specialist_agent', async () => {
        const call = askSpecialistParameters.safeParse(args);
        const request = specialistQueryRequestSchema.safeParse({
          user_id: context.profile.user_id,
          query: call.data?.query,
          specialist: call.data?.specialist,
        });
        const started = performance.now();
        const delegated = (outcome: SpecialistOutcome) =>
          settings.metrics.specialistCall(
            call.data?.specialist ?? 'unknown',
            outcome,
            (performance.now() - started) / 1000,
          );
        if (!request.success) {
          delegated('fallback');
          return { outcome: 'rejected', value: SPECIALIST_FALLBACK };
        }
        const filler = setTimeout(() => sayFiller(toolOptions), settings.fillerDelayMs);
        const deadline = AbortSignal.timeout(settings.specialistDeadlineMs);
        const signal = toolOptions?.abortSignal
          ? AbortSignal.any([deadline, toolOptions.abortSignal])
          : deadline;
        try {
          const answer = await specialists.askSpecialist(request.data, signal);
          delegated('ok');
          // The orchestrator writes its answers to be spoken (plain, two to four sentences,
          // workers/orchestrator/specialists.ts VOICE_RULES), so they are said as they come:
          // one voice-model round trip less on the path with the tightest budget.
          return { outcome: 'ok', value: sayInsteadOfReplying(toolOptions, answer.answer) };
        } catch {
          delegated(deadline.aborted ? 'timeout' : 'fallback');
          // Unavailable or too slow: the user hears the fallback now, not after one more model turn.
          return {
            outcome: 'failed',
            value: sayInsteadOfReplying(toolOptions, SPECIALIST_FALLBACK),
          };
        } finally {
          clearTimeout(filler);
        }
      }),
  });

  return {
    get_todays_workout,
    get_todays_meals,
    log_workout_set,
    ask_specialist_agent,
    ...createCoachingTools(workout, (name, body) => instrumented(report, name, body)),
  };
}

export type CoachTools = ReturnType<typeof createCoachTools>;
