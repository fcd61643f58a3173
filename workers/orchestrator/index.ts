/**
 * The specialist orchestrator: routes a question to one of six specialists (see graph.ts) and
 * answers it from the user's own data within the latency budget, or fails with one friendly,
 * typed error. Without a configured provider there is no orchestrator and the route says which
 * variables to set.
 */
import { HumanMessage, SystemMessage } from '@langchain/core/messages';
import { errorName } from '../../shared/runtime.ts';
import { SPECIALISTS, type Specialist } from '../../shared/schemas.ts';
import type { ApiConfig } from '../config.ts';
import type { Clock, CoachingRepository, Logger, Orchestrator } from '../ports.ts';
import { Budget, callWithinBudget } from './budget.ts';
import { createChatModel } from './chat-model.ts';
import { CLASSIFIER_PROMPT, parseSpecialist } from './classifier.ts';
import { type ChatRunnable, converse, withTools } from './conversation.ts';
import { SpecialistUnavailableError, UnknownUserError } from './errors.ts';
import { buildOrchestratorGraph, runConfig } from './graph.ts';
import { buildSystemPrompt, SPECIALIST_DEFINITIONS, specialistInput } from './specialists.ts';

export {
  SPECIALIST_UNAVAILABLE_MESSAGE,
  SpecialistUnavailableError,
  UnknownUserError,
} from './errors.ts';

export interface OrchestratorOptions {
  config: ApiConfig['orchestrator'];
  repository: CoachingRepository;
  logger: Logger;
  clock: Clock;
}

/** About a minute of speech; also bounds how long a reply takes to generate. */
const ANSWER_MAX_TOKENS = 300;
const ANSWER_TEMPERATURE = 0.4;
/** The classifier answers with one word. */
const CLASSIFIER_MAX_TOKENS = 5;

function asFailure(error: unknown, budget: Budget): SpecialistUnavailableError | UnknownUserError {
  if (error instanceof SpecialistUnavailableError || error instanceof UnknownUserError)
    return error;
  if (budget.signal.aborted) return budget.stopped(error);
  return new SpecialistUnavailableError('internal', { cause: error });
}

export function createOrchestrator(options: OrchestratorOptions): Orchestrator | null {
  const { config, repository, logger, clock } = options;
  if (!config) return null;

  const answerModel = createChatModel(config, {
    model: config.model,
    maxTokens: ANSWER_MAX_TOKENS,
    temperature: ANSWER_TEMPERATURE,
  });
  const classifierModel = createChatModel(config, {
    model: config.classifierModel,
    maxTokens: CLASSIFIER_MAX_TOKENS,
    temperature: 0,
  });
  const runnables = Object.fromEntries(
    SPECIALISTS.map((name) => [name, withTools(answerModel, SPECIALIST_DEFINITIONS[name].tools)]),
  ) as Record<Specialist, ChatRunnable>;

  const graph = buildOrchestratorGraph({
    async loadUser(userId, budget) {
      const data = await budget.race(repository.findCoachingData(userId));
      if (!data) throw new UnknownUserError(userId);
      return data;
    },
    async classify(query, budget) {
      const messages = [new SystemMessage(CLASSIFIER_PROMPT), new HumanMessage(query)];
      const reply = await callWithinBudget(budget, (signal) =>
        classifierModel.invoke(messages, { signal }),
      );
      return parseSpecialist(reply.text);
    },
    async answer(specialist, state, budget) {
      const definition = SPECIALIST_DEFINITIONS[specialist];
      const toolContext = {
        userId: state.userId,
        timeZone: state.data.profile.time_zone,
        repository,
        clock,
      };
      const systemPrompt = await budget.race(
        buildSystemPrompt(definition, specialistInput(toolContext, state.data)),
      );
      return converse({
        runnable: runnables[specialist],
        tools: definition.tools,
        toolContext,
        systemPrompt,
        query: state.query,
        budget,
        logger,
      });
    },
  });

  return {
    async answer({ userId, query, specialist }, signal) {
      const budget = new Budget(config.timeoutMs, signal);
      const started = performance.now();
      const route = specialist ? 'direct' : 'classified';
      try {
        const state = await budget.race(
          graph.invoke({ userId, query, specialist }, runConfig(budget)),
        );
        const chosen = state.specialist ?? 'general';
        logger.info('specialist_answered', {
          user_id: userId,
          specialist: chosen,
          route,
          elapsed_ms: Math.round(performance.now() - started),
        });
        return { specialist: chosen, answer: state.answer };
      } catch (error) {
        const failure = asFailure(error, budget);
        if (failure instanceof SpecialistUnavailableError) {
          logger.error('specialist_failed', {
            user_id: userId,
            specialist: specialist ?? null,
            route,
            reason: failure.reason,
            provider_status: failure.status ?? null,
            error: errorName(failure.cause),
            elapsed_ms: Math.round(performance.now() - started),
          });
        }
        throw failure;
      }
    },
  };
}
