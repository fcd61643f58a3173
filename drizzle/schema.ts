/**
 * The database schema. Types for the rest of the code come from here, and drizzle-kit generates
 * the SQL migrations in drizzle/migrations from it (`npm run db:generate`).
 */
import {
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import type { MealDay, SessionSummary, WorkoutDay } from '../shared/schemas.ts';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: varchar('email', { length: 320 }).notNull().unique(),
  createdAt: createdAt(),
});

export const userProfiles = pgTable('user_profiles', {
  userId: uuid('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  name: varchar('name', { length: 120 }).notNull(),
  fitnessLevel: varchar('fitness_level', {
    length: 20,
    enum: ['beginner', 'intermediate', 'advanced'],
  }).notNull(),
  goals: jsonb('goals').$type<string[]>().notNull().default([]),
  injuries: jsonb('injuries').$type<string[]>().notNull().default([]),
  equipment: jsonb('equipment').$type<string[]>().notNull().default([]),
  dietaryPreferences: jsonb('dietary_preferences').$type<string[]>().notNull().default([]),
  allergies: jsonb('allergies').$type<string[]>().notNull().default([]),
  units: varchar('units', { length: 10, enum: ['metric', 'imperial'] })
    .notNull()
    .default('metric'),
  /** IANA time zone, e.g. Europe/Berlin: "today" is the user's local date. */
  timeZone: varchar('time_zone', { length: 64 }).notNull().default('UTC'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export const workoutPlans = pgTable(
  'workout_plans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 120 }).notNull(),
    goal: varchar('goal', { length: 255 }).notNull(),
    /** A week of days, Monday to Sunday, each a named workout or a rest day. */
    days: jsonb('days').$type<WorkoutDay[]>().notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
  },
  (table) => [index('workout_plans_user_id_idx').on(table.userId)],
);

export const mealPlans = pgTable(
  'meal_plans',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: varchar('name', { length: 120 }).notNull(),
    dailyCalorieTarget: integer('daily_calorie_target').notNull(),
    /** A week of days, each with its meals, calories and macros. */
    days: jsonb('days').$type<MealDay[]>().notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
  },
  (table) => [index('meal_plans_user_id_idx').on(table.userId)],
);

export const workoutLogs = pgTable(
  'workout_logs',
  {
    /** The client-made log_id: inserting the same set twice stores it once. */
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    exercise: varchar('exercise', { length: 255 }).notNull(),
    reps: integer('reps').notNull(),
    weightKg: doublePrecision('weight_kg').notNull(),
    loggedAt: timestamp('logged_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    index('workout_logs_user_id_idx').on(table.userId),
    index('workout_logs_logged_at_idx').on(table.loggedAt),
  ],
);

export const voiceSessions = pgTable(
  'voice_sessions',
  {
    roomName: varchar('room_name', { length: 128 }).primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    agentType: varchar('agent_type', { length: 20 }).notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** What the session achieved, stored by the agent; the next session's context carries it. */
    summary: jsonb('summary').$type<SessionSummary>(),
  },
  (table) => [index('voice_sessions_user_id_idx').on(table.userId)],
);

/**
 * The embedded log queue's outbox: sets answered 202 but not yet in workout_logs. The API writes
 * here before it answers, and the in-process queue delivers from here (resuming after a restart),
 * so a set accepted by `npm run dev` survives the process being killed. No foreign key: a set of a
 * user deleted meanwhile must not block the queue (the delivery skips it, as QStash's does).
 */
export const logOutbox = pgTable(
  'log_outbox',
  {
    logId: uuid('log_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    exercise: varchar('exercise', { length: 255 }).notNull(),
    reps: integer('reps').notNull(),
    weightKg: doublePrecision('weight_kg').notNull(),
    /** The accepted text as is: timestamptz would round microseconds through a JS Date here. */
    loggedAt: text('logged_at').notNull(),
    queuedAt: timestamp('queued_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('log_outbox_queued_at_idx').on(table.queuedAt)],
);

export const schema = {
  users,
  userProfiles,
  workoutPlans,
  mealPlans,
  workoutLogs,
  voiceSessions,
  logOutbox,
};
