/**
 * Calendar arithmetic on the user's local dates (YYYY-MM-DD). Which local date "now" is comes
 * from localDay in workers/context/build-context.ts; this only counts days from there.
 */
import { localDay } from '../../context/build-context.ts';

const DAY_MS = 86_400_000;

function toUtcMs(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

export function addDays(date: string, days: number): string {
  return new Date(toUtcMs(date) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toUtcMs(to) - toUtcMs(from)) / DAY_MS);
}

/**
 * The instant the user's local `date` begins, counted from their next local midnight; it can be an
 * hour off across a daylight-saving change, which is fine for choosing which sets to read.
 */
export function startOfLocalDate(date: string, now: Date, timeZone: string): Date {
  const today = localDay(now, timeZone);
  // secondsLeft counts whole seconds, so the count must start from a whole second too, or the
  // day would begin at 00:00:00 plus now's milliseconds.
  const wholeSecond = Math.floor(now.getTime() / 1000) * 1000;
  const startOfToday = wholeSecond + today.secondsLeft * 1000 - DAY_MS;
  return new Date(startOfToday + daysBetween(today.date, date) * DAY_MS);
}
