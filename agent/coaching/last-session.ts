/**
 * What the coach is told about the user's previous session, so it can pick up where they left
 * off ("Last time your knee was sore; how is it today?"). Built from the context only.
 */
import type { CoachingContext } from '../../shared/schemas.ts';
import { describeSummary } from './summary.ts';

export function describeLastSession(context: CoachingContext): string[] {
  const last = context.last_session;
  if (!last) return [];
  const date = last.started_at.slice(0, 10);
  const lines = [
    `Last session (${date}): ${describeSummary(last.summary, context.preferences.units)}`,
  ];
  if (last.summary.note) {
    lines.push(
      `Noted at the end of the last session: "${last.summary.note}". Early on, briefly ask how that is today.`,
    );
  }
  return lines;
}
