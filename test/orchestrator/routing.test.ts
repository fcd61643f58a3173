import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_USER_ID } from '../../drizzle/seed-data.ts';
import {
  SPECIALISTS,
  type Specialist,
  specialistQueryResponseSchema,
} from '../../shared/schemas.ts';
import { SPECIALIST_DEFINITIONS } from '../../workers/orchestrator/specialists.ts';
import type { Logger } from '../../workers/ports.ts';
import { userHeaders } from '../support/auth.ts';
import { createOrchestratorHarness, type OrchestratorHarness, systemPromptOf } from './harness.ts';

/** A fact from the seeded plans (or this test's logs) that each specialist's prompt must carry. */
const EXPECTED_FACT: Record<Specialist, string> = {
  workout: 'Barbell bench press 4 sets of 6 at 80 kg',
  diet: 'Meal plan "Lean bulk, 2,800 kcal"',
  supplement: 'daily target 2,800 calories',
  tracker: 'Incline dumbbell press: 2 sets, volume 625 kg, best set 32.5 kg for 10 reps',
  scheduler: 'wednesday 2026-11-04 (today): Interval run',
  general: "Today's workout: Interval run",
};

const logLines: string[] = [];
const capturingLogger: Logger = {
  info: (event, fields) => logLines.push(JSON.stringify({ event, ...fields })),
  warn: (event, fields) => logLines.push(JSON.stringify({ event, ...fields })),
  error: (event, fields) => logLines.push(JSON.stringify({ event, ...fields })),
};

const set = (exercise: string, reps: number, weightKg: number, loggedAt: string) => ({
  log_id: randomUUID(),
  user_id: DEMO_USER_ID,
  exercise,
  reps,
  weight_kg: weightKg,
  logged_at: loggedAt,
});

describe('specialist routing', () => {
  let h: OrchestratorHarness;

  beforeAll(async () => {
    h = await createOrchestratorHarness({ logger: capturingLogger });
    await h.services.repository.insertWorkoutLogs([
      // Tuesday and Monday evening in Berlin: two training days this week.
      set('Incline dumbbell press', 10, 30, '2026-11-03T17:00:00Z'),
      set('Incline dumbbell press', 10, 32.5, '2026-11-03T17:05:00Z'),
      set('Back squat', 5, 100, '2026-11-02T18:00:00Z'),
      // September, outside the 28 days loaded up front: only the tool reaches it.
      set('Deadlift', 3, 140, '2026-09-15T16:00:00Z'),
    ]);
  });
  afterAll(() => h.cleanup());
  beforeEach(() => h.standin.reset());

  it.each(SPECIALISTS)(
    'answers directly from the %s specialist with its data in the prompt',
    async (specialist) => {
      h.standin.enqueue({ content: `The ${specialist} answer.` });
      const response = await h.ask({
        user_id: DEMO_USER_ID,
        query: 'What should I know?',
        specialist,
      });
      expect(response.status).toBe(200);
      expect(specialistQueryResponseSchema.parse(await response.json())).toEqual({
        specialist,
        answer: `The ${specialist} answer.`,
      });
      expect(h.standin.requests).toHaveLength(1);
      const prompt = systemPromptOf(h.standin.requests[0]?.body ?? { messages: [] });
      expect(prompt.startsWith(SPECIALIST_DEFINITIONS[specialist].instructions)).toBe(true);
      expect(prompt).toContain(EXPECTED_FACT[specialist]);
      expect(prompt).toContain('No markdown');
      expect(h.standin.requests[0]?.body.messages.at(-1)).toEqual({
        role: 'user',
        content: 'What should I know?',
      });
    },
  );

  it.each(SPECIALISTS)('classifies a question to the %s specialist', async (specialist) => {
    h.standin.enqueue({ content: specialist }, { content: 'Routed.' });
    const response = await h.ask({ user_id: DEMO_USER_ID, query: 'Help me out' });
    expect(await response.json()).toEqual({ specialist, answer: 'Routed.' });
    const [classification, answer] = h.standin.requests;
    expect(classification?.body.max_tokens).toBe(5);
    expect(systemPromptOf(classification?.body ?? { messages: [] })).toContain(
      'Reply with exactly one word',
    );
    expect(systemPromptOf(answer?.body ?? { messages: [] })).toContain(EXPECTED_FACT[specialist]);
  });

  it('sends a classification it cannot read to the general coach', async () => {
    h.standin.enqueue({ content: 'I am not sure!' }, { content: 'General answer.' });
    const response = await h.ask({ user_id: DEMO_USER_ID, query: 'Hmm' });
    expect(await response.json()).toEqual({ specialist: 'general', answer: 'General answer.' });
  });

  it('summarises recent sets and consistency in the tracker prompt', async () => {
    h.standin.enqueue({ content: 'Nice week.' });
    await h.ask({
      user_id: DEMO_USER_ID,
      query: 'How is my training going?',
      specialist: 'tracker',
    });
    const prompt = systemPromptOf(h.standin.requests[0]?.body ?? { messages: [] });
    expect(prompt).toContain('trained on 2 of the last 7 days and 2 of the last 28 days');
    expect(prompt).toContain('Logged sets from 2026-10-08 to 2026-11-04: 3 sets on 2 days');
    expect(prompt).toContain('Back squat: 1 set, volume 500 kg, best set 100 kg for 5 reps');
    expect(prompt).not.toContain('Deadlift');
  });

  it('lets the tracker read an older period through its tool', async () => {
    h.standin.enqueue(
      {
        toolCalls: [
          { name: 'get_logged_sets', arguments: '{"since":"2026-09-01","until":"2026-09-30"}' },
        ],
      },
      { content: 'In September you pulled 140 kilograms.' },
    );
    const response = await h.ask({
      user_id: DEMO_USER_ID,
      query: 'My best deadlift in September?',
      specialist: 'tracker',
    });
    expect(await response.json()).toEqual({
      specialist: 'tracker',
      answer: 'In September you pulled 140 kilograms.',
    });
    expect(h.standin.requests[0]?.body.tools?.map((t) => t.function.name)).toEqual([
      'get_logged_sets',
    ]);
    const toolMessage = h.standin.requests[1]?.body.messages.find((m) => m.role === 'tool');
    expect(toolMessage?.content).toContain(
      'Deadlift: 1 set, volume 420 kg, best set 140 kg for 3 reps',
    );
  });

  it('answers malformed and invalid tool arguments with an error text the model can act on', async () => {
    h.standin.enqueue(
      {
        toolCalls: [
          { name: 'get_logged_sets', arguments: '{"since": 2026' },
          { name: 'get_logged_sets', arguments: '{"since":"2026-02-30"}' },
          { name: 'drop_tables', arguments: '{}' },
        ],
      },
      { content: 'I could not read that period.' },
    );
    const response = await h.ask({
      user_id: DEMO_USER_ID,
      query: 'Last February?',
      specialist: 'tracker',
    });
    expect(response.status).toBe(200);
    const second = h.standin.requests[1]?.body.messages ?? [];
    const assistant = second.find((m) => m.role === 'assistant');
    const toolReplies = second.filter((m) => m.role === 'tool');
    expect(assistant?.tool_calls?.map((c) => c.id)).toEqual(toolReplies.map((m) => m.tool_call_id));
    expect(toolReplies.map((m) => m.content)).toEqual([
      'Error: invalid arguments (since: is not a calendar date). Try again.',
      'Error: there is no tool named drop_tables.',
      expect.stringContaining('Error: the arguments were not valid JSON'),
    ]);
  });

  it('turns markdown into plain speech', async () => {
    h.standin.enqueue({ content: '## Plan\n- **Squat** 3 sets\n- Rest `90 s`' });
    const response = await h.ask({ user_id: DEMO_USER_ID, query: 'Plan?', specialist: 'workout' });
    expect(await response.json()).toEqual({
      specialist: 'workout',
      answer: 'Plan. Squat 3 sets. Rest 90 s',
    });
  });

  it('lets a user ask for themselves but not for someone else', async () => {
    const own = await h.ask(
      { user_id: DEMO_USER_ID, query: 'Hi', specialist: 'general' },
      await userHeaders(DEMO_USER_ID),
    );
    expect(own.status).toBe(200);
    const other = await h.ask(
      { user_id: DEMO_USER_ID, query: 'Hi' },
      await userHeaders(randomUUID()),
    );
    expect(other.status).toBe(403);
  });

  it('refuses an unknown specialist and an unknown user', async () => {
    const badSpecialist = await h.ask({
      user_id: DEMO_USER_ID,
      query: 'Hi',
      specialist: 'astrologer' as Specialist,
    });
    expect(badSpecialist.status).toBe(400);
    expect(await badSpecialist.json()).toMatchObject({
      error: { code: 'bad_request', message: expect.stringContaining('specialist') },
    });
    const unknownUser = await h.ask({ user_id: randomUUID(), query: 'Hi', specialist: 'general' });
    expect(unknownUser.status).toBe(404);
    expect(h.standin.requests).toHaveLength(0);
  });

  it('never writes the question into a log line', async () => {
    const query = `secret question ${randomUUID()}`;
    h.standin.enqueue({ status: 400 });
    await h.ask({ user_id: DEMO_USER_ID, query, specialist: 'diet' });
    await h.ask({ user_id: DEMO_USER_ID, query, specialist: 'diet' });
    expect(logLines.some((line) => line.includes('specialist_failed'))).toBe(true);
    expect(logLines.some((line) => line.includes('specialist_answered'))).toBe(true);
    expect(logLines.join('\n')).not.toContain(query);
  });
});
