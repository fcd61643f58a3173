/**
 * The ports through which the edge API reaches the outside world. Each has one small adapter per
 * backend (see workers/adapters); routes and the orchestrator only ever see these interfaces, so
 * tests hand in real local services and production hands in the hosted ones.
 */
import type {
  LastSession,
  LogEntry,
  MealPlan,
  Preferences,
  Profile,
  SessionSummary,
  Specialist,
  SpecialistQueryResponse,
  WorkoutLog,
  WorkoutPlan,
} from '../shared/schemas.ts';

export { type Clock, type Logger, systemClock } from '../shared/runtime.ts';

/** A user's stored coaching data, before it is turned into the day-specific context. */
export interface CoachingData {
  profile: Profile;
  preferences: Preferences;
  workoutPlan: WorkoutPlan | null;
  mealPlan: MealPlan | null;
}

export interface WorkoutLogQuery {
  since?: Date;
  until?: Date;
  limit: number;
}

export interface VoiceSessionRecord {
  roomName: string;
  userId: string;
  agentType: string;
  startedAt: Date;
}

export interface VoiceSessionSummary {
  roomName: string;
  userId: string;
  summary: SessionSummary;
}

export interface VoiceSessionEnd {
  roomName: string;
  endedAt: Date;
}

/** The database, as the API needs it. One query module implements it on every driver. */
export interface CoachingRepository {
  /** Profile, preferences and the active plans; null when the user has no profile. */
  findCoachingData(userId: string): Promise<CoachingData | null>;
  /** Which of these users exist, so a batch naming an unknown user is refused before it is queued. */
  findExistingUserIds(userIds: readonly string[]): Promise<Set<string>>;
  /**
   * Inserts the sets, ignoring any whose log_id is already stored and any whose user no longer
   * exists (so a queue retry can never be stuck on them). Returns how many rows were new.
   */
  insertWorkoutLogs(entries: readonly LogEntry[]): Promise<number>;
  /** Newest first. */
  listWorkoutLogs(userId: string, query: WorkoutLogQuery): Promise<WorkoutLog[]>;
  /**
   * Records a session of a user who has a profile, in one statement. False when nothing was
   * written: the user has no profile, or this room was already recorded.
   */
  recordVoiceSession(session: VoiceSessionRecord): Promise<boolean>;
  /**
   * Marks a recorded session as ended, once: true when this call set `ended_at`, false when the
   * room is unknown or its end was already recorded (so a redelivered event changes nothing).
   */
  endVoiceSession(end: VoiceSessionEnd): Promise<boolean>;
  /**
   * Stores (or replaces) the summary of a recorded session of this user: the same call twice
   * leaves the same row. False when no session of this user has this room name.
   */
  storeSessionSummary(record: VoiceSessionSummary): Promise<boolean>;
  /** The user's most recent session that has a summary, or null. */
  findLastSession(userId: string): Promise<LastSession | null>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
}

export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * The value and the key's generation, read together: a token that changes on every
   * `invalidate`, so a value computed after this read can be written only if none came between.
   */
  getVersioned(key: string): Promise<{ value: string | null; generation: string }>;
  /** Writes only while the key's generation is still `generation`; false when it has moved on. */
  setIfGeneration(
    key: string,
    value: string,
    ttlSeconds: number,
    generation: string,
  ): Promise<boolean>;
  /** Deletes the value and moves the generation on, so a write prepared before it is refused. */
  invalidate(key: string): Promise<void>;
  ping(): Promise<void>;
}

/** Hands logged sets to durable delivery; resolves once every entry is accepted by the queue. */
export interface LogQueue {
  publish(entries: readonly LogEntry[]): Promise<void>;
  ping(): Promise<void>;
  /**
   * Resolves once every set handed over has been delivered or given up, for shutdown and tests.
   * Immediate where publish itself is durable (QStash holds the sets once it accepted them).
   */
  drain(): Promise<void>;
}

/**
 * Where the embedded queue keeps accepted sets until they are stored: a table in the same
 * database, so what was answered 202 survives a crash of the process.
 */
export interface LogOutbox {
  /** Keeps the sets (a log_id already waiting is kept once); resolves once they are durable. */
  add(entries: readonly LogEntry[]): Promise<void>;
  /** Up to `limit` waiting sets, oldest first. */
  next(limit: number): Promise<LogEntry[]>;
  /** Forgets sets that were delivered. */
  remove(logIds: readonly string[]): Promise<void>;
}

/**
 * Runs the "did a coach join?" check of a room some seconds after its user joined. With QStash
 * the check is a delayed message to `POST /v1/livekit/agent-check`, which calls `run` there; the
 * in-process scheduler (local runs, no QStash) calls `run` itself after the delay.
 */
export interface AgentCheckScheduler {
  schedule(
    check: { roomName: string; delaySeconds: number },
    run: () => Promise<void>,
  ): Promise<void>;
}

/** A LiveKit room as the server sees it now (RoomService), and a word sent to everyone in it. */
export interface RoomPresence {
  /** Who is in the room; null when the room does not exist (it closed). */
  participants(roomName: string): Promise<{ isAgent: boolean }[] | null>;
  /** A reliable data message on `topic` to every participant. */
  notify(roomName: string, topic: string, payload: Uint8Array): Promise<void>;
}

/** Verifies that a delivery callback really comes from the queue (QStash's Upstash-Signature). */
export interface CallbackVerifier {
  verify(input: { signature: string; body: string; url: string }): Promise<boolean>;
}

/** Mirrors the Workers Rate Limiting binding's shape so the binding itself can be passed in. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface SpecialistQuery {
  userId: string;
  query: string;
  specialist?: Specialist;
}

export interface Orchestrator {
  answer(query: SpecialistQuery, signal?: AbortSignal): Promise<SpecialistQueryResponse>;
}
