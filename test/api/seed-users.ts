/** Picks seed users for a test by what the test needs of them, failing loudly if the seed changed. */
import { SEED_USERS, type SeedUser } from '../../drizzle/seed-data.ts';

export function seedUser(description: string, matches: (seed: SeedUser) => boolean): SeedUser {
  const seed = SEED_USERS.find(matches);
  if (!seed) throw new Error(`the seed has no user who is ${description}`);
  return seed;
}

/** A user id that is valid but belongs to no one. */
export const UNKNOWN_USER_ID = '9b2f3c1e-5d4a-4f6b-8c7d-0e1f2a3b4c5d';
