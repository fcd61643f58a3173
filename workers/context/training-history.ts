/**
 * The user's recent training as the coaching context carries it: for each exercise of today's
 * plan, the last earlier day's sets and the best recent set, plus the sets already logged today.
 * A pure function of the logged sets, so it runs once per cache miss and is cached with the rest.
 *
 * Exercises are matched by name, ignoring case and spacing ("Back Squat" = "back  squat"), the
 * same rule the agent uses to follow today's plan (agent/coaching/exercise-name.ts).
 */
import { isBetterSet } from '../../shared/best-set.ts';
import { normalizeExerciseName } from '../../shared/exercise-name.ts';
import {
  type ExerciseHistory,
  HISTORY_LIMITS,
  type LoggedSet,
  type WorkoutDay,
  type WorkoutLog,
} from '../../shared/schemas.ts';
import { localDay } from './build-context.ts';

export interface TrainingHistory {
  recent_training: ExerciseHistory[];
  todays_sets: LoggedSet[];
}

/**
 * @param logs the user's sets of the lookback window, in any order
 * @param today the user's local date; sets of today are "today's sets", never history
 */
export function buildTrainingHistory(
  logs: readonly WorkoutLog[],
  plannedDay: WorkoutDay | null,
  timeZone: string,
  today: string,
): TrainingHistory {
  const dated = logs
    .map((log) => ({ log, date: localDay(new Date(log.logged_at), timeZone).date }))
    .sort((a, b) => Date.parse(a.log.logged_at) - Date.parse(b.log.logged_at));

  const todays_sets = dated
    .filter((d) => d.date === today)
    .slice(-HISTORY_LIMITS.todaysSets)
    .map(({ log }) => ({
      log_id: log.log_id,
      exercise: log.exercise,
      reps: log.reps,
      weight_kg: log.weight_kg,
      logged_at: log.logged_at,
    }));

  const exercises = plannedDay && !plannedDay.rest_day ? plannedDay.exercises : [];
  const recent_training = exercises.map((exercise): ExerciseHistory => {
    const key = normalizeExerciseName(exercise.name);
    const earlier = dated.filter(
      (d) => d.date < today && normalizeExerciseName(d.log.exercise) === key,
    );
    const lastDate = earlier.at(-1)?.date;
    let best: (typeof earlier)[number] | undefined;
    for (const d of earlier) if (!best || isBetterSet(d.log, best.log)) best = d;
    return {
      exercise: exercise.name,
      last_session:
        lastDate === undefined
          ? null
          : {
              date: lastDate,
              sets: earlier
                .filter((d) => d.date === lastDate)
                .slice(0, HISTORY_LIMITS.lastSessionSets)
                .map(({ log }) => ({ reps: log.reps, weight_kg: log.weight_kg })),
            },
      best_recent_set: best
        ? { date: best.date, reps: best.log.reps, weight_kg: best.log.weight_kg }
        : null,
    };
  });
  return { recent_training, todays_sets };
}
