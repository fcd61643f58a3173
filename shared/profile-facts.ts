/**
 * The facts about a user that every prompt starts from, worded once so the voice agent and the
 * specialists describe the same person the same way.
 */
import type { Preferences, Profile } from './schemas.ts';

const listOrNone = (items: readonly string[]) => (items.length > 0 ? items.join(', ') : 'none');

export function profileFacts(profile: Profile, preferences: Preferences): string[] {
  return [
    `Name: ${profile.name}.`,
    `Fitness level: ${profile.fitness_level}.`,
    `Goals: ${listOrNone(profile.goals)}.`,
    `Injuries or limitations: ${listOrNone(profile.injuries)}.`,
    `Equipment: ${listOrNone(profile.equipment)}.`,
    `Dietary preferences: ${listOrNone(preferences.dietary_preferences)}.`,
    `Allergies: ${listOrNone(preferences.allergies)}.`,
  ];
}
