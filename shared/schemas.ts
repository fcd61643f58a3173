/**
 * The HTTP and metadata contract shared by the edge API, the voice agent and other services.
 * Every body that crosses a process boundary is parsed with one of these schemas. Requests are
 * strict objects, so an unknown field is a clear 400 rather than silently ignored; what the API
 * answers (and the metadata it writes) drops unknown fields instead, so a newer API that adds a
 * field never breaks an older agent or client still reading the old shape.
 */
import { z } from 'zod';

export const AGENT_TYPES = ['workout', 'diet', 'supplement', 'general'] as const;
export const agentTypeSchema = z.enum(AGENT_TYPES);
export type AgentType = z.infer<typeof agentTypeSchema>;

export const SPECIALISTS = [
  'workout',
  'diet',
  'supplement',
  'tracker',
  'scheduler',
  'general',
] as const;
export const specialistSchema = z.enum(SPECIALISTS);
export type Specialist = z.infer<typeof specialistSchema>;

export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
export const weekdaySchema = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof weekdaySchema>;

/** Lower-cased, so an iOS client's upper-case UUID names the same user as everyone else's. */
export const userIdSchema = z.uuid({ error: 'must be a UUID' }).toLowerCase();

const EARLIEST_INSTANT = Date.UTC(1970, 0, 1);
const LATEST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59);
/** A set may be logged with a clock that runs ahead, but not by more than this. */
const LOGGED_AT_MAX_AHEAD_MS = 24 * 3600_000;

const isoDateTimeSchema = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' });
/**
 * An instant PostgreSQL can store and that means something here: year 0000 is valid ISO 8601
 * but not a valid timestamptz, and would turn an accepted set into a failed delivery.
 */
const instantSchema = isoDateTimeSchema.refine(
  (value) => {
    const time = Date.parse(value);
    return time >= EARLIEST_INSTANT && time <= LATEST_INSTANT;
  },
  { error: 'must be between 1970 and 9999' },
);

/** Limits on a logged set; shared so the agent rejects what the API would reject. */
export const LOG_LIMITS = {
  exerciseMaxLength: 255,
  repsMin: 1,
  repsMax: 1000,
  weightKgMin: 0,
  weightKgMax: 1000,
  batchMax: 100,
} as const;

// ---------------------------------------------------------------- session metadata

/** Carried as LiveKit room metadata and as the explicit agent dispatch's metadata. */
export const sessionMetadataSchema = z.object({
  user_id: userIdSchema,
  agent_type: agentTypeSchema,
  session_type: z.literal('voice'),
  created_at: isoDateTimeSchema,
});
export type SessionMetadata = z.infer<typeof sessionMetadataSchema>;

// ---------------------------------------------------------------- POST /v1/sessions

export const createSessionRequestSchema = z.strictObject({
  agent_type: agentTypeSchema,
});
export type CreateSessionRequest = z.infer<typeof createSessionRequestSchema>;

export const createSessionResponseSchema = z.object({
  server_url: z.string(),
  room_name: z.string(),
  participant_identity: z.string(),
  participant_token: z.string(),
  agent_type: agentTypeSchema,
  expires_at: isoDateTimeSchema,
  /**
   * How long the app waits, after joining, for the coach (a participant of kind AGENT) before it
   * tells the user no coach is free; the API's own check then tells the room on the data topic
   * `fvc.coach_unavailable` (see the README's mobile-client notes).
   */
  agent_join_timeout_ms: z.number().int().positive(),
});
export type CreateSessionResponse = z.infer<typeof createSessionResponseSchema>;

// ---------------------------------------------------------------- coaching context

export const exerciseSchema = z.object({
  name: z.string().min(1),
  sets: z.number().int().positive(),
  reps: z.number().int().positive(),
  load_kg: z.number().nonnegative().nullable(),
  rest_seconds: z.number().int().nonnegative(),
  notes: z.string().optional(),
});
export type Exercise = z.infer<typeof exerciseSchema>;

export const workoutDaySchema = z.object({
  day: weekdaySchema,
  name: z.string().min(1),
  rest_day: z.boolean(),
  exercises: z.array(exerciseSchema),
});
export type WorkoutDay = z.infer<typeof workoutDaySchema>;

export const workoutPlanSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  goal: z.string(),
  days: z.array(workoutDaySchema),
});
export type WorkoutPlan = z.infer<typeof workoutPlanSchema>;

export const mealSchema = z.object({
  name: z.string().min(1),
  description: z.string(),
  calories: z.number().nonnegative(),
  protein_g: z.number().nonnegative(),
  carbs_g: z.number().nonnegative(),
  fat_g: z.number().nonnegative(),
});
export type Meal = z.infer<typeof mealSchema>;

export const mealDaySchema = z.object({
  day: weekdaySchema,
  meals: z.array(mealSchema),
  total_calories: z.number().nonnegative(),
});
export type MealDay = z.infer<typeof mealDaySchema>;

export const mealPlanSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  daily_calorie_target: z.number().nonnegative(),
  days: z.array(mealDaySchema),
});
export type MealPlan = z.infer<typeof mealPlanSchema>;

export const FITNESS_LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
export const UNITS = ['metric', 'imperial'] as const;

export const profileSchema = z.object({
  user_id: userIdSchema,
  name: z.string(),
  fitness_level: z.enum(FITNESS_LEVELS),
  goals: z.array(z.string()),
  injuries: z.array(z.string()),
  equipment: z.array(z.string()),
  time_zone: z.string(),
});
export type Profile = z.infer<typeof profileSchema>;

export const preferencesSchema = z.object({
  units: z.enum(UNITS),
  dietary_preferences: z.array(z.string()),
  allergies: z.array(z.string()),
});
export type Preferences = z.infer<typeof preferencesSchema>;

// ---------------------------------------------------------------- training history and summaries

/** Bounds on what the context carries about past training, so it stays small and cacheable. */
export const HISTORY_LIMITS = {
  /** How far back the history looks, in days. */
  lookbackDays: 28,
  /** At most this many logged sets are read to build it. */
  logsRead: 300,
  /** At most this many of today's sets are carried. */
  todaysSets: 100,
  /** At most this many sets of an exercise's last session are carried. */
  lastSessionSets: 12,
  summaryExercises: 30,
  summaryNoteMaxLength: 500,
} as const;

const setFigures = {
  reps: z.number().int().nonnegative(),
  weight_kg: z.number().nonnegative(),
};

export const loggedSetSchema = z.object({
  log_id: z.uuid(),
  exercise: z.string(),
  ...setFigures,
  logged_at: isoDateTimeSchema,
});
export type LoggedSet = z.infer<typeof loggedSetSchema>;

export const exerciseHistorySchema = z.object({
  /** The exercise as today's plan names it. */
  exercise: z.string(),
  /** The most recent earlier day (user's local date) with sets of this exercise. */
  last_session: z.object({ date: z.iso.date(), sets: z.array(z.object(setFigures)) }).nullable(),
  /** Heaviest set of the lookback window (more reps breaks a tie), today excluded. */
  best_recent_set: z.object({ date: z.iso.date(), ...setFigures }).nullable(),
});
export type ExerciseHistory = z.infer<typeof exerciseHistorySchema>;

/** A stored session summary as the API answers it (tolerant; the strict request form is below). */
export const lastSessionSchema = z.object({
  room_name: z.string(),
  started_at: isoDateTimeSchema,
  /** Null until LiveKit reported the room finished. */
  ended_at: isoDateTimeSchema.nullable(),
  agent_type: z.string(),
  summary: z.object({
    sets: z.number(),
    total_volume_kg: z.number(),
    exercises: z.array(
      z.object({
        exercise: z.string(),
        sets: z.number(),
        volume_kg: z.number(),
        best_reps: z.number(),
        best_weight_kg: z.number(),
      }),
    ),
    new_bests: z.array(z.object({ exercise: z.string(), reps: z.number(), weight_kg: z.number() })),
    note: z.string().optional(),
  }),
});
export type LastSession = z.infer<typeof lastSessionSchema>;

export const coachingContextSchema = z.object({
  profile: profileSchema,
  preferences: preferencesSchema,
  workout_plan: workoutPlanSchema.nullable(),
  todays_workout: workoutDaySchema.nullable(),
  meal_plan: mealPlanSchema.nullable(),
  todays_meals: mealDaySchema.nullable(),
  /** The user's local date (YYYY-MM-DD) in the profile's time zone. */
  date: z.iso.date(),
  weekday: weekdaySchema,
  /** Per exercise of today's plan; defaults keep an older API's answer readable. */
  recent_training: z.array(exerciseHistorySchema).default([]),
  /** Sets already logged on the user's local today, oldest first. */
  todays_sets: z.array(loggedSetSchema).default([]),
  /** The summary of the user's most recent session that stored one. */
  last_session: lastSessionSchema.nullable().default(null),
});
export type CoachingContext = z.infer<typeof coachingContextSchema>;

// ---------------------------------------------------------------- workout logs

export const exerciseNameSchema = z
  .string()
  .trim()
  .min(1, { error: 'must not be blank' })
  .max(LOG_LIMITS.exerciseMaxLength, {
    error: `must be at most ${LOG_LIMITS.exerciseMaxLength} characters`,
  })
  // PostgreSQL text cannot hold NUL and would mangle lone surrogates: such a set would be
  // accepted with 202 and then never stored, so it is refused here instead.
  .regex(/^[^\p{Cc}\p{Cs}]*$/u, { error: 'must not contain control characters or broken text' });

export const repsSchema = z
  .number({ error: 'must be a number' })
  .int({ error: 'must be a whole number' })
  .min(LOG_LIMITS.repsMin, { error: `must be at least ${LOG_LIMITS.repsMin}` })
  .max(LOG_LIMITS.repsMax, { error: `must be at most ${LOG_LIMITS.repsMax}` });

export const weightKgSchema = z
  .number({ error: 'must be a finite number' })
  .min(LOG_LIMITS.weightKgMin, { error: `must be at least ${LOG_LIMITS.weightKgMin}` })
  .max(LOG_LIMITS.weightKgMax, { error: `must be at most ${LOG_LIMITS.weightKgMax}` });

export const logEntrySchema = z.strictObject({
  log_id: z.uuid({ error: 'must be a UUID' }).toLowerCase(),
  user_id: userIdSchema,
  exercise: exerciseNameSchema,
  reps: repsSchema,
  weight_kg: weightKgSchema,
  logged_at: instantSchema.refine(
    (value) => Date.parse(value) <= Date.now() + LOGGED_AT_MAX_AHEAD_MS,
    {
      error: 'must not be more than a day in the future',
    },
  ),
});
export type LogEntry = z.infer<typeof logEntrySchema>;

export const ingestLogsRequestSchema = z.strictObject({
  entries: z
    .array(logEntrySchema)
    .min(1, { error: 'must hold at least one entry' })
    .max(LOG_LIMITS.batchMax, { error: `must hold at most ${LOG_LIMITS.batchMax} entries` }),
});
export type IngestLogsRequest = z.infer<typeof ingestLogsRequestSchema>;

export const ingestLogsResponseSchema = z.object({ accepted: z.number().int() });

export const workoutLogSchema = z.object({
  log_id: z.uuid(),
  user_id: userIdSchema,
  exercise: z.string(),
  reps: z.number().int(),
  weight_kg: z.number(),
  logged_at: isoDateTimeSchema,
  created_at: isoDateTimeSchema,
});
export type WorkoutLog = z.infer<typeof workoutLogSchema>;

export const listWorkoutLogsQuerySchema = z.strictObject({
  since: instantSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const workoutLogListSchema = z.object({ logs: z.array(workoutLogSchema) });

// ---------------------------------------------------------------- session summaries

const summaryExerciseSchema = z.strictObject({
  exercise: exerciseNameSchema,
  sets: z.number().int().min(1).max(10_000),
  volume_kg: z.number().nonnegative().max(1e9),
  best_reps: repsSchema,
  best_weight_kg: weightKgSchema,
});

/** What a session achieved, as the agent stores it with the voice_sessions row. */
export const sessionSummarySchema = z.strictObject({
  sets: z.number().int().nonnegative().max(10_000),
  total_volume_kg: z.number().nonnegative().max(1e9),
  exercises: z.array(summaryExerciseSchema).max(HISTORY_LIMITS.summaryExercises),
  new_bests: z
    .array(
      z.strictObject({ exercise: exerciseNameSchema, reps: repsSchema, weight_kg: weightKgSchema }),
    )
    .max(HISTORY_LIMITS.summaryExercises),
  /** What the coach wants to remember for next time ("left knee felt sore"), in a few words. */
  note: z
    .string()
    .trim()
    .max(HISTORY_LIMITS.summaryNoteMaxLength, {
      error: `must be at most ${HISTORY_LIMITS.summaryNoteMaxLength} characters`,
    })
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, { error: 'must not contain control characters or broken text' })
    .optional(),
});
export type SessionSummary = z.infer<typeof sessionSummarySchema>;

export const storeSessionSummaryRequestSchema = z.strictObject({
  user_id: userIdSchema,
  summary: sessionSummarySchema,
});
export type StoreSessionSummaryRequest = z.infer<typeof storeSessionSummaryRequestSchema>;

export const storeSessionSummaryResponseSchema = z.object({ room_name: z.string() });

// ---------------------------------------------------------------- specialists

export const SPECIALIST_QUERY_MAX_LENGTH = 2000;

export const specialistQueryRequestSchema = z.strictObject({
  user_id: userIdSchema,
  query: z
    .string()
    .trim()
    .min(1, { error: 'must not be blank' })
    .max(SPECIALIST_QUERY_MAX_LENGTH, {
      error: `must be at most ${SPECIALIST_QUERY_MAX_LENGTH} characters`,
    }),
  specialist: specialistSchema.optional(),
});
export type SpecialistQueryRequest = z.infer<typeof specialistQueryRequestSchema>;

export const specialistQueryResponseSchema = z.object({
  specialist: specialistSchema,
  answer: z.string(),
});
export type SpecialistQueryResponse = z.infer<typeof specialistQueryResponseSchema>;

// ---------------------------------------------------------------- health and errors

export const checkStatusSchema = z.enum(['ok', 'down']);
export const healthSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  checks: z.object({
    database: checkStatusSchema,
    cache: checkStatusSchema,
    queue: checkStatusSchema,
  }),
});
export type Health = z.infer<typeof healthSchema>;

export const ERROR_CODES = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'conflict',
  'payload_too_large',
  'rate_limited',
  'unavailable',
  'specialist_unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
