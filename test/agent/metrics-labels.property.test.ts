/**
 * Property: no label value of the agent's metrics ever carries a user id, a room name or free
 * text. The real tools run with arbitrary users, exercises, questions and specialist names (what
 * an LLM might send), jobs are rejected with arbitrary reasons and providers fail with arbitrary
 * error types; the exposition, parsed as Prometheus reads it, holds only the closed label values
 * of agent/metrics/labels.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobMetrics } from '../../agent/metrics/job-metrics.ts';
import { LABEL_VALUES } from '../../agent/metrics/labels.ts';
import { createCoachTools } from '../../agent/tools.ts';
import { ApiRequestError } from '../../shared/api-client.ts';
import type { Clock } from '../../shared/runtime.ts';
import { contextArb, recordingLogger } from './fixtures.ts';
import { parseExposition } from './prometheus.ts';

const RUNS = { numRuns: 100 };
const fixedClock: Clock = { now: () => new Date('2026-02-02T10:30:00.000Z') };
const noToolOptions = undefined as never;

/** Free text as users and LLMs produce it, including label-breaking quotes and newlines. */
const freeText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.constantFrom('bench "press"\n', 'ok', 'workout', 'no_profile', 'llm_error', '}', 'le'),
);

describe('agent metrics labels', () => {
  it('Feature: livekit-voice-agent, Property 16: Metric labels are bounded and never carry user data', async () => {
    await fc.assert(
      fc.asyncProperty(
        contextArb,
        fc.uuid(),
        freeText,
        freeText,
        freeText,
        freeText,
        fc.boolean(),
        async (context, roomId, exercise, query, specialist, reasonOrType, specialistFails) => {
          const roomName = `room-${roomId}`;
          const metrics = new JobMetrics({ processMetrics: false });
          const tools = createCoachTools({
            context,
            logSink: { append: async () => undefined },
            specialists: {
              askSpecialist: async () => {
                if (specialistFails) throw new ApiRequestError(503, 'down', 'specialist down');
                return { specialist: 'general', answer: 'an answer' };
              },
            },
            logger: recordingLogger(),
            clock: fixedClock,
            fillerDelayMs: 60_000,
            metrics,
          });
          await tools.get_todays_workout.execute({}, noToolOptions);
          await tools.log_workout_set.execute({ exercise, reps: 5, weight: 20 }, noToolOptions);
          await tools.ask_specialist_agent.execute(
            // What an LLM may send, unchecked: the tool itself must keep it out of the labels.
            { query, specialist: specialist as 'general' },
            noToolOptions,
          );
          metrics.toolCall(roomName, exercise, 0.01);
          metrics.specialistCall(query, 'ok', 0.2);
          metrics.jobRejected(reasonOrType as 'no_profile');
          metrics.providerError({ type: reasonOrType, recoverable: specialistFails });
          metrics.providerError({ type: 'stt_error', recoverable: true });
          metrics.replyApologised(reasonOrType as 'empty');
          metrics.replyApologised('first_token_timeout');
          metrics.loopStalled(reasonOrType as 'own_work');
          metrics.loopStalled('cpu_wait');

          const exposition = parseExposition(await metrics.registry.metrics());
          const values = exposition.labelValues();
          expect(values.length).toBeGreaterThan(0);
          const allowed: Record<string, readonly string[]> = LABEL_VALUES;
          for (const { label, value } of values) {
            expect(Object.keys(LABEL_VALUES)).toContain(label);
            expect(allowed[label]).toContain(value);
          }
          const text = await metrics.registry.metrics();
          expect(text).not.toContain(context.profile.user_id);
          expect(text).not.toContain(roomId);
          // The tool calls were still counted, whatever they carried.
          const counted = (tool: string) =>
            LABEL_VALUES.outcome.reduce(
              (sum: number, outcome) =>
                sum +
                (exposition.histogram('agent_tool_call_duration_seconds', { tool, outcome })
                  ?.count ?? 0),
              0,
            );
          expect(counted('log_workout_set')).toBe(1);
          expect(counted('ask_specialist_agent')).toBe(1);
          expect(counted('other')).toBe(1);
        },
      ),
      RUNS,
    );
  });
});
