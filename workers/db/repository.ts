/**
 * The one query module behind `CoachingRepository`. It only uses the query builder that every
 * drizzle Postgres driver shares, so Neon (HTTP and WebSocket), node-postgres and PGlite all run
 * exactly this code.
 */
import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, type SQL, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import {
  mealPlans,
  userProfiles,
  users,
  voiceSessions,
  workoutLogs,
  workoutPlans,
} from '../../drizzle/schema.ts';
import {
  type LogEntry,
  lastSessionSchema,
  mealPlanSchema,
  preferencesSchema,
  profileSchema,
  type WorkoutLog,
  workoutPlanSchema,
} from '../../shared/schemas.ts';
import { describeIssues } from '../errors.ts';
import type { CoachingRepository, WorkoutLogQuery } from '../ports.ts';

/** Any drizzle Postgres database, whatever the driver underneath. */
export type AnyPgDatabase = PgDatabase<PgQueryResultHKT>;

/** Stored data that no longer matches the contract: a bug or a bad manual edit, never user input. */
export class StoredDataError extends Error {
  constructor(what: string, userId: string, error: z.ZodError) {
    super(`stored ${what} of user ${userId} is invalid: ${describeIssues(error)}`);
    this.name = 'StoredDataError';
  }
}

function parseStored<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
  userId: string,
): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new StoredDataError(what, userId, result.error);
  return result.data;
}

export function createRepository(db: AnyPgDatabase): CoachingRepository {
  return {
    async findCoachingData(userId) {
      // Independent reads: on neon-http each is one round trip, so they go out together.
      const activeWorkout = activePlanOf(workoutPlans, userId);
      const activeMeals = activePlanOf(mealPlans, userId);
      const [profileRows, workoutRows, mealRows] = await Promise.all([
        db.select().from(userProfiles).where(eq(userProfiles.userId, userId)),
        db
          .select()
          .from(workoutPlans)
          .where(activeWorkout.where)
          .orderBy(...activeWorkout.newestFirst)
          .limit(1),
        db
          .select()
          .from(mealPlans)
          .where(activeMeals.where)
          .orderBy(...activeMeals.newestFirst)
          .limit(1),
      ]);
      const row = profileRows[0];
      if (!row) return null;
      const workout = workoutRows[0];
      const meals = mealRows[0];
      return {
        profile: parseStored(
          profileSchema,
          {
            user_id: row.userId,
            name: row.name,
            fitness_level: row.fitnessLevel,
            goals: row.goals,
            injuries: row.injuries,
            equipment: row.equipment,
            time_zone: row.timeZone,
          },
          'profile',
          userId,
        ),
        preferences: parseStored(
          preferencesSchema,
          {
            units: row.units,
            dietary_preferences: row.dietaryPreferences,
            allergies: row.allergies,
          },
          'preferences',
          userId,
        ),
        workoutPlan: workout
          ? parseStored(
              workoutPlanSchema,
              { id: workout.id, name: workout.name, goal: workout.goal, days: workout.days },
              'workout plan',
              userId,
            )
          : null,
        mealPlan: meals
          ? parseStored(
              mealPlanSchema,
              {
                id: meals.id,
                name: meals.name,
                daily_calorie_target: meals.dailyCalorieTarget,
                days: meals.days,
              },
              'meal plan',
              userId,
            )
          : null,
      };
    },

    async findExistingUserIds(userIds) {
      if (userIds.length === 0) return new Set();
      const rows = await db
        .select({ id: users.id })
        .from(users)
        .where(inArray(users.id, [...new Set(userIds)]));
      return new Set(rows.map((r) => r.id));
    },

    async insertWorkoutLogs(entries) {
      if (entries.length === 0) return 0;
      // One statement, so it needs no transaction (neon-http has none): rows of unknown users are
      // filtered out by the join instead of failing the whole batch on the foreign key.
      const inserted = await db
        .insert(workoutLogs)
        .select(
          sql`select incoming.id, incoming.user_id, incoming.exercise, incoming.reps,
            incoming.weight_kg, incoming.logged_at, now()
          from (values ${sql.join(entries.map(incomingRow), sql`, `)})
            as incoming(id, user_id, exercise, reps, weight_kg, logged_at)
          where exists (select 1 from ${users} where ${users.id} = incoming.user_id)`,
        )
        .onConflictDoNothing({ target: workoutLogs.id })
        .returning({ id: workoutLogs.id });
      return inserted.length;
    },

    async listWorkoutLogs(userId, query) {
      const rows = await db
        .select()
        .from(workoutLogs)
        .where(and(eq(workoutLogs.userId, userId), ...rangeConditions(query)))
        .orderBy(desc(workoutLogs.loggedAt), desc(workoutLogs.createdAt), desc(workoutLogs.id))
        .limit(query.limit);
      return rows.map(
        (r): WorkoutLog => ({
          log_id: r.id,
          user_id: r.userId,
          exercise: r.exercise,
          reps: r.reps,
          weight_kg: r.weightKg,
          logged_at: r.loggedAt.toISOString(),
          created_at: r.createdAt.toISOString(),
        }),
      );
    },

    async recordVoiceSession(session) {
      // The profile check rides in the insert itself, so a session costs one round trip.
      const inserted = await db
        .insert(voiceSessions)
        .select(
          sql`select ${session.roomName}::varchar, ${session.userId}::uuid,
            ${session.agentType}::varchar, ${session.startedAt.toISOString()}::timestamptz,
            null::timestamptz, null::jsonb
          where exists (
            select 1 from ${userProfiles} where ${userProfiles.userId} = ${session.userId}::uuid
          )`,
        )
        .onConflictDoNothing({ target: voiceSessions.roomName })
        .returning({ roomName: voiceSessions.roomName });
      return inserted.length > 0;
    },

    async endVoiceSession({ roomName, endedAt }) {
      // PostgreSQL text cannot hold NUL, so no session has such a name; asking would only make
      // the database refuse the query (a 503 for what is a foreign room).
      if (roomName.includes('\u0000')) return false;
      // LiveKit's clock is not the edge's: an end stamped before the recorded start is clamped to
      // it, so a session never lasts less than nothing.
      const ended = await db
        .update(voiceSessions)
        .set({
          endedAt: sql`greatest(${voiceSessions.startedAt}, ${endedAt.toISOString()}::timestamptz)`,
        })
        .where(and(eq(voiceSessions.roomName, roomName), isNull(voiceSessions.endedAt)))
        .returning({ roomName: voiceSessions.roomName });
      return ended.length > 0;
    },

    async storeSessionSummary({ roomName, userId, summary }) {
      const updated = await db
        .update(voiceSessions)
        .set({ summary })
        .where(and(eq(voiceSessions.roomName, roomName), eq(voiceSessions.userId, userId)))
        .returning({ roomName: voiceSessions.roomName });
      return updated.length > 0;
    },

    async findLastSession(userId) {
      const rows = await db
        .select()
        .from(voiceSessions)
        .where(and(eq(voiceSessions.userId, userId), isNotNull(voiceSessions.summary)))
        .orderBy(desc(voiceSessions.startedAt), desc(voiceSessions.roomName))
        .limit(1);
      const row = rows[0];
      if (!row) return null;
      return parseStored(
        lastSessionSchema,
        {
          room_name: row.roomName,
          started_at: row.startedAt.toISOString(),
          ended_at: row.endedAt?.toISOString() ?? null,
          agent_type: row.agentType,
          summary: row.summary,
        },
        'session summary',
        userId,
      );
    },

    async ping() {
      await db.execute(sql`select 1`);
    },
  };
}

/** Typed casts, because Postgres cannot infer the column types of a VALUES list from parameters. */
function incomingRow(entry: LogEntry): SQL {
  return sql`(${entry.log_id}::uuid, ${entry.user_id}::uuid, ${entry.exercise}::varchar,
    ${entry.reps}::integer, ${entry.weight_kg}::double precision, ${entry.logged_at}::timestamptz)`;
}

/** `since` is inclusive and `until` exclusive, so adjacent windows never return a set twice. */
function rangeConditions({ since, until }: WorkoutLogQuery): SQL[] {
  const conditions: SQL[] = [];
  if (since) conditions.push(gte(workoutLogs.loggedAt, since));
  if (until) conditions.push(lt(workoutLogs.loggedAt, until));
  return conditions;
}

/** A user may keep old plans; the newest active one is the one they follow. */
function activePlanOf(table: typeof workoutPlans | typeof mealPlans, userId: string) {
  return {
    where: and(eq(table.userId, userId), eq(table.active, true)),
    newestFirst: [desc(table.createdAt), desc(table.id)],
  };
}
