/**
 * What the coach is told, per agent type, and how it greets. Built only from the pre-loaded
 * coaching context, so a session never waits on anything to know who it is talking to.
 */

import { profileFacts } from '../shared/profile-facts.ts';
import type { AgentType, CoachingContext } from '../shared/schemas.ts';
import { describeLastSession } from './coaching/last-session.ts';
import { COACHING_TOOL_RULES } from './coaching/tool-rules.ts';
import { describeTodaysWorkout } from './today.ts';

interface Persona {
  /** Who the coach is for this agent type. */
  role: string;
  /** What it concentrates on and which tools matter most. */
  focus: string;
  greeting: (firstName: string) => string;
}

const PERSONAS = {
  workout: {
    role: 'You are a workout coach: an energetic, encouraging personal trainer.',
    focus:
      "Focus on today's workout: exercises, sets, reps, form cues and rest. Log every set the user reports.",
    greeting: (name) =>
      `Hey ${name}! Ready to train? Ask me about today's workout or tell me a set to log.`,
  },
  diet: {
    role: 'You are a diet coach: a practical, friendly nutrition guide.',
    focus:
      "Focus on today's meals, calories, protein and healthy choices that respect the user's diet and allergies.",
    greeting: (name) => `Hi ${name}! Want to go over today's meals or talk about what to eat?`,
  },
  supplement: {
    role: 'You are a supplement coach: a careful, evidence-minded guide to supplements.',
    focus:
      'Focus on supplements: what they do, safe doses and interactions. Send every safety or dosing question to the supplement specialist.',
    greeting: (name) => `Hello ${name}! I can help with supplements. What would you like to know?`,
  },
  general: {
    role: 'You are a general fitness coach: a friendly all-round guide to training, food and recovery.',
    focus:
      'Help with anything about fitness. Use the quick tools for today’s plan and the specialists for deeper questions.',
    greeting: (name) => `Hi ${name}! I'm your fitness coach. How can I help today?`,
  },
} as const satisfies Record<AgentType, Persona>;

const VOICE_RULES = [
  'You are speaking, not writing. Answer in one to three short, plain sentences.',
  'Never use markdown, lists, bullet points, emojis, headings or symbols.',
  'Say numbers the way a person speaks them, for example "sixty kilograms", "three sets of ten".',
  'Ask one question at a time. If you did not understand, ask the user to repeat.',
  'Never give medical diagnoses; for pain or injury suggest seeing a professional.',
];

const TOOL_RULES = [
  "Use get_todays_workout when the user asks what today's workout is or what to train today: it tells them the day and where they are in it, itself; do not repeat it. Answer any narrower question about today's exercises (one exercise's sets, reps, load or rest, how long it takes, a warm-up for it) from today's workout above, with no tool.",
  "Use get_todays_meals whenever the user asks what to eat today or about today's meals.",
  'Use log_workout_set every time the user reports a set they did, with the exercise, the reps and the weight. Use unit "lb" only when the user said pounds; for bodyweight exercises the weight is zero.',
  'Use ask_specialist_agent for anything that needs expert reasoning: new plans, substitutions, supplement safety, progress tracking or scheduling. Pick the closest specialist. Its answer is said to the user as it comes; do not repeat it.',
  ...COACHING_TOOL_RULES,
  'Read tool results and answer from them in your own short words; never read raw data aloud.',
];

/** The user's first name as spoken in a greeting; falls back to a neutral word. */
export function firstName(context: CoachingContext): string {
  return context.profile.name.trim().split(/\s+/)[0] || 'there';
}

function describeUser(context: CoachingContext): string[] {
  const { profile, preferences } = context;
  const unitWord = preferences.units === 'imperial' ? 'pounds' : 'kilograms';
  return [
    ...profileFacts(profile, preferences),
    `Preferred units: ${preferences.units} (speak weights in ${unitWord}).`,
    `Today is ${context.weekday}, ${context.date}.`,
    `Workout plan: ${context.workout_plan ? context.workout_plan.name : 'none yet'}.`,
    "Today's workout:",
    describeTodaysWorkout(context),
    `Meal plan: ${context.meal_plan ? context.meal_plan.name : 'none yet'}.`,
    ...describeLastSession(context),
  ];
}

/** The system instructions for one session of the given agent type. */
export function buildInstructions(agentType: AgentType, context: CoachingContext): string {
  const persona = PERSONAS[agentType];
  return [
    `${persona.role} This is a ${agentType} coaching voice session.`,
    persona.focus,
    '',
    'About the user:',
    ...describeUser(context),
    '',
    'How to speak:',
    ...VOICE_RULES,
    '',
    'Tools:',
    ...TOOL_RULES,
    '',
    'Always respect the injuries, allergies and dietary preferences above.',
  ].join('\n');
}

/** The first thing the coach says, fitting the agent type and using the user's first name. */
export function buildGreeting(agentType: AgentType, context: CoachingContext): string {
  return PERSONAS[agentType].greeting(firstName(context));
}
