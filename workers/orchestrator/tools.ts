/**
 * Tools a specialist's model may call, for data that cannot sensibly be loaded up front. Their
 * arguments come from a model, so they are validated like any outside input; a bad call gets an
 * error text the model can act on, never an exception.
 */
import { z } from 'zod';
import { localDay } from '../context/build-context.ts';
import type { Clock, CoachingRepository } from '../ports.ts';
import { addDays, daysBetween, startOfLocalDate } from './data/calendar.ts';
import { describePeriod } from './data/training-summary.ts';

export interface ToolContext {
  userId: string;
  timeZone: string;
  repository: CoachingRepository;
  clock: Clock;
}

export interface SpecialistTool {
  name: string;
  description: string;
  schema: z.ZodType<Record<string, unknown>>;
  /** Returns text for the model; failures it can correct are text too. */
  run(args: unknown, context: ToolContext): Promise<string>;
}

const MAX_PERIOD_DAYS = 366;
const MAX_SETS_PER_PERIOD = 500;

/** A plain pattern keeps the schema the model reads short; the refinement rejects 2026-02-30. */
const localDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date as YYYY-MM-DD' })
  .refine((value) => z.iso.date().safeParse(value).success, { error: 'is not a calendar date' });

const loggedSetsArgsSchema = z.strictObject({
  since: localDateSchema.describe(
    "First day, inclusive, in the user's local calendar (YYYY-MM-DD)",
  ),
  until: localDateSchema
    .optional()
    .describe('Last day, inclusive (YYYY-MM-DD); today when left out'),
});

function describeArgsError(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ');
}

export const getLoggedSetsTool: SpecialistTool = {
  name: 'get_logged_sets',
  description:
    "Summarises the user's logged sets between two dates: sets, training days, volume and best set per exercise. Use it only for periods outside the last 28 days, which you already have.",
  schema: loggedSetsArgsSchema,
  async run(args, { userId, timeZone, repository, clock }) {
    const parsed = loggedSetsArgsSchema.safeParse(args);
    if (!parsed.success)
      return `Error: invalid arguments (${describeArgsError(parsed.error)}). Try again.`;
    const now = clock.now();
    const today = localDay(now, timeZone).date;
    const { since } = parsed.data;
    const until = parsed.data.until ?? today;
    if (since > until) return 'Error: since must not be after until. Try again.';
    if (daysBetween(since, until) >= MAX_PERIOD_DAYS) {
      return `Error: the period may span at most ${MAX_PERIOD_DAYS} days. Try a shorter one.`;
    }
    const logs = await repository.listWorkoutLogs(userId, {
      since: startOfLocalDate(since, now, timeZone),
      until: startOfLocalDate(addDays(until, 1), now, timeZone),
      limit: MAX_SETS_PER_PERIOD,
    });
    return describePeriod({
      logs,
      timeZone,
      from: since,
      to: until,
      truncatedAt: MAX_SETS_PER_PERIOD,
    });
  },
};
