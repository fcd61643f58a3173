/**
 * Bad input reaching the voice agent, 1,000 runs each: room and dispatch metadata of any shape
 * (agent/job-metadata.ts), and tool arguments of any shape from the LLM, given straight to the
 * tools' execute functions (agent/tools.ts) as a model that ignores the schema would send them.
 * Nothing may throw: metadata is read or refused with a message, a tool answers a sentence the
 * model can relay and the session goes on, and only valid sets reach the log sink.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSessionMetadata } from '../../agent/job-metadata.ts';
import { createCoachTools } from '../../agent/tools.ts';
import type { Clock } from '../../shared/runtime.ts';
import {
  AGENT_TYPES,
  type LogEntry,
  logEntrySchema,
  SPECIALISTS,
  sessionMetadataSchema,
} from '../../shared/schemas.ts';
import {
  anyJson,
  boundaryNumber,
  nastyString,
  RUNS_PER_ROUTE,
  wrongOr,
} from '../api/adversarial.ts';
import { exampleContext, recordingLogger } from './fixtures.ts';

const RUNS = { numRuns: RUNS_PER_ROUTE };
const fixedClock: Clock = { now: () => new Date('2026-02-02T10:30:00.000Z') };
const noToolOptions = undefined as never;

const metadataObject = fc.record(
  {
    user_id: wrongOr(
      fc.oneof(
        fc.uuid(),
        fc.uuid().map((id) => id.toUpperCase()),
      ),
    ),
    agent_type: wrongOr(fc.constantFrom(...AGENT_TYPES)),
    session_type: wrongOr(fc.constant('voice')),
    created_at: wrongOr(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
    extra: anyJson,
  },
  { requiredKeys: [] },
);

const metadataText = fc.option(
  fc.oneof(
    metadataObject.map((value) => JSON.stringify(value)),
    anyJson.map((value) => JSON.stringify(value) ?? ''),
    nastyString,
    fc.constantFrom('', '   ', '{', 'null', '[]', '{"user_id":', '\u0000'),
  ),
  { nil: undefined },
);

describe('room and dispatch metadata of any shape', () => {
  it('is read when valid and refused with a message otherwise, never thrown', () => {
    fc.assert(
      fc.property(metadataText, metadataText, (dispatch, room) => {
        const result = readSessionMetadata(dispatch, room);
        if (result.success) {
          expect(sessionMetadataSchema.safeParse(result.data).success).toBe(true);
          const source = dispatch?.trim() ? dispatch : room;
          expect(result.data.user_id).toBe(JSON.parse(source ?? '').user_id.toLowerCase());
        } else {
          expect(result.error).toMatch(/session metadata/);
        }
      }),
      RUNS,
    );
  });
});

function tools() {
  const appended: LogEntry[] = [];
  const asked: unknown[] = [];
  const created = createCoachTools({
    context: exampleContext(),
    logSink: {
      append: async (entry) => {
        appended.push(entry);
      },
    },
    specialists: {
      askSpecialist: async (request) => {
        asked.push(request);
        return { specialist: 'general', answer: 'An answer.' };
      },
    },
    logger: recordingLogger(),
    clock: fixedClock,
    fillerDelayMs: 60_000,
  });
  return { created, appended, asked };
}

/** Whatever a model might put in a tool call's arguments. */
const anyArguments = fc.oneof(
  anyJson,
  fc.record(
    {
      exercise: wrongOr(nastyString),
      reps: wrongOr(boundaryNumber),
      weight: wrongOr(boundaryNumber),
      unit: wrongOr(fc.constantFrom('kg', 'lb', 'stone', 'KG', '')),
      query: wrongOr(nastyString),
      specialist: wrongOr(fc.constantFrom(...SPECIALISTS, 'lawyer')),
    },
    { requiredKeys: [] },
  ),
);

describe('tool arguments of any shape from the LLM', () => {
  it('log_workout_set logs a valid set or says why not, and never throws', async () => {
    await fc.assert(
      fc.asyncProperty(anyArguments, async (args) => {
        const { created, appended } = tools();
        const answer = await created.log_workout_set.execute(args as never, noToolOptions);
        expect(typeof answer).toBe('string');
        if (appended.length === 0) {
          expect(answer).toMatch(/^I could not log that set: .+\.$/);
        } else {
          expect(appended).toHaveLength(1);
          expect(logEntrySchema.safeParse(appended[0]).success).toBe(true);
          expect(answer).toMatch(/^Logged /);
        }
      }),
      RUNS,
    );
  });

  it('ask_specialist_agent asks only with a valid query, and otherwise answers the fallback', async () => {
    await fc.assert(
      fc.asyncProperty(anyArguments, async (args) => {
        const { created, asked } = tools();
        const answer = await created.ask_specialist_agent.execute(args as never, noToolOptions);
        expect(answer).toBeTypeOf('string');
        expect(answer?.length).toBeGreaterThan(0);
        expect(asked.length).toBeLessThanOrEqual(1);
      }),
      RUNS,
    );
  });

  it('the quick lookups ignore whatever arguments they are given', async () => {
    await fc.assert(
      fc.asyncProperty(anyArguments, async (args) => {
        const { created } = tools();
        const workout = await created.get_todays_workout.execute(args as never, noToolOptions);
        const meals = await created.get_todays_meals.execute(args as never, noToolOptions);
        expect(typeof workout).toBe('string');
        expect(typeof meals).toBe('string');
      }),
      { numRuns: 200 },
    );
  });
});
