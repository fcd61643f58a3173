/** Valid log entries and request helpers shared by the log tests. */
import { randomUUID } from 'node:crypto';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import type { LogEntry } from '../../shared/schemas.ts';

export const logEntry = (overrides: Partial<LogEntry> = {}): LogEntry => ({
  log_id: randomUUID(),
  user_id: DEMO_USER_ID,
  exercise: 'Back squat',
  reps: 5,
  weight_kg: 102.5,
  logged_at: '2025-03-01T10:00:00.000Z',
  ...overrides,
});

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});
