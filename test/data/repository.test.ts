/**
 * The one query module, run unchanged on every driver: Neon over WebSockets (through a local
 * WebSocket proxy) and over HTTP (through a Neon-protocol stand-in), both into real PostgreSQL,
 * plain node-postgres, and PGlite in memory.
 */
import { randomUUID } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { count, eq, inArray } from 'drizzle-orm';
import { pgSchema, serial } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import journal from '../../drizzle/migrations/meta/_journal.json' with { type: 'json' };
import {
  mealPlans,
  userProfiles,
  users,
  voiceSessions,
  workoutLogs,
  workoutPlans,
} from '../../drizzle/schema.ts';
import { seedDatabase } from '../../drizzle/seed.ts';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import {
  type LogEntry,
  mealDaySchema,
  mealPlanSchema,
  workoutDaySchema,
  workoutPlanSchema,
} from '../../shared/schemas.ts';
import type { DatabaseDriver } from '../../workers/config.ts';
import { type DatabaseConfig, openDatabase } from '../../workers/db/open.ts';
import { openNodeDatabase } from '../../workers/db/open-node.ts';
import type { AnyPgDatabase } from '../../workers/db/repository.ts';
import type { CoachingRepository } from '../../workers/ports.ts';
import { type NeonHttpStandin, startNeonHttpStandin } from '../support/neon-http-standin.ts';
import { type NeonWsProxy, startNeonWsProxy } from '../support/neon-ws-proxy.ts';
import { createTestDatabase, databaseConfig, type TestDatabase } from '../support/postgres.ts';

/** drizzle's own bookkeeping table, declared here only to count its rows. */
const appliedMigrations = pgSchema('drizzle').table('__drizzle_migrations', {
  id: serial('id').primaryKey(),
});

interface Subject {
  repository: CoachingRepository;
  db: AnyPgDatabase;
  /** Runs the migrations again through this driver. */
  migrate(): Promise<void>;
  /** The same driver pointed at a database that cannot be reached. */
  openUnreachable(): Promise<{ repository: CoachingRepository; close(): Promise<void> }>;
  close(): Promise<void>;
}

/** A loopback port nothing listens on. */
async function deadPort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function withDeadPort(url: string): Promise<string> {
  const target = new URL(url);
  target.port = String(await deadPort());
  return target.toString();
}

/** Subjects on a real PostgreSQL database, reached through `config` built around its URL. */
async function postgresSubject(
  configFor: (url: string) => DatabaseConfig,
  extra: { close(): Promise<void> } | null,
  open: (config: DatabaseConfig) => Promise<{
    db: AnyPgDatabase;
    repository: CoachingRepository;
    close(): Promise<void>;
  }>,
): Promise<Subject> {
  const testDb: TestDatabase = await createTestDatabase({ seed: true });
  const config = configFor(testDb.url);
  const database = await open(config);
  return {
    repository: database.repository,
    db: database.db,
    async migrate() {
      const migrating = await openNodeDatabase(config);
      try {
        await migrating.migrate();
      } finally {
        await migrating.close();
      }
    },
    async openUnreachable() {
      return open({ ...config, url: await withDeadPort(testDb.url) });
    },
    async close() {
      await database.close();
      await extra?.close();
      await testDb.drop();
    },
  };
}

let httpStandin: NeonHttpStandin | undefined;

const subjects: Record<DatabaseDriver, () => Promise<Subject>> = {
  'neon-websocket': async () => {
    const proxy: NeonWsProxy = await startNeonWsProxy();
    return postgresSubject(
      (url) => databaseConfig({ driver: 'neon-websocket', url, neonWsProxy: proxy.wsProxy }),
      proxy,
      async (config) => openDatabase(config),
    );
  },
  'neon-http': async () => {
    const standin = await startNeonHttpStandin();
    httpStandin = standin;
    return postgresSubject(
      (url) => databaseConfig({ driver: 'neon-http', url, neonFetchEndpoint: standin.url }),
      standin,
      async (config) => openDatabase(config),
    );
  },
  postgres: () =>
    postgresSubject((url) => databaseConfig({ driver: 'postgres', url }), null, openNodeDatabase),
  pglite: async () => {
    const config = databaseConfig({ driver: 'pglite', pgliteDataDir: 'memory://' });
    const database = await openNodeDatabase(config);
    await database.migrate();
    await seedDatabase(database.db);
    return {
      ...database,
      async openUnreachable() {
        const closed = await openNodeDatabase(config);
        await closed.close();
        return { repository: closed.repository, close: async () => {} };
      },
    };
  },
};

const logEntry = (userId: string, overrides: Partial<LogEntry> = {}): LogEntry => ({
  log_id: randomUUID(),
  user_id: userId,
  exercise: 'Back squat',
  reps: 5,
  weight_kg: 102.5,
  logged_at: '2025-03-10T09:15:00.000Z',
  ...overrides,
});

describe.each(Object.keys(subjects) as DatabaseDriver[])('repository on %s', (driver) => {
  let subject: Subject;

  beforeAll(async () => {
    subject = await subjects[driver]();
  });

  afterAll(async () => {
    await subject?.close();
  });

  /** A user with a profile but no plans, owned by this test alone. */
  async function createUser(): Promise<string> {
    const id = randomUUID();
    await subject.db.insert(users).values({ id, email: `${id}@example.test` });
    await subject.db.insert(userProfiles).values({
      userId: id,
      name: 'Test User',
      fitnessLevel: 'beginner',
      timeZone: 'Pacific/Auckland',
    });
    return id;
  }

  describe('findCoachingData', () => {
    it('returns the seeded demo athlete with profile, preferences and both plans', async () => {
      const seed = SEED_USERS.find((candidate) => candidate.user.id === DEMO_USER_ID);
      if (!seed) throw new Error('the seed has no demo athlete');
      const data = await subject.repository.findCoachingData(DEMO_USER_ID);

      expect(data?.profile).toEqual({
        user_id: DEMO_USER_ID,
        name: 'Demo Athlete',
        fitness_level: seed.profile.fitnessLevel,
        goals: seed.profile.goals,
        injuries: seed.profile.injuries,
        equipment: seed.profile.equipment,
        time_zone: 'Europe/Berlin',
      });
      expect(data?.preferences).toEqual({
        units: 'metric',
        dietary_preferences: seed.profile.dietaryPreferences,
        allergies: seed.profile.allergies,
      });
      expect(data?.workoutPlan).toEqual({
        id: seed.workoutPlan.id,
        name: seed.workoutPlan.name,
        goal: seed.workoutPlan.goal,
        days: seed.workoutPlan.days,
      });
      expect(data?.mealPlan).toEqual({
        id: seed.mealPlan.id,
        name: seed.mealPlan.name,
        daily_calorie_target: seed.mealPlan.dailyCalorieTarget,
        days: seed.mealPlan.days,
      });
      expect(workoutPlanSchema.parse(data?.workoutPlan).days).toHaveLength(7);
      expect(mealPlanSchema.parse(data?.mealPlan).days).toHaveLength(7);
    });

    it('returns every seeded user with plans that satisfy the shared schemas', async () => {
      for (const seed of SEED_USERS) {
        const data = await subject.repository.findCoachingData(seed.user.id);
        expect(data?.profile.time_zone).toBe(seed.profile.timeZone);
        expect(data?.preferences.units).toBe(seed.profile.units);
        for (const day of data?.workoutPlan?.days ?? []) workoutDaySchema.parse(day);
        for (const day of data?.mealPlan?.days ?? []) mealDaySchema.parse(day);
        expect(data?.workoutPlan?.days).toHaveLength(7);
        expect(data?.mealPlan?.days).toHaveLength(7);
      }
    });

    it('returns null for a user that does not exist', async () => {
      expect(await subject.repository.findCoachingData(randomUUID())).toBeNull();
    });

    it('returns null plans for a user who has a profile but no plans', async () => {
      const userId = await createUser();
      const data = await subject.repository.findCoachingData(userId);
      expect(data).toEqual({
        profile: {
          user_id: userId,
          name: 'Test User',
          fitness_level: 'beginner',
          goals: [],
          injuries: [],
          equipment: [],
          time_zone: 'Pacific/Auckland',
        },
        preferences: { units: 'metric', dietary_preferences: [], allergies: [] },
        workoutPlan: null,
        mealPlan: null,
      });
    });

    it('picks the newest active plan and ignores inactive ones', async () => {
      const userId = await createUser();
      const plan = (id: string, name: string, createdAt: string, active: boolean) => ({
        id,
        userId,
        name,
        goal: 'test',
        days: [{ day: 'monday' as const, name: 'Rest', rest_day: true, exercises: [] }],
        active,
        createdAt: new Date(createdAt),
      });
      const newest = randomUUID();
      await subject.db
        .insert(workoutPlans)
        .values([
          plan(randomUUID(), 'old', '2025-01-01T00:00:00Z', true),
          plan(newest, 'current', '2025-02-01T00:00:00Z', true),
          plan(randomUUID(), 'draft', '2025-03-01T00:00:00Z', false),
        ]);
      await subject.db.insert(mealPlans).values({
        userId,
        name: 'retired',
        dailyCalorieTarget: 2000,
        days: [],
        active: false,
      });

      const data = await subject.repository.findCoachingData(userId);
      expect(data?.workoutPlan?.id).toBe(newest);
      expect(data?.workoutPlan?.name).toBe('current');
      expect(data?.mealPlan).toBeNull();
    });

    it('refuses a stored plan that breaks the contract instead of passing it on', async () => {
      const userId = await createUser();
      await subject.db.insert(mealPlans).values({
        userId,
        name: 'broken',
        dailyCalorieTarget: 2000,
        days: [{ day: 'someday' } as never],
      });
      await expect(subject.repository.findCoachingData(userId)).rejects.toThrow(
        /stored meal plan of user .* is invalid/,
      );
    });
  });

  describe('findExistingUserIds', () => {
    it('returns only the users that exist', async () => {
      const unknown = randomUUID();
      const found = await subject.repository.findExistingUserIds([
        DEMO_USER_ID,
        unknown,
        DEMO_USER_ID,
      ]);
      expect(found).toEqual(new Set([DEMO_USER_ID]));
      expect(await subject.repository.findExistingUserIds([])).toEqual(new Set());
    });
  });

  describe('insertWorkoutLogs', () => {
    it('stores a set once however often it is delivered', async () => {
      const userId = await createUser();
      const entry = logEntry(userId);
      expect(await subject.repository.insertWorkoutLogs([entry])).toBe(1);
      expect(await subject.repository.insertWorkoutLogs([entry])).toBe(0);
      expect(await subject.repository.listWorkoutLogs(userId, { limit: 10 })).toHaveLength(1);
    });

    it('stores duplicates inside one batch once', async () => {
      const userId = await createUser();
      const first = logEntry(userId);
      const second = logEntry(userId, { exercise: 'Bench press' });
      expect(await subject.repository.insertWorkoutLogs([first, second, first, second])).toBe(2);
      const ids = (await subject.repository.listWorkoutLogs(userId, { limit: 10 })).map(
        (log) => log.log_id,
      );
      expect(ids.sort()).toEqual([first.log_id, second.log_id].sort());
    });

    it('skips sets of users that do not exist and stores the rest', async () => {
      const userId = await createUser();
      const ghost = logEntry(randomUUID());
      const kept = logEntry(userId);
      expect(await subject.repository.insertWorkoutLogs([ghost, kept])).toBe(1);
      const stored = await subject.db
        .select({ id: workoutLogs.id })
        .from(workoutLogs)
        .where(inArray(workoutLogs.id, [ghost.log_id, kept.log_id]));
      expect(stored).toEqual([{ id: kept.log_id }]);
    });

    it('stores every field exactly and returns 0 for an empty batch', async () => {
      const userId = await createUser();
      const entry = logEntry(userId, {
        exercise: 'Überkopfdrücken 💪',
        reps: 1000,
        weight_kg: 62.125,
        logged_at: '2025-03-10T11:15:30.250+02:00',
      });
      await subject.repository.insertWorkoutLogs([entry]);
      const [log] = await subject.repository.listWorkoutLogs(userId, { limit: 1 });
      expect(log).toMatchObject({
        log_id: entry.log_id,
        user_id: userId,
        exercise: 'Überkopfdrücken 💪',
        reps: 1000,
        weight_kg: 62.125,
        logged_at: '2025-03-10T09:15:30.250Z',
      });
      expect(Number.isNaN(Date.parse(log?.created_at ?? ''))).toBe(false);
      expect(await subject.repository.insertWorkoutLogs([])).toBe(0);
    });
  });

  describe('listWorkoutLogs', () => {
    it('lists newest first, honours since (inclusive), until (exclusive) and limit', async () => {
      const userId = await createUser();
      const other = await createUser();
      const at = (day: number) => `2025-04-${String(day).padStart(2, '0')}T07:00:00.000Z`;
      const entries = [3, 1, 5, 2, 4].map((day) => logEntry(userId, { logged_at: at(day) }));
      await subject.repository.insertWorkoutLogs([...entries, logEntry(other)]);

      const days = async (query: Parameters<CoachingRepository['listWorkoutLogs']>[1]) =>
        (await subject.repository.listWorkoutLogs(userId, query)).map((log) => log.logged_at);

      expect(await days({ limit: 50 })).toEqual([at(5), at(4), at(3), at(2), at(1)]);
      expect(await days({ limit: 2 })).toEqual([at(5), at(4)]);
      expect(await days({ limit: 50, since: new Date(at(3)) })).toEqual([at(5), at(4), at(3)]);
      expect(await days({ limit: 50, until: new Date(at(3)) })).toEqual([at(2), at(1)]);
      expect(await days({ limit: 50, since: new Date(at(2)), until: new Date(at(4)) })).toEqual([
        at(3),
        at(2),
      ]);
      expect(await subject.repository.listWorkoutLogs(randomUUID(), { limit: 5 })).toEqual([]);
    });
  });

  describe('recordVoiceSession', () => {
    const sessionOf = (userId: string) => ({
      roomName: `room-${randomUUID()}`,
      userId,
      agentType: 'workout',
      startedAt: new Date('2025-05-01T18:30:00.000Z'),
    });
    const roomsOf = (userId: string) =>
      subject.db.select().from(voiceSessions).where(eq(voiceSessions.userId, userId));

    it('records the session of a user with a profile once, even when recorded again', async () => {
      const userId = await createUser();
      const session = sessionOf(userId);
      expect(await subject.repository.recordVoiceSession(session)).toBe(true);
      expect(await subject.repository.recordVoiceSession(session)).toBe(false);
      expect(await roomsOf(userId)).toEqual([
        {
          roomName: session.roomName,
          userId,
          agentType: 'workout',
          startedAt: session.startedAt,
          endedAt: null,
          summary: null,
        },
      ]);
    });

    it('records nothing for a user without a profile', async () => {
      const userId = randomUUID();
      await subject.db.insert(users).values({ id: userId, email: `${userId}@example.test` });
      expect(await subject.repository.recordVoiceSession(sessionOf(userId))).toBe(false);
      expect(await roomsOf(userId)).toEqual([]);
    });

    it('records nothing for an unknown user', async () => {
      const userId = randomUUID();
      expect(await subject.repository.recordVoiceSession(sessionOf(userId))).toBe(false);
      expect(await roomsOf(userId)).toEqual([]);
    });
  });

  describe('endVoiceSession', () => {
    const startedAt = new Date('2025-05-01T18:30:00.000Z');
    async function startedSession(): Promise<string> {
      const roomName = `room-${randomUUID()}`;
      const recorded = await subject.repository.recordVoiceSession({
        roomName,
        userId: await createUser(),
        agentType: 'diet',
        startedAt,
      });
      expect(recorded).toBe(true);
      return roomName;
    }
    const endOf = async (roomName: string) =>
      (
        await subject.db
          .select({ endedAt: voiceSessions.endedAt })
          .from(voiceSessions)
          .where(eq(voiceSessions.roomName, roomName))
      )[0]?.endedAt;

    it('sets ended_at once and never moves it', async () => {
      const roomName = await startedSession();
      const other = await startedSession();
      const endedAt = new Date('2025-05-01T18:52:10.500Z');
      expect(await subject.repository.endVoiceSession({ roomName, endedAt })).toBe(true);
      expect(
        await subject.repository.endVoiceSession({
          roomName,
          endedAt: new Date('2025-05-01T19:00:00.000Z'),
        }),
      ).toBe(false);
      expect(await endOf(roomName)).toEqual(endedAt);
      expect(await endOf(other)).toBeNull();
    });

    it('clamps an end stamped before the start to the start', async () => {
      const roomName = await startedSession();
      const endedAt = new Date(startedAt.getTime() - 5_000);
      expect(await subject.repository.endVoiceSession({ roomName, endedAt })).toBe(true);
      expect(await endOf(roomName)).toEqual(startedAt);
    });

    it('changes nothing for a room that was never recorded', async () => {
      const roomName = `room-${randomUUID()}`;
      expect(await subject.repository.endVoiceSession({ roomName, endedAt: startedAt })).toBe(
        false,
      );
      expect(await endOf(roomName)).toBeUndefined();
    });
  });

  describe('ping', () => {
    it('succeeds on a reachable database', async () => {
      await expect(subject.repository.ping()).resolves.toBeUndefined();
    });

    it('fails when the database cannot be reached', async () => {
      const unreachable = await subject.openUnreachable();
      try {
        await expect(unreachable.repository.ping()).rejects.toThrow();
      } finally {
        await unreachable.close();
      }
    });
  });

  describe('migrations and seed', () => {
    it('migrates again without changing anything', async () => {
      await subject.migrate();
      await subject.migrate();
      const [applied] = await subject.db.select({ n: count() }).from(appliedMigrations);
      expect(applied).toEqual({ n: journal.entries.length });
      expect(await subject.repository.findCoachingData(DEMO_USER_ID)).not.toBeNull();
    });

    it('seeds again without duplicating and resets edited demo rows', async () => {
      await subject.db
        .update(userProfiles)
        .set({ name: 'Renamed' })
        .where(eq(userProfiles.userId, DEMO_USER_ID));
      await seedDatabase(subject.db);
      await seedDatabase(subject.db);

      const seedIds = SEED_USERS.map((seed) => seed.user.id);
      const countFor = async (
        table: typeof users | typeof workoutPlans | typeof mealPlans,
        column: typeof users.id | typeof workoutPlans.userId | typeof mealPlans.userId,
      ) => (await subject.db.select({ n: count() }).from(table).where(inArray(column, seedIds)))[0];
      expect(await countFor(users, users.id)).toEqual({ n: 3 });
      expect(await countFor(workoutPlans, workoutPlans.userId)).toEqual({ n: 3 });
      expect(await countFor(mealPlans, mealPlans.userId)).toEqual({ n: 3 });
      const data = await subject.repository.findCoachingData(DEMO_USER_ID);
      expect(data?.profile.name).toBe('Demo Athlete');
    });
  });

  if (driver === 'neon-http') {
    it('sent its queries over HTTP to the Neon stand-in', () => {
      expect(httpStandin?.statements).toBeGreaterThan(0);
    });
  }
});

describe('openDatabase (the Worker entry)', () => {
  it.each(['postgres', 'pglite'] as const)('refuses %s, which cannot run in Workers', (driver) => {
    expect(() => openDatabase(databaseConfig({ driver, url: 'postgres://x/y' }))).toThrow(
      /does not run in Workers/,
    );
  });

  it('names the missing DATABASE_URL', () => {
    expect(() => openDatabase(databaseConfig({ driver: 'neon-http' }))).toThrow(
      /DATABASE_URL is required for driver neon-http/,
    );
  });
});
