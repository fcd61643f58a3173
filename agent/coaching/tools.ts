/**
 * The voice commands of a workout as tools: "what's next", the rest ("start my rest", "thirty
 * more seconds", "skip the rest"), pause and resume, "skip this exercise", "repeat that" and
 * "I'm done". Each answers from the WorkoutCoach's memory alone (no network), so it is as quick
 * as the other lookups; the results are short lines for a voice, in the user's units. Those lines
 * are said straight away, with no second model request (agent/say-instead-of-replying.ts), except
 * the session summary, which the model tells in a sentence or two.
 */
import { llm } from '@livekit/agents';
import { z } from 'zod';
import { HISTORY_LIMITS } from '../../shared/schemas.ts';
import { sayInsteadOfReplying } from '../say-instead-of-replying.ts';
import { REST_LIMITS, type WorkoutCoach } from './workout-coach.ts';

export const COACHING_TOOL_NAMES = [
  'get_workout_progress',
  'start_rest',
  'add_rest_time',
  'skip_rest',
  'pause_workout',
  'resume_workout',
  'skip_exercise',
  'repeat_last',
  'finish_workout',
] as const;
export type CoachingToolName = (typeof COACHING_TOOL_NAMES)[number];

/** Runs a tool body and logs it (the `instrumented` wrapper of agent/tools.ts). */
export type InstrumentTool = (
  name: CoachingToolName,
  body: () => Promise<{ outcome: 'ok' | 'rejected'; value: string | undefined }>,
) => Promise<string | undefined>;

const restSecondsSchema = z
  .number()
  .describe(`Seconds, a whole number from ${REST_LIMITS.minSeconds} to ${REST_LIMITS.maxSeconds}`);

function validRestSeconds(seconds: number): boolean {
  return (
    Number.isInteger(seconds) &&
    seconds >= REST_LIMITS.minSeconds &&
    seconds <= REST_LIMITS.maxSeconds
  );
}

const BAD_SECONDS = `I can only set a rest from ${REST_LIMITS.minSeconds} second to ${REST_LIMITS.maxSeconds / 60} minutes, in whole seconds.`;

export function createCoachingTools(coach: WorkoutCoach, instrument: InstrumentTool) {
  const quick = (name: CoachingToolName, description: string, answer: () => string) =>
    llm.tool({
      name,
      description,
      execute: (_args, toolOptions) =>
        instrument(name, async () => ({
          outcome: 'ok',
          value: sayInsteadOfReplying(toolOptions, answer()),
        })),
    });

  const get_workout_progress = quick(
    'get_workout_progress',
    'Where the user is in today\'s workout: the next exercise, set N of M, the planned reps and load, any rest running, and how many sets are left. Use it for "what\'s next", "how many sets are left" and "where am I".',
    () => coach.whatsNext(),
  );

  const start_rest = llm.tool({
    name: 'start_rest',
    description:
      'Start a rest timer, e.g. "start my rest". Leave seconds out to use the plan\'s rest for the exercise; the coach calls the end of the rest by itself.',
    parameters: z.object({ seconds: restSecondsSchema.optional() }),
    execute: ({ seconds }, toolOptions) =>
      instrument('start_rest', async () =>
        seconds !== undefined && !validRestSeconds(seconds)
          ? { outcome: 'rejected', value: BAD_SECONDS }
          : { outcome: 'ok', value: sayInsteadOfReplying(toolOptions, coach.startRest(seconds)) },
      ),
  });

  const add_rest_time = llm.tool({
    name: 'add_rest_time',
    description: 'Lengthen the current rest, e.g. "give me thirty more seconds".',
    parameters: z.object({ seconds: restSecondsSchema }),
    execute: ({ seconds }, toolOptions) =>
      instrument('add_rest_time', async () =>
        validRestSeconds(seconds)
          ? { outcome: 'ok', value: sayInsteadOfReplying(toolOptions, coach.addRestTime(seconds)) }
          : { outcome: 'rejected', value: BAD_SECONDS },
      ),
  });

  const skip_rest = quick(
    'skip_rest',
    'End the current rest now, e.g. "skip the rest", "I\'m ready".',
    () => coach.skipRest(),
  );
  const pause_workout = quick(
    'pause_workout',
    'Pause the workout (the rest timer stops and the coach stays quiet), e.g. "pause the workout".',
    () => coach.pause(),
  );
  const resume_workout = quick(
    'resume_workout',
    'Resume a paused workout, e.g. "I\'m back", "let\'s continue".',
    () => coach.resume(),
  );
  const skip_exercise = quick(
    'skip_exercise',
    'Skip the rest of the current exercise and move to the next one, e.g. "skip this exercise".',
    () => coach.skipExercise(),
  );
  const repeat_last = quick(
    'repeat_last',
    'Repeat the last thing said about the workout, e.g. "repeat that", "what did you say?".',
    () => coach.repeat(),
  );

  const finish_workout = llm.tool({
    name: 'finish_workout',
    description:
      'The user is done training for now ("I\'m done", "that\'s it for today"): get the session summary to tell them. Pass a short note of anything worth remembering next time, such as pain or how they felt.',
    parameters: z.object({
      note: z
        .string()
        .optional()
        .describe(
          `At most ${HISTORY_LIMITS.summaryNoteMaxLength} characters, e.g. "left knee sore"`,
        ),
    }),
    execute: ({ note }) =>
      instrument('finish_workout', async () => {
        if (note !== undefined && note.length > HISTORY_LIMITS.summaryNoteMaxLength) {
          return {
            outcome: 'rejected',
            value: `The note must be at most ${HISTORY_LIMITS.summaryNoteMaxLength} characters.`,
          };
        }
        return { outcome: 'ok', value: coach.finish(note) };
      }),
  });

  return {
    get_workout_progress,
    start_rest,
    add_rest_time,
    skip_rest,
    pause_workout,
    resume_workout,
    skip_exercise,
    repeat_last,
    finish_workout,
  };
}
