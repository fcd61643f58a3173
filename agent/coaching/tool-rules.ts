/** What the coach is told about the workout-coaching tools (agent/coaching/tools.ts). */
export const COACHING_TOOL_RULES = [
  'Use get_workout_progress for "what\'s next", "how many sets are left" and "where am I".',
  'log_workout_set and the workout tools other than finish_workout say their answer to the user themselves (the set, the rest and what is next); do not repeat it.',
  'The coach calls the end of each rest by itself; use start_rest, add_rest_time and skip_rest when the user asks about their rest.',
  'Use pause_workout, resume_workout, skip_exercise and repeat_last when the user asks for them.',
  'When the user says they are done for today, use finish_workout and tell them the summary in one or two sentences.',
] as const;
