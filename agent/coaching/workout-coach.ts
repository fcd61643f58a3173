/**
 * The coach's side of today's workout for one session: where the user is, the rest between
 * sets, the unprompted call when a rest ends, the voice commands, and the end-of-session summary.
 *
 * Every answer is built from the pre-loaded context and this session's state in memory; the only
 * network call is storing the summary, which no answer waits for.
 */
import { normalizeExerciseName } from '../../shared/exercise-name.ts';
import { type Clock, errorName, type Logger } from '../../shared/runtime.ts';
import type { CoachingContext, Exercise, LogEntry, SessionSummary } from '../../shared/schemas.ts';
import { Announcer, type SpeakingSession } from './announcer.ts';
import { adviseOverload } from './overload.ts';
import {
  countOf,
  describeSet,
  lastTimeAdvice,
  overloadRemark,
  restWords,
  setsLeftWords,
  spokenList,
} from './phrases.ts';
import {
  type DoneSet,
  plannedIndexFor,
  progressFromCounts,
  type WorkoutProgress,
} from './progress.ts';
import { RestTimer } from './rest-timer.ts';
import { describeSummary, summarizeSession } from './summary.ts';
import { systemTimers, type Timers } from './timers.ts';
import { formatWeight } from './units.ts';

export interface SummarySink {
  store(summary: SessionSummary): Promise<void>;
}

export interface WorkoutCoachOptions {
  context: CoachingContext;
  clock: Clock;
  logger: Logger;
  timers?: Timers;
  /**
   * Seconds before a rest ends at which the coach says so; null for no warning.
   * @defaultValue null
   */
  restWarningSeconds?: number | null;
  /**
   * The same set (exercise, reps, weight) logged again within this window is one set: the model
   * re-calls log_workout_set when a barge-in lost the first call's output.
   * @defaultValue 20000
   */
  repeatWindowMs?: number;
  /** See AnnouncerOptions.turnGraceMs. */
  turnGraceMs?: number;
  /** Where the summary goes (the API); null in contexts with no session row, such as a console. */
  summarySink?: SummarySink | null;
}

export const defaultWorkoutCoachOptions = {
  timers: systemTimers,
  restWarningSeconds: null,
  repeatWindowMs: 20_000,
  turnGraceMs: 1500,
  summarySink: null,
} as const satisfies Partial<WorkoutCoachOptions>;

/** Limits on what the model may ask of the rest timer. */
export const REST_LIMITS = { minSeconds: 1, maxSeconds: 900 } as const;

export type LoggedSetResult = { ok: true; text: string } | { ok: false };

interface RecentSet {
  at: number;
  result: Promise<LoggedSetResult>;
}

const setKey = (entry: Pick<LogEntry, 'exercise' | 'reps' | 'weight_kg'>) =>
  `${normalizeExerciseName(entry.exercise)}|${entry.reps}|${entry.weight_kg}`;

export class WorkoutCoach {
  readonly #context: CoachingContext;
  readonly #plan: readonly Exercise[];
  readonly #units: CoachingContext['preferences']['units'];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #repeatWindowMs: number;
  readonly #summarySink: SummarySink | null;
  readonly #announcer: Announcer;
  readonly #rest: RestTimer;
  readonly #sessionSets: DoneSet[] = [];
  /** Today's sets (the context's and this session's) by normalized exercise name, once each. */
  readonly #todayByExercise = new Map<string, DoneSet[]>();
  readonly #seenLogIds = new Set<string>();
  readonly #skipped = new Set<number>();
  /** Sets of the repeat window by key, oldest first (a Map keeps insertion order). */
  readonly #recentSets = new Map<string, RecentSet>();
  #paused = false;
  /** The exercise whose rest is running, so its end call and "start my rest" know it. */
  #lastPlannedIndex: number | null = null;
  #lastSaid: string | null = null;
  #note: string | undefined;
  #storedSetCount: number | null = null;
  #storing: Promise<void> = Promise.resolve();

  constructor(options: WorkoutCoachOptions) {
    const settings = { ...defaultWorkoutCoachOptions, ...options };
    this.#context = options.context;
    const day = options.context.todays_workout;
    this.#plan = day && !day.rest_day ? day.exercises : [];
    this.#units = options.context.preferences.units;
    for (const set of options.context.todays_sets) this.#remember(set);
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#repeatWindowMs = settings.repeatWindowMs;
    this.#summarySink = settings.summarySink;
    this.#announcer = new Announcer({
      clock: options.clock,
      timers: settings.timers,
      turnGraceMs: settings.turnGraceMs,
    });
    this.#rest = new RestTimer({
      clock: options.clock,
      timers: settings.timers,
      warningSeconds: settings.restWarningSeconds,
      onWarning: () => this.#say(`${settings.restWarningSeconds} seconds left. ${this.#upNext()}`),
      onEnd: () => this.#say(`Rest is over. ${this.#upNext()} Go when you're ready.`),
    });
  }

  /** Lets the coach speak unprompted in this session (the end of a rest). */
  attach(session: SpeakingSession): void {
    this.#announcer.attach(session);
  }

  progress(): WorkoutProgress {
    const counts = new Map<string, number>();
    for (const [key, sets] of this.#todayByExercise) counts.set(key, sets.length);
    return progressFromCounts(this.#plan, counts, this.#skipped);
  }

  #remember(set: DoneSet): void {
    if (this.#seenLogIds.has(set.log_id)) return;
    this.#seenLogIds.add(set.log_id);
    const key = normalizeExerciseName(set.exercise);
    const sets = this.#todayByExercise.get(key);
    if (sets) sets.push(set);
    else this.#todayByExercise.set(key, [set]);
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Seconds of rest left, or null when no rest is running or paused. */
  restSecondsLeft(): number | null {
    return this.#rest.secondsLeft();
  }

  /**
   * "What's my workout today?": the day's exercises by name, then where the user is in them (the
   * first set with last time's advice, or the next one). The plan's details are in the model's
   * instructions for narrower questions; this is the answer to the whole day, said as it is.
   */
  overview(): string {
    const day = this.#context.todays_workout;
    if (!this.#context.workout_plan) return this.#reply("You don't have a workout plan yet.");
    if (!day) return this.#reply('There is no workout scheduled for today.');
    if (this.#plan.length === 0) return this.#reply(`Today is a rest day: ${day.name}.`);
    const names = spokenList(this.#plan.map((exercise) => exercise.name));
    return this.#reply(`Today is ${day.name}: ${names}. ${this.#whereInDay()}`);
  }

  /** The first set with last time's advice, the next set after those done, or the end. */
  #whereInDay(): string {
    const progress = this.progress();
    if (progress.current === null) return this.#allDoneLine();
    const next = describeSet(progress, progress.current, this.#units);
    const done = this.#setsDone(progress);
    if (done > 0) return `${countOf(done, 'set')} done; next is ${next}.`;
    const history = this.#context.recent_training;
    return `First up: ${next}.${lastTimeAdvice(progress, progress.current, history, this.#units)}`;
  }

  /** "What's next", "how many sets are left", "where am I". */
  whatsNext(): string {
    if (this.#plan.length === 0) return this.#reply(this.#noPlanLine());
    const progress = this.progress();
    const state: string[] = [];
    if (this.#paused) state.push('The workout is paused; say resume to carry on.');
    const left = this.#rest.secondsLeft();
    if (left !== null) state.push(`Resting: ${restWords(left)} left.`);
    if (progress.current === null) {
      state.push(this.#allDoneLine());
      return this.#reply(state.join(' '));
    }
    state.push(
      `Next: ${describeSet(progress, progress.current, this.#units)}.` +
        lastTimeAdvice(progress, progress.current, this.#context.recent_training, this.#units),
      `${this.#setsDone(progress)} sets done, ${setsLeftWords(progress)}.`,
    );
    return this.#reply(state.join(' '));
  }

  /**
   * Logs a set through `append` (durable before it resolves) and answers with the confirmation,
   * the rest and what comes next. The same set again within the repeat window is answered with
   * the first call's confirmation and appended only once.
   */
  logSet(entry: LogEntry, append: (entry: LogEntry) => Promise<void>): Promise<LoggedSetResult> {
    const now = this.#clock.now().getTime();
    const key = setKey(entry);
    for (const [oldKey, recent] of this.#recentSets) {
      if (now - recent.at <= this.#repeatWindowMs) break;
      this.#recentSets.delete(oldKey);
    }
    const repeat = this.#recentSets.get(key);
    if (repeat) return repeat.result;
    // Registered before the write starts, so a re-call during the write waits for this one.
    const record: RecentSet = { at: now, result: Promise.resolve({ ok: false }) };
    this.#recentSets.set(key, record);
    record.result = this.#appendAndRecord(entry, append, () => {
      if (this.#recentSets.get(key) === record) this.#recentSets.delete(key);
    });
    return record.result;
  }

  async #appendAndRecord(
    entry: LogEntry,
    append: (entry: LogEntry) => Promise<void>,
    forget: () => void,
  ): Promise<LoggedSetResult> {
    try {
      await append(entry);
    } catch {
      // Not stored, so not remembered: the user's retry must write it.
      forget();
      return { ok: false };
    }
    return { ok: true, text: this.#recordSet(entry) };
  }

  startRest(seconds?: number): string {
    const planned = this.#restIndex();
    const length = seconds ?? (planned === null ? 60 : (this.#plan[planned]?.rest_seconds ?? 60));
    this.#paused = false;
    this.#rest.start(length);
    return this.#reply(`Rest ${restWords(length)}. ${this.#upNext()}`);
  }

  addRestTime(seconds: number): string {
    this.#rest.addTime(seconds);
    const left = this.#rest.secondsLeft() ?? seconds;
    return this.#reply(`Okay, ${restWords(seconds)} more: ${restWords(left)} of rest left.`);
  }

  skipRest(): string {
    const had = this.#rest.stop();
    this.#announcer.cancel();
    return this.#reply(`${had ? 'Rest skipped.' : 'No rest is running.'} ${this.#upNext()}`);
  }

  pause(): string {
    if (this.#paused) return this.#reply('The workout is already paused; say resume to carry on.');
    this.#paused = true;
    this.#rest.pause();
    this.#announcer.cancel();
    const left = this.#rest.secondsLeft();
    const rest = left === null ? '' : `, with ${restWords(left)} of rest left`;
    return this.#reply(`Workout paused${rest}. Say resume when you're ready.`);
  }

  resume(): string {
    if (!this.#paused) return this.#reply(`The workout is not paused. ${this.#upNext()}`);
    this.#paused = false;
    this.#rest.resume();
    const left = this.#rest.secondsLeft();
    const rest = left === null ? '' : ` ${restWords(left)} of rest left.`;
    return this.#reply(`Back to it.${rest} ${this.#upNext()}`);
  }

  skipExercise(): string {
    const { current } = this.progress();
    if (current === null)
      return this.#reply(this.#plan.length ? this.#allDoneLine() : this.#noPlanLine());
    this.#skipped.add(current);
    this.#rest.stop();
    this.#announcer.cancel();
    const name = this.#plan[current]?.name ?? 'that exercise';
    return this.#reply(`Skipped ${name}. ${this.#upNext()}`);
  }

  /** The last thing the coach said about the workout. */
  repeat(): string {
    return this.#lastSaid ?? this.whatsNext();
  }

  /** "I'm done": the summary, spoken, and stored with the session. */
  finish(note?: string): string {
    this.#rest.stop();
    this.#announcer.cancel();
    if (note?.trim()) this.#note = note;
    const summary = this.#summary();
    this.#store(summary);
    return this.#reply(describeSummary(summary, this.#units));
  }

  /**
   * The session is over: stops the timers and stores the summary when it has something the
   * stored one lacks. Resolves once every store has been tried.
   */
  async close(): Promise<void> {
    this.#rest.stop();
    this.#announcer.detach();
    if (this.#sessionSets.length > 0 && this.#storedSetCount !== this.#sessionSets.length) {
      this.#store(this.#summary());
    }
    await this.#storing;
  }

  #summary(): SessionSummary {
    return summarizeSession(this.#sessionSets, this.#context.recent_training, this.#note);
  }

  #store(summary: SessionSummary): void {
    const sink = this.#summarySink;
    if (!sink) return;
    this.#storedSetCount = summary.sets;
    this.#storing = this.#storing.then(async () => {
      try {
        await sink.store(summary);
        this.#logger.info('session_summary_stored', { sets: summary.sets });
      } catch (error) {
        this.#storedSetCount = null;
        this.#logger.warn('session_summary_not_stored', { error: errorName(error) });
      }
    });
  }

  #recordSet(entry: LogEntry): string {
    const index = plannedIndexFor(this.progress(), entry.exercise);
    this.#sessionSets.push(entry);
    this.#remember(entry);
    this.#paused = false;
    const load = formatWeight(entry.weight_kg, this.#units);
    const confirmation = `Logged ${countOf(entry.reps, 'rep')} of ${entry.exercise} ${load === 'bodyweight' ? 'with bodyweight' : `at ${load}`}.`;
    // A set outside today's plan changes nothing about the plan's rest or order.
    if (index === null) return this.#reply(confirmation);
    this.#lastPlannedIndex = index;
    const progress = this.progress();
    const parts = [confirmation];
    const done = progress.exercises[index];
    if (done && done.done === done.exercise.sets) {
      const setsToday = this.#todayByExercise.get(normalizeExerciseName(entry.exercise)) ?? [];
      parts.push(
        overloadRemark(
          adviseOverload(done.exercise, setsToday),
          done.exercise.reps,
          this.#units,
        ).trim(),
      );
    }
    if (progress.current === null) {
      this.#rest.stop();
      parts.push(this.#allDoneLine());
    } else {
      const restSeconds = this.#plan[index]?.rest_seconds ?? 0;
      if (restSeconds > 0) {
        this.#rest.start(restSeconds);
        parts.push(
          `Rest ${restWords(restSeconds)}; next is ${describeSet(progress, progress.current, this.#units)}.`,
        );
      } else {
        parts.push(`Next is ${describeSet(progress, progress.current, this.#units)}.`);
      }
    }
    return this.#reply(parts.filter(Boolean).join(' '));
  }

  /** Planned sets done today, extra sets of an exercise not counted. */
  #setsDone(progress: WorkoutProgress): number {
    return progress.exercises.reduce((sum, e) => sum + Math.min(e.done, e.exercise.sets), 0);
  }

  /** The exercise whose rest "start my rest" means: the one last done, else the current one. */
  #restIndex(): number | null {
    return this.#lastPlannedIndex ?? this.progress().current;
  }

  #upNext(): string {
    if (this.#plan.length === 0) return this.#noPlanLine();
    const progress = this.progress();
    if (progress.current === null) return this.#allDoneLine();
    return `Next is ${describeSet(progress, progress.current, this.#units)}.`;
  }

  #allDoneLine(): string {
    return "That's every planned set for today. Say you're done for a summary.";
  }

  #noPlanLine(): string {
    return 'No workout is planned for today, so there is nothing to track.';
  }

  #say(text: string): void {
    this.#lastSaid = text;
    this.#announcer.announce(text);
  }

  #reply(text: string): string {
    this.#lastSaid = text;
    return text;
  }
}
