/**
 * Demo users for local development and tests: each has a full profile, a week-long workout plan
 * and a week-long meal plan. Ids are fixed so the seed can be re-run and clients can rely on them.
 */
import type { Exercise, Meal, MealDay, Weekday, WorkoutDay } from '../shared/schemas.ts';
import type { mealPlans, userProfiles, users, workoutPlans } from './schema.ts';

/** The user every example, token script and demo session uses. */
export const DEMO_USER_ID = '00000000-0000-4000-8000-000000000001';

export interface SeedUser {
  user: typeof users.$inferInsert & { id: string };
  profile: typeof userProfiles.$inferInsert;
  workoutPlan: typeof workoutPlans.$inferInsert & { id: string };
  mealPlan: typeof mealPlans.$inferInsert & { id: string };
}

const exercise = (
  name: string,
  sets: number,
  reps: number,
  loadKg: number | null,
  restSeconds: number,
  notes?: string,
): Exercise => ({
  name,
  sets,
  reps,
  load_kg: loadKg,
  rest_seconds: restSeconds,
  ...(notes ? { notes } : {}),
});

const workout = (day: Weekday, name: string, exercises: Exercise[]): WorkoutDay => ({
  day,
  name,
  rest_day: false,
  exercises,
});

const restDay = (day: Weekday, name = 'Rest and recovery'): WorkoutDay => ({
  day,
  name,
  rest_day: true,
  exercises: [],
});

const meal = (
  name: string,
  description: string,
  calories: number,
  proteinG: number,
  carbsG: number,
  fatG: number,
): Meal => ({ name, description, calories, protein_g: proteinG, carbs_g: carbsG, fat_g: fatG });

const mealDay = (day: Weekday, meals: Meal[]): MealDay => ({
  day,
  meals,
  total_calories: meals.reduce((sum, m) => sum + m.calories, 0),
});

// ---------------------------------------------------------------- Demo Athlete (Berlin, metric)

const athleteBreakfast = meal('Breakfast', 'Oats with whey, banana and walnuts', 620, 42, 78, 16);
const athleteEggs = meal(
  'Breakfast',
  'Three-egg omelette with spinach and rye toast',
  560,
  36,
  40,
  26,
);
const athleteSnack = meal('Snack', 'Greek yoghurt with berries and honey', 280, 24, 34, 5);
const athleteShake = meal('Post-workout', 'Whey shake with milk and a banana', 380, 36, 46, 6);

const demoAthlete: SeedUser = {
  user: { id: DEMO_USER_ID, email: 'demo.athlete@example.com' },
  profile: {
    userId: DEMO_USER_ID,
    name: 'Demo Athlete',
    fitnessLevel: 'intermediate',
    goals: ['build muscle', 'run a 5 km under 25 minutes'],
    injuries: [],
    equipment: ['barbell', 'dumbbells', 'bench', 'pull-up bar', 'treadmill'],
    dietaryPreferences: ['high protein'],
    allergies: [],
    units: 'metric',
    timeZone: 'Europe/Berlin',
  },
  workoutPlan: {
    id: '10000000-0000-4000-8000-000000000001',
    userId: DEMO_USER_ID,
    name: 'Upper/lower hypertrophy with conditioning',
    goal: 'Build muscle while keeping running fitness',
    days: [
      workout('monday', 'Upper body strength', [
        exercise('Barbell bench press', 4, 6, 80, 150),
        exercise('Barbell row', 4, 8, 70, 120),
        exercise('Overhead press', 3, 8, 45, 120),
        exercise('Pull-up', 3, 8, null, 90, 'Add weight once 3x10 is easy'),
      ]),
      workout('tuesday', 'Lower body strength', [
        exercise('Back squat', 4, 6, 100, 180),
        exercise('Romanian deadlift', 3, 8, 85, 150),
        exercise('Walking lunge', 3, 12, 20, 90),
        exercise('Standing calf raise', 3, 15, 40, 60),
      ]),
      workout('wednesday', 'Interval run', [
        exercise('Easy jog warm-up', 1, 1, null, 0, '10 minutes'),
        exercise('400 m repeats', 6, 1, null, 90, 'About 5 km race pace'),
        exercise('Cool-down jog', 1, 1, null, 0, '10 minutes'),
      ]),
      workout('thursday', 'Upper body hypertrophy', [
        exercise('Incline dumbbell press', 4, 10, 30, 90),
        exercise('Chest-supported dumbbell row', 4, 10, 28, 90),
        exercise('Lateral raise', 3, 15, 10, 60),
        exercise('Dumbbell curl', 3, 12, 14, 60),
        exercise('Triceps dip', 3, 12, null, 60),
      ]),
      workout('friday', 'Lower body hypertrophy', [
        exercise('Front squat', 4, 8, 75, 150),
        exercise('Hip thrust', 4, 10, 100, 120),
        exercise('Bulgarian split squat', 3, 10, 18, 90),
        exercise('Hanging leg raise', 3, 12, null, 60),
      ]),
      workout('saturday', 'Long easy run', [
        exercise('Easy run', 1, 1, null, 0, '40 minutes at conversational pace'),
      ]),
      restDay('sunday'),
    ],
    active: true,
  },
  mealPlan: {
    id: '20000000-0000-4000-8000-000000000001',
    userId: DEMO_USER_ID,
    name: 'Lean bulk, 2,800 kcal',
    dailyCalorieTarget: 2800,
    days: [
      mealDay('monday', [
        athleteBreakfast,
        meal('Lunch', 'Chicken breast, rice and broccoli', 720, 55, 85, 14),
        athleteShake,
        meal('Dinner', 'Salmon, potatoes and green beans', 780, 48, 62, 34),
        athleteSnack,
      ]),
      mealDay('tuesday', [
        athleteEggs,
        meal('Lunch', 'Beef chilli with beans and rice', 760, 50, 88, 20),
        athleteShake,
        meal('Dinner', 'Turkey meatballs with wholewheat pasta', 800, 56, 90, 22),
        athleteSnack,
      ]),
      mealDay('wednesday', [
        athleteBreakfast,
        meal('Lunch', 'Tuna wrap with salad and hummus', 650, 45, 60, 22),
        meal('Snack', 'Rice cakes with peanut butter', 330, 10, 36, 16),
        meal('Dinner', 'Chicken stir-fry with noodles', 820, 52, 96, 22),
        athleteSnack,
      ]),
      mealDay('thursday', [
        athleteEggs,
        meal('Lunch', 'Chicken breast, quinoa and roasted vegetables', 700, 54, 70, 18),
        athleteShake,
        meal('Dinner', 'Lean beef steak, sweet potato and salad', 820, 58, 70, 30),
        athleteSnack,
      ]),
      mealDay('friday', [
        athleteBreakfast,
        meal('Lunch', 'Burrito bowl with chicken, rice, beans and salsa', 780, 52, 92, 18),
        athleteShake,
        meal('Dinner', 'Cod, couscous and roasted peppers', 700, 48, 80, 14),
        athleteSnack,
      ]),
      mealDay('saturday', [
        meal('Breakfast', 'Protein pancakes with berries and maple syrup', 650, 40, 86, 14),
        meal('Lunch', 'Chicken Caesar salad with croutons', 620, 48, 30, 32),
        meal('Snack', 'Trail mix and an apple', 400, 10, 45, 20),
        meal('Dinner', 'Homemade pizza with chicken and vegetables', 880, 50, 96, 30),
        athleteSnack,
      ]),
      mealDay('sunday', [
        athleteEggs,
        meal('Lunch', 'Roast chicken, potatoes and carrots', 780, 58, 70, 26),
        meal('Snack', 'Cottage cheese with pineapple', 260, 26, 24, 5),
        meal('Dinner', 'Lentil and vegetable soup with bread', 620, 30, 90, 12),
        meal('Evening', 'Casein shake and a handful of almonds', 380, 32, 10, 22),
      ]),
    ],
    active: true,
  },
};

// ------------------------------- Maya (Los Angeles, imperial, knee injury, peanut allergy)

const MAYA_ID = '00000000-0000-4000-8000-000000000002';
const mayaBreakfast = meal('Breakfast', 'Tofu scramble with peppers and toast', 420, 24, 38, 18);
const mayaOats = meal(
  'Breakfast',
  'Overnight oats with chia, almond butter and berries',
  450,
  16,
  58,
  16,
);
const mayaSnack = meal('Snack', 'Apple with sunflower seed butter', 250, 6, 28, 14);

const maya: SeedUser = {
  user: { id: MAYA_ID, email: 'maya.beginner@example.com' },
  profile: {
    userId: MAYA_ID,
    name: 'Maya Ortiz',
    fitnessLevel: 'beginner',
    goals: ['lose 10 lb', 'build a consistent training habit'],
    injuries: ['left knee pain: avoid deep squats, lunges and jumping'],
    equipment: ['dumbbells', 'resistance bands', 'yoga mat'],
    dietaryPreferences: ['vegetarian'],
    allergies: ['peanuts'],
    units: 'imperial',
    timeZone: 'America/Los_Angeles',
  },
  workoutPlan: {
    id: '10000000-0000-4000-8000-000000000002',
    userId: MAYA_ID,
    name: 'Knee-friendly full body starter',
    goal: 'Lose fat and build a habit without loading the left knee',
    days: [
      workout('monday', 'Full body A', [
        exercise('Box squat to a high bench', 3, 10, 8, 90, 'Stop above parallel'),
        exercise('Dumbbell floor press', 3, 10, 8, 90),
        exercise('Resistance band row', 3, 12, null, 60),
        exercise('Glute bridge', 3, 15, null, 60),
      ]),
      workout('tuesday', 'Brisk walk and mobility', [
        exercise('Brisk walk', 1, 1, null, 0, '30 minutes on flat ground'),
        exercise('Hip and ankle mobility flow', 1, 1, null, 0, '10 minutes'),
      ]),
      workout('wednesday', 'Full body B', [
        exercise('Dumbbell Romanian deadlift', 3, 10, 10, 90),
        exercise('Half-kneeling band press', 3, 10, null, 60, 'Pad under the left knee'),
        exercise('Single-arm dumbbell row', 3, 10, 10, 60),
        exercise('Dead bug', 3, 10, null, 45),
      ]),
      restDay('thursday'),
      workout('friday', 'Full body C', [
        exercise('Step-up to a low step', 3, 8, null, 90, 'Lead with the right leg'),
        exercise('Dumbbell shoulder press', 3, 10, 6, 90),
        exercise('Band pull-apart', 3, 15, null, 45),
        exercise('Side plank', 3, 1, null, 45, '20 seconds each side'),
      ]),
      workout('saturday', 'Low-impact cardio', [
        exercise('Stationary bike or swim', 1, 1, null, 0, '35 minutes, easy to moderate'),
      ]),
      restDay('sunday', 'Rest and gentle stretching'),
    ],
    active: true,
  },
  mealPlan: {
    id: '20000000-0000-4000-8000-000000000002',
    userId: MAYA_ID,
    name: 'Vegetarian, peanut-free, 1,700 kcal',
    dailyCalorieTarget: 1700,
    days: [
      mealDay('monday', [
        mayaBreakfast,
        meal('Lunch', 'Lentil soup with a side salad', 480, 26, 62, 12),
        mayaSnack,
        meal('Dinner', 'Chickpea curry with brown rice', 560, 20, 82, 16),
      ]),
      mealDay('tuesday', [
        mayaOats,
        meal('Lunch', 'Quinoa bowl with black beans, corn and avocado', 520, 20, 70, 18),
        meal('Snack', 'Greek yoghurt with cinnamon', 150, 15, 12, 4),
        meal('Dinner', 'Vegetable stir-fry with tofu and rice noodles', 540, 26, 72, 16),
      ]),
      mealDay('wednesday', [
        mayaBreakfast,
        meal('Lunch', 'Caprese sandwich on wholegrain bread', 500, 22, 52, 22),
        mayaSnack,
        meal('Dinner', 'Black bean burgers with sweet potato wedges', 520, 22, 78, 14),
      ]),
      mealDay('thursday', [
        mayaOats,
        meal('Lunch', 'Falafel salad with tahini dressing', 540, 18, 56, 26),
        meal('Snack', 'Carrots and hummus', 180, 6, 20, 8),
        meal('Dinner', 'Spinach and ricotta stuffed peppers', 480, 26, 34, 24),
      ]),
      mealDay('friday', [
        mayaBreakfast,
        meal('Lunch', 'Minestrone with a cheese toastie', 520, 22, 66, 18),
        mayaSnack,
        meal('Dinner', 'Veggie fajitas with beans and salsa', 560, 22, 78, 18),
      ]),
      mealDay('saturday', [
        meal('Breakfast', 'Veggie omelette with toast', 430, 26, 28, 22),
        meal('Lunch', 'Buddha bowl with tempeh and brown rice', 560, 28, 64, 20),
        meal('Snack', 'Cottage cheese and peach slices', 170, 18, 16, 3),
        meal('Dinner', 'Mushroom risotto with peas', 540, 16, 84, 14),
      ]),
      mealDay('sunday', [
        mayaOats,
        meal('Lunch', 'Shakshuka with crusty bread', 520, 24, 50, 24),
        mayaSnack,
        meal('Dinner', 'Eggplant and lentil moussaka', 480, 22, 50, 20),
      ]),
    ],
    active: true,
  },
};

// ------------------------------ Kenji (Tokyo, metric, advanced, old back strain, shellfish)

const KENJI_ID = '00000000-0000-4000-8000-000000000003';
const kenjiBreakfast = meal(
  'Breakfast',
  'Rice, grilled salmon, miso soup and natto',
  650,
  40,
  80,
  16,
);
const kenjiShake = meal('Post-workout', 'Whey and oat shake', 450, 40, 55, 7);

const kenji: SeedUser = {
  user: { id: KENJI_ID, email: 'kenji.advanced@example.com' },
  profile: {
    userId: KENJI_ID,
    name: 'Kenji Sato',
    fitnessLevel: 'advanced',
    goals: ['increase total on squat, bench and deadlift', 'stay under 83 kg bodyweight'],
    injuries: ['recovered lower back strain: brace hard on hinges, no max-effort deadlifts'],
    equipment: ['full commercial gym'],
    dietaryPreferences: ['pescatarian'],
    allergies: ['shellfish'],
    units: 'metric',
    timeZone: 'Asia/Tokyo',
  },
  workoutPlan: {
    id: '10000000-0000-4000-8000-000000000003',
    userId: KENJI_ID,
    name: 'Powerlifting block, week 3',
    goal: 'Peak squat, bench and deadlift while protecting the lower back',
    days: [
      workout('monday', 'Heavy squat', [
        exercise('Back squat', 5, 3, 165, 240),
        exercise('Pause squat', 3, 3, 135, 180),
        exercise('Leg press', 3, 10, 220, 120),
        exercise('Ab wheel rollout', 3, 10, null, 60),
      ]),
      workout('tuesday', 'Heavy bench', [
        exercise('Competition bench press', 5, 3, 120, 240),
        exercise('Close-grip bench press', 3, 6, 100, 150),
        exercise('Weighted pull-up', 4, 6, 20, 120),
        exercise('Face pull', 3, 15, 25, 60),
      ]),
      restDay('wednesday', 'Rest and mobility'),
      workout('thursday', 'Deadlift technique', [
        exercise('Deadlift', 4, 3, 180, 240, 'RPE 7 at most; stop if the back tightens'),
        exercise('Block pull', 3, 3, 190, 180),
        exercise('Back extension', 3, 12, 20, 90),
        exercise('Suitcase carry', 3, 1, 40, 90, '30 metres each hand'),
      ]),
      workout('friday', 'Volume bench and upper back', [
        exercise('Bench press', 4, 8, 100, 150),
        exercise('Pendlay row', 4, 8, 100, 120),
        exercise('Dumbbell overhead press', 3, 10, 30, 90),
        exercise('Hammer curl', 3, 12, 18, 60),
      ]),
      workout('saturday', 'Volume squat', [
        exercise('Back squat', 4, 6, 145, 180),
        exercise('Safety-bar good morning', 3, 8, 80, 120, 'Only if the back feels fine'),
        exercise('Walking lunge', 3, 10, 30, 90),
        exercise('Copenhagen plank', 3, 1, null, 60, '20 seconds each side'),
      ]),
      restDay('sunday'),
    ],
    active: true,
  },
  mealPlan: {
    id: '20000000-0000-4000-8000-000000000003',
    userId: KENJI_ID,
    name: 'Pescatarian performance, 3,100 kcal',
    dailyCalorieTarget: 3100,
    days: [
      mealDay('monday', [
        kenjiBreakfast,
        meal('Lunch', 'Tuna onigiri with edamame', 700, 45, 100, 10),
        kenjiShake,
        meal('Dinner', 'Mackerel, rice, tofu and vegetables', 950, 55, 110, 30),
        meal('Snack', 'Greek yoghurt and granola', 350, 22, 45, 8),
      ]),
      mealDay('tuesday', [
        meal('Breakfast', 'Egg and cheese bagels with fruit', 700, 35, 85, 22),
        meal('Lunch', 'Salmon poke bowl', 780, 45, 95, 22),
        kenjiShake,
        meal('Dinner', 'Cod with soba noodles and greens', 820, 50, 110, 14),
        meal('Snack', 'Bananas and almonds', 350, 8, 45, 16),
      ]),
      mealDay('wednesday', [
        kenjiBreakfast,
        meal('Lunch', 'Tofu katsu curry with rice', 850, 32, 115, 26),
        meal('Snack', 'Cottage cheese with honey', 250, 24, 25, 4),
        meal('Dinner', 'Grilled sea bream, potatoes and salad', 750, 50, 70, 26),
        meal('Evening', 'Soy milk and rice crackers', 300, 12, 45, 7),
      ]),
      mealDay('thursday', [
        kenjiBreakfast,
        meal('Lunch', 'Egg fried rice with edamame and tofu', 800, 38, 105, 22),
        kenjiShake,
        meal('Dinner', 'Salmon teriyaki, rice and broccoli', 900, 55, 105, 26),
        meal('Snack', 'Protein bar', 250, 20, 25, 8),
      ]),
      mealDay('friday', [
        meal('Breakfast', 'Oats with whey, banana and honey', 700, 45, 105, 10),
        meal('Lunch', 'Tuna pasta salad', 750, 45, 90, 20),
        kenjiShake,
        meal('Dinner', 'Fish tacos with slaw and beans', 850, 48, 95, 28),
        meal('Snack', 'Greek yoghurt and berries', 300, 25, 35, 5),
      ]),
      mealDay('saturday', [
        kenjiBreakfast,
        meal('Lunch', 'Udon with egg, tofu and vegetables', 800, 36, 120, 16),
        kenjiShake,
        meal('Dinner', 'Salmon, rice and miso-glazed aubergine', 900, 52, 100, 28),
        meal('Snack', 'Mixed nuts and dried fruit', 300, 8, 30, 18),
      ]),
      mealDay('sunday', [
        meal('Breakfast', 'Japanese rolled omelette, rice and fruit', 650, 30, 90, 18),
        meal('Lunch', 'Sardines on toast with salad', 650, 40, 55, 28),
        meal('Snack', 'Edamame and rice crackers', 350, 20, 45, 10),
        meal('Dinner', 'Hot pot with cod, tofu and udon', 900, 55, 105, 24),
        meal('Evening', 'Casein shake', 250, 30, 15, 5),
      ]),
    ],
    active: true,
  },
};

export const SEED_USERS: readonly SeedUser[] = [demoAthlete, maya, kenji];
