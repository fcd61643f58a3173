/**
 * The six specialists: each one's instructions and the data its domain needs, loaded before its
 * model is called and written into its prompt so no model round trip is spent fetching it.
 */
import type { Specialist } from '../../shared/schemas.ts';
import { type LocalDay, localDay } from '../context/build-context.ts';
import type { CoachingData } from '../ports.ts';
import { addDays, startOfLocalDate } from './data/calendar.ts';
import {
  describeMealDay,
  describeMealPlan,
  describeProfile,
  describeWorkoutDay,
  describeWorkoutPlan,
} from './data/coaching-facts.ts';
import { spokenNumber } from './data/numbers.ts';
import { describeConsistency, describePeriod } from './data/training-summary.ts';
import { describeWeekSchedule } from './data/week-schedule.ts';
import { getLoggedSetsTool, type SpecialistTool, type ToolContext } from './tools.ts';

export interface SpecialistInput extends ToolContext {
  data: CoachingData;
  today: LocalDay;
}

export interface SpecialistDefinition {
  instructions: string;
  /** The facts for the prompt, from data already loaded or one more read. */
  loadFacts(input: SpecialistInput): Promise<string> | string;
  tools: readonly SpecialistTool[];
}

/** Spoken answers: these hold for every specialist. */
export const VOICE_RULES = `Your answer is spoken aloud by a voice coach, so:
- Answer in two to four short, plain sentences. No markdown, lists, headings, emojis or URLs.
- Write numbers a voice reads well: "80 kilograms", "3 sets of 8", "2,100 calories"; no tables or symbols.
- Use only the facts below and general knowledge. Never invent the user's data: if something is not in the facts, say you do not have it.
- Respect the user's injuries, equipment, allergies and preferred units.`;

const GENERAL_GUIDANCE_ONLY =
  'Give general guidance only, never a diagnosis, a prescription or a medical dose. For medical conditions, medication, pregnancy or symptoms, tell the user to ask a doctor or a registered dietitian.';

const TRACKER_WINDOW_DAYS = 28;
const TRACKER_MAX_SETS = 500;

function todayLine({ today }: SpecialistInput): string {
  return `Today is ${today.weekday} ${today.date} in the user's time zone.`;
}

function todaysWorkout({ data, today }: SpecialistInput): string {
  const day = data.workoutPlan?.days.find((d) => d.day === today.weekday);
  return `Today's workout: ${day ? describeWorkoutDay(day) : 'nothing planned'}.`;
}

function todaysMeals({ data, today }: SpecialistInput): string {
  const day = data.mealPlan?.days.find((d) => d.day === today.weekday);
  return `Today's meals: ${day ? describeMealDay(day) : 'nothing planned'}.`;
}

async function recentTraining(input: SpecialistInput): Promise<string> {
  const { repository, userId, timeZone, clock, today } = input;
  const from = addDays(today.date, -(TRACKER_WINDOW_DAYS - 1));
  const logs = await repository.listWorkoutLogs(userId, {
    since: startOfLocalDate(from, clock.now(), timeZone),
    limit: TRACKER_MAX_SETS,
  });
  return [
    describeConsistency(logs, timeZone, today.date),
    describePeriod({ logs, timeZone, from, to: today.date, truncatedAt: TRACKER_MAX_SETS }),
  ].join('\n');
}

export const SPECIALIST_DEFINITIONS: Record<Specialist, SpecialistDefinition> = {
  workout: {
    instructions:
      "You are the workout specialist: exercise choice, technique, sets, reps, loads, progression and the user's training plan. Adapt to their level, injuries and equipment.",
    loadFacts: (input) =>
      [
        todayLine(input),
        todaysWorkout(input),
        describeWorkoutPlan(input.data.workoutPlan, input.today.weekday),
      ].join('\n'),
    tools: [],
  },
  diet: {
    instructions: `You are the nutrition specialist: meals, calories, macros, hydration and the user's meal plan. ${GENERAL_GUIDANCE_ONLY}`,
    loadFacts: (input) =>
      [
        todayLine(input),
        todaysMeals(input),
        describeMealPlan(input.data.mealPlan, input.today.weekday),
      ].join('\n'),
    tools: [],
  },
  supplement: {
    instructions: `You are the supplement specialist: common sports supplements such as protein powder, creatine, caffeine and vitamins, what they are for and what the evidence says. ${GENERAL_GUIDANCE_ONLY} Mention checking labels against the user's allergies.`,
    loadFacts: (input) =>
      [
        todayLine(input),
        input.data.mealPlan
          ? `Meal plan "${input.data.mealPlan.name}", daily target ${spokenNumber(input.data.mealPlan.daily_calorie_target)} calories.`
          : 'The user has no active meal plan.',
        input.data.workoutPlan
          ? `Training plan "${input.data.workoutPlan.name}", goal: ${input.data.workoutPlan.goal}.`
          : 'The user has no active workout plan.',
      ].join('\n'),
    tools: [],
  },
  tracker: {
    instructions:
      "You are the progress tracker: you read the user's logged sets to talk about progress, volume, best sets and consistency, compared with their plan. The last 28 days are below; call get_logged_sets only for other periods.",
    loadFacts: async (input) =>
      [
        todayLine(input),
        await recentTraining(input),
        describeWorkoutPlan(input.data.workoutPlan, input.today.weekday),
      ].join('\n'),
    tools: [getLoggedSetsTool],
  },
  scheduler: {
    instructions:
      "You are the scheduler: when to train and eat this week, and how to move, swap or skip a day without losing the plan's balance. Use weekday names and dates from the schedule below.",
    loadFacts: ({ data, today }) => describeWeekSchedule(data, today),
    tools: [],
  },
  general: {
    instructions:
      "You are the general coach: motivation, sleep, recovery, stress and anything else about the user's fitness. Point to the plan when it helps.",
    loadFacts: (input) => [todayLine(input), todaysWorkout(input), todaysMeals(input)].join('\n'),
    tools: [],
  },
};

export function specialistInput(context: ToolContext, data: CoachingData): SpecialistInput {
  return { ...context, data, today: localDay(context.clock.now(), context.timeZone) };
}

/** The specialist's whole system prompt, with its data already in it. */
export async function buildSystemPrompt(
  definition: SpecialistDefinition,
  input: SpecialistInput,
): Promise<string> {
  const facts = await definition.loadFacts(input);
  return `${definition.instructions}\n\n${VOICE_RULES}\n\nAbout the user:\n${describeProfile(input.data)}\n\nFacts:\n${facts}`;
}
