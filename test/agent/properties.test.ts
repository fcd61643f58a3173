/**
 * Property tests for the voice agent (design properties 1 to 6 and 10 to 15), each over at least
 * 100 generated cases. The network-free parts run against in-process fakes of the agent's own
 * ports; the spool runs on the real file system.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as googlePlugin from '@livekit/agents-plugin-google';
import * as openaiPlugin from '@livekit/agents-plugin-openai';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FitnessVoiceAgent } from '../../agent/coach.ts';
import { loadCoachConfig } from '../../agent/config.ts';
import { loadCoachingContext } from '../../agent/context-loader.ts';
import { buildGreeting, buildInstructions, firstName } from '../../agent/instructions.ts';
import { readSessionMetadata } from '../../agent/job-metadata.ts';
import { LogSpool } from '../../agent/log-spool.ts';
import { createLlm } from '../../agent/providers.ts';
import { describeTodaysWorkout, todaysMealsJson } from '../../agent/today.ts';
import { createCoachTools, TOOL_NAMES } from '../../agent/tools.ts';
import { KG_PER_LB } from '../../agent/workout-set.ts';
import { ApiRequestError } from '../../shared/api-client.ts';
import { LLM_PROVIDERS } from '../../shared/llm-providers.ts';
import type { Clock } from '../../shared/runtime.ts';
import { AGENT_TYPES, type CoachingContext, type LogEntry } from '../../shared/schemas.ts';
import { agentTypeArb, contextArb, recordingLogger } from './fixtures.ts';

const RUNS = { numRuns: 100 };
const fixedClock: Clock = { now: () => new Date('2026-02-02T10:30:00.000Z') };
const SERVICE_TOKEN = 'service-token-for-agent-property-tests';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'agent-props-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Ports that record every use, so a test can prove a tool never reached them. */
function recordingPorts() {
  const appended: LogEntry[] = [];
  const specialistCalls: unknown[] = [];
  return {
    appended,
    specialistCalls,
    logSink: {
      append: async (entry: LogEntry) => {
        appended.push(entry);
      },
    },
    specialists: {
      askSpecialist: async (request: unknown) => {
        specialistCalls.push(request);
        return { specialist: 'general' as const, answer: 'specialist answer' };
      },
    },
  };
}

function toolsFor(context: CoachingContext, ports = recordingPorts(), logger = recordingLogger()) {
  return {
    ports,
    logger,
    tools: createCoachTools({
      context,
      logSink: ports.logSink,
      specialists: ports.specialists,
      logger,
      clock: fixedClock,
      fillerDelayMs: 60_000,
    }),
  };
}

const noToolOptions = undefined as never;

const setArb = fc.record({
  exercise: fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s.trim().length > 0),
  reps: fc.integer({ min: 1, max: 1000 }),
  weight: fc.double({ min: 0, max: 400, noNaN: true }),
  unit: fc.constantFrom('kg' as const, 'lb' as const, undefined),
});

function tempDir(): string {
  return join(root, `spool-${Math.random().toString(36).slice(2)}`);
}

describe('voice agent properties', () => {
  it('Feature: livekit-voice-agent, Property 1: Context loading completeness', async () => {
    await fc.assert(
      fc.asyncProperty(contextArb, agentTypeArb, async (context, agentType) => {
        const loaded = await loadCoachingContext(
          { getContext: async () => context },
          context.profile.user_id,
        );
        expect(loaded).toEqual(context);
        const agent = new FitnessVoiceAgent({
          agentType,
          context: loaded as CoachingContext,
          ...recordingPorts(),
          logger: recordingLogger(),
          clock: fixedClock,
        });
        expect(agent.userContext.workout_plan).toEqual(context.workout_plan);
        expect(agent.userContext.meal_plan).toEqual(context.meal_plan);
        expect(agent.userContext.preferences).toEqual(context.preferences);
        expect(agent.instructions).toContain(`Preferred units: ${context.preferences.units}`);
        // Today's plan in full, so a question about one exercise needs no tool.
        expect(agent.instructions).toContain(describeTodaysWorkout(context));
        for (const allergy of context.preferences.allergies)
          expect(agent.instructions).toContain(allergy);
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 2: Quick tools use cached data', async () => {
    await fc.assert(
      fc.asyncProperty(contextArb, async (context) => {
        const { tools, ports } = toolsFor(context);
        const workout = await tools.get_todays_workout.execute({}, noToolOptions);
        const meals = await tools.get_todays_meals.execute({}, noToolOptions);
        // With no session to speak through, the tool returns the line it would have said.
        const day = context.todays_workout;
        if (!context.workout_plan) expect(workout).toBe("You don't have a workout plan yet.");
        else if (!day) expect(workout).toBe('There is no workout scheduled for today.');
        else if (day.rest_day || day.exercises.length === 0)
          expect(workout).toBe(`Today is a rest day: ${day.name}.`);
        else {
          const opening = `Today is ${day.name}: `;
          expect(String(workout).slice(0, opening.length)).toBe(opening);
          for (const exercise of day.exercises) expect(workout).toContain(exercise.name);
        }
        expect(JSON.parse(meals as string)).toEqual(JSON.parse(todaysMealsJson(context)));
        for (const meal of context.todays_meals?.meals ?? [])
          expect(meals).toContain(JSON.stringify(meal.name));
        // The only ways out of the process are the injected ports: neither was touched.
        expect(ports.appended).toHaveLength(0);
        expect(ports.specialistCalls).toHaveLength(0);
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 3: Workout logging queues immediately', async () => {
    await fc.assert(
      fc.asyncProperty(contextArb, setArb, async (context, set) => {
        const { tools, ports } = toolsFor(context);
        await tools.log_workout_set.execute(set, noToolOptions);
        const unit = set.unit ?? (context.preferences.units === 'imperial' ? 'lb' : 'kg');
        const expectedKg =
          Math.round((unit === 'lb' ? set.weight * KG_PER_LB : set.weight) * 100) / 100;
        expect(ports.appended).toHaveLength(1);
        expect(ports.appended[0]).toMatchObject({
          user_id: context.profile.user_id,
          exercise: set.exercise.replace(/\s+/g, ' ').trim(),
          reps: set.reps,
          weight_kg: expectedKg,
          logged_at: fixedClock.now().toISOString(),
        });
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 3: invalid sets are refused and never queued', async () => {
    const badSet = fc.oneof(
      setArb.map((s) => ({ ...s, reps: -s.reps })),
      setArb.map((s) => ({ ...s, reps: s.reps + 0.5 })),
      setArb.map((s) => ({ ...s, exercise: 'x'.repeat(256 + s.reps) })),
      setArb.map((s) => ({ ...s, exercise: '   ' })),
      setArb.map((s) => ({ ...s, weight: 1001 + s.weight, unit: 'kg' as const })),
      setArb.map((s) => ({ ...s, weight: -1 - s.weight })),
    );
    await fc.assert(
      fc.asyncProperty(contextArb, badSet, async (context, set) => {
        const { tools, ports } = toolsFor(context);
        const answer = await tools.log_workout_set.execute(set, noToolOptions);
        expect(answer).toMatch(/^I could not log that set: /);
        expect(ports.appended).toHaveLength(0);
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 4: Workout logging returns immediately', async () => {
    // The API never answers: the confirmation must not depend on it.
    const spool = await LogSpool.open({
      dir: tempDir(),
      send: () => new Promise(() => {}),
      logger: recordingLogger(),
    });
    try {
      await fc.assert(
        fc.asyncProperty(contextArb, setArb, async (context, set) => {
          const { tools } = toolsFor(context, { ...recordingPorts(), logSink: spool });
          const before = spool.size;
          const answer = await tools.log_workout_set.execute(set, noToolOptions);
          expect(answer).toMatch(/^Logged (1 rep|\d+ reps) of /);
          expect(spool.size).toBe(before + 1);
        }),
        RUNS,
      );
    } finally {
      await spool.close();
    }
  });

  it('Feature: livekit-voice-agent, Property 5: Queued logs are persisted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(setArb, { minLength: 1, maxLength: 30 }), async (sets) => {
        const delivered = new Map<string, number>();
        const dir = tempDir();
        const spool = await LogSpool.open({
          dir,
          send: async (batch) => {
            expect(batch.length).toBeLessThanOrEqual(100);
            for (const e of batch) delivered.set(e.log_id, (delivered.get(e.log_id) ?? 0) + 1);
          },
          logger: recordingLogger(),
        });
        const { tools, ports } = toolsFor((await fc.sample(contextArb, 1))[0] as CoachingContext);
        const appended: LogEntry[] = [];
        for (const set of sets) {
          await tools.log_workout_set.execute(set, noToolOptions);
          const entry = ports.appended.at(-1) as LogEntry;
          appended.push(entry);
          await spool.append(entry);
        }
        expect((await spool.drain(5000)).remaining).toBe(0);
        await spool.close();
        expect([...delivered.keys()].sort()).toEqual(appended.map((e) => e.log_id).sort());
        expect([...delivered.values()].every((n) => n === 1)).toBe(true);
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 6: Log worker handles errors gracefully', async () => {
    const failure = fc.constantFrom(
      () => new ApiRequestError(undefined, 'network', 'down'),
      () => new ApiRequestError(503, 'unavailable', 'down'),
      () => new ApiRequestError(429, 'rate_limited', 'slow down'),
      () => new Error('unexpected'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(failure, { maxLength: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 3 }),
        async (failures, count, rejectedCount) => {
          const rejected = new Set<string>();
          const delivered = new Set<string>();
          const pendingFailures = [...failures];
          const logger = recordingLogger();
          const spool = await LogSpool.open({
            dir: tempDir(),
            initialBackoffMs: 1,
            maxBackoffMs: 2,
            logger,
            send: async (batch) => {
              const next = pendingFailures.shift();
              if (next) throw next();
              if (batch.some((e) => rejected.has(e.log_id))) {
                throw new ApiRequestError(400, 'bad_request', 'entries: unknown user');
              }
              for (const e of batch) delivered.add(e.log_id);
            },
          });
          const ids: string[] = [];
          for (let i = 0; i < count; i++) {
            const log_id = crypto.randomUUID();
            ids.push(log_id);
            if (i < rejectedCount) rejected.add(log_id);
            await spool.append({
              log_id,
              user_id: '00000000-0000-4000-8000-000000000001',
              exercise: 'squat',
              reps: 5,
              weight_kg: 100,
              logged_at: fixedClock.now().toISOString(),
            });
          }
          expect((await spool.drain(5000)).remaining).toBe(0);
          await spool.close();
          expect([...delivered].sort()).toEqual(ids.filter((id) => !rejected.has(id)).sort());
          const failuresLogged = logger.lines.filter((l) => l.event === 'log_spool_send_failed');
          expect(failuresLogged.length).toBeGreaterThanOrEqual(failures.length);
          const deadLettered = logger.lines
            .filter((l) => l.event === 'log_spool_dead_lettered')
            .flatMap((l) => l.fields.log_ids as string[]);
          expect(deadLettered.sort()).toEqual(
            [...rejected].filter((id) => ids.includes(id)).sort(),
          );
        },
      ),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 10: Room metadata extraction', () => {
    const metadataArb = fc.record({
      user_id: fc.uuid({ version: 4 }),
      agent_type: agentTypeArb,
      session_type: fc.constant('voice' as const),
      created_at: fc
        .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
    });
    fc.assert(
      fc.property(metadataArb, metadataArb, fc.boolean(), (dispatch, room, useDispatch) => {
        const result = readSessionMetadata(
          useDispatch ? JSON.stringify(dispatch) : '',
          JSON.stringify(room),
        );
        const expected = useDispatch ? dispatch : room;
        expect(result).toEqual({ success: true, data: expected });
      }),
      RUNS,
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          metadataArb.map((m) => JSON.stringify({ ...m, user_id: 'not-a-uuid' })),
          metadataArb.map((m) => JSON.stringify({ ...m, agent_type: 'yoga' })),
          metadataArb.map(({ user_id: _, ...rest }) => JSON.stringify(rest)),
        ),
        (bad) => {
          expect(readSessionMetadata(bad, undefined).success).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 11: Greetings vary by agent type', () => {
    fc.assert(
      fc.property(contextArb, (context) => {
        const greetings = AGENT_TYPES.map((type) => buildGreeting(type, context));
        expect(new Set(greetings).size).toBe(AGENT_TYPES.length);
        for (const greeting of greetings) expect(greeting).toContain(firstName(context));
        expect(buildGreeting('workout', context)).toMatch(/train|workout/i);
        expect(buildGreeting('diet', context)).toMatch(/meal|eat/i);
        expect(buildGreeting('supplement', context)).toMatch(/supplement/i);
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 12: LLM provider selection', async () => {
    const settingsArb = fc.record({
      provider: fc.constantFrom(...LLM_PROVIDERS),
      model: fc.constantFrom('model-a', 'model-b-latest', 'gpt-4o-mini', 'gemini-2.0-flash'),
      apiKey: fc
        .string({ minLength: 8, maxLength: 40 })
        .filter((s) => s.trim() === s && s.length >= 8),
      baseUrl: fc.option(
        fc.constantFrom('http://127.0.0.1:9999/v1', 'https://llm.example.test/v1/'),
        { nil: undefined },
      ),
      maxTokens: fc.integer({ min: 1, max: 4000 }),
    });
    await fc.assert(
      fc.asyncProperty(settingsArb, async (s) => {
        const prefix = s.provider.toUpperCase();
        const config = loadCoachConfig({
          API_BASE_URL: 'http://127.0.0.1:8787',
          SERVICE_API_TOKEN: SERVICE_TOKEN,
          VOICE_LLM_PROVIDER: s.provider,
          VOICE_LLM_MODEL: s.model,
          VOICE_MAX_RESPONSE_TOKENS: String(s.maxTokens),
          [`${prefix}_API_KEY`]: s.apiKey,
          [`${prefix}_BASE_URL`]: s.baseUrl,
        });
        expect(config.llm).toMatchObject({
          provider: s.provider,
          model: s.model,
          maxResponseTokens: s.maxTokens,
        });
        const model = await createLlm(config.llm);
        expect(model.model).toBe(s.model);
        if (s.provider === 'google') expect(model).toBeInstanceOf(googlePlugin.LLM);
        else expect(model).toBeInstanceOf(openaiPlugin.LLM);
        if (s.provider === 'anthropic') {
          // ANTHROPIC_BASE_URL is the API root; the OpenAI-compatible endpoint is its v1/.
          const root = s.baseUrl ?? 'https://api.anthropic.com';
          expect(config.llm.baseUrl).toBe(`${root.replace(/\/$/, '')}/v1/`);
        }
        // Without the selected provider's key the configuration is refused, naming the variable.
        expect(() =>
          loadCoachConfig({
            API_BASE_URL: 'http://127.0.0.1:8787',
            SERVICE_API_TOKEN: SERVICE_TOKEN,
            VOICE_LLM_PROVIDER: s.provider,
          }),
        ).toThrow(`${prefix}_API_KEY`);
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 14: Instructions vary by agent type', () => {
    fc.assert(
      fc.property(contextArb, (context) => {
        const all = AGENT_TYPES.map((type) => buildInstructions(type, context));
        expect(new Set(all).size).toBe(AGENT_TYPES.length);
        AGENT_TYPES.forEach((type, i) => {
          const instructions = all[i] as string;
          expect(instructions.toLowerCase()).toContain(`${type} coach`);
          expect(instructions).toContain('Never use markdown');
          for (const tool of TOOL_NAMES) expect(instructions).toContain(tool);
          for (const injury of context.profile.injuries) expect(instructions).toContain(injury);
          expect(instructions).toContain(context.date);
        });
      }),
      RUNS,
    );
  });

  it('Feature: livekit-voice-agent, Property 15: Comprehensive logging (tool calls, without user data)', async () => {
    const secretish = fc
      .string({ minLength: 12, maxLength: 40 })
      .filter((s) => /^[a-z]{12,}$/i.test(s.trim()));
    await fc.assert(
      fc.asyncProperty(
        contextArb,
        secretish,
        fc.boolean(),
        async (generated, words, specialistFails) => {
          const name = `Zyx${words}Name`;
          const context = { ...generated, profile: { ...generated.profile, name } };
          const ports = recordingPorts();
          if (specialistFails) {
            ports.specialists.askSpecialist = async () => {
              throw new ApiRequestError(503, 'specialist_unavailable', 'down');
            };
          }
          const { tools, logger } = toolsFor(context, ports);
          await tools.get_todays_workout.execute({}, noToolOptions);
          await tools.get_todays_meals.execute({}, noToolOptions);
          await tools.log_workout_set.execute(
            { exercise: words, reps: 5, weight: 20 },
            noToolOptions,
          );
          await tools.ask_specialist_agent.execute(
            { query: words, specialist: 'general' },
            noToolOptions,
          );
          await tools.get_workout_progress.execute({}, noToolOptions);
          await tools.start_rest.execute({}, noToolOptions);
          await tools.add_rest_time.execute({ seconds: 30 }, noToolOptions);
          await tools.skip_rest.execute({}, noToolOptions);
          await tools.pause_workout.execute({}, noToolOptions);
          await tools.resume_workout.execute({}, noToolOptions);
          await tools.skip_exercise.execute({}, noToolOptions);
          await tools.repeat_last.execute({}, noToolOptions);
          await tools.finish_workout.execute({ note: words }, noToolOptions);
          const toolLines = logger.lines.filter((l) => l.event === 'tool_call');
          expect(toolLines.map((l) => l.fields.tool)).toEqual([...TOOL_NAMES]);
          for (const line of toolLines) {
            expect(Object.keys(line.fields).sort()).toEqual(['duration_ms', 'outcome', 'tool']);
            expect(typeof line.fields.duration_ms).toBe('number');
          }
          const specialistLine = toolLines.find((l) => l.fields.tool === 'ask_specialist_agent');
          expect(specialistLine?.fields.outcome).toBe(specialistFails ? 'failed' : 'ok');
          expect(specialistLine?.level).toBe(specialistFails ? 'warn' : 'info');
          const everything = JSON.stringify(logger.lines);
          expect(everything).not.toContain(words);
          expect(everything).not.toContain(name);
        },
      ),
      RUNS,
    );
  });
});
