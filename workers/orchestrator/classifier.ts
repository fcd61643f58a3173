/**
 * Picks the specialist for a question the caller did not route. The model is asked for one
 * word; anything else it says is read leniently, and a reply naming no specialist goes to the
 * generalist rather than failing the question.
 */
import { SPECIALISTS, type Specialist, specialistSchema } from '../../shared/schemas.ts';

export const CLASSIFIER_PROMPT = `You route questions a user asks their fitness voice coach.
Reply with exactly one word, the specialist who should answer: ${SPECIALISTS.join(', ')}.
- workout: exercises, technique, the training plan, sets, reps, weights, warm-ups.
- diet: food, meals, calories, macros, hydration, the meal plan.
- supplement: supplements such as protein powder, creatine, vitamins, caffeine.
- tracker: the user's logged training history: progress, volume, personal bests, consistency.
- scheduler: when to train or eat, this week's schedule, moving or skipping a day.
- general: anything else, such as motivation, sleep, stress or recovery.`;

export function parseSpecialist(reply: string): Specialist {
  for (const word of reply.toLowerCase().match(/[a-z]+/g) ?? []) {
    const parsed = specialistSchema.safeParse(word);
    if (parsed.success) return parsed.data;
  }
  return 'general';
}
