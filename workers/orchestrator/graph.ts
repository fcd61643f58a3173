/**
 * The orchestrator as a LangGraph state graph:
 *
 *   START ─┬─ load_user ──────────┬─ dispatch ─┬─ workout | diet | supplement
 *          └─ classify (if the    ┘            └─ tracker | scheduler | general ── END
 *             caller named none)
 *
 * The user's data loads while the classifier runs, so routing costs no extra database round
 * trip. `dispatch` starts once both are done and hands over to the chosen specialist.
 *
 * The `/web` entry avoids node:async_hooks; nothing here relies on callbacks being propagated
 * implicitly, and the same code then runs in workerd and Node.
 */
import type { LangGraphRunnableConfig } from '@langchain/langgraph/web';
import { Annotation, END, START, StateGraph } from '@langchain/langgraph/web';
import { SPECIALISTS, type Specialist } from '../../shared/schemas.ts';
import type { CoachingData } from '../ports.ts';
import { Budget } from './budget.ts';

export const OrchestratorState = Annotation.Root({
  userId: Annotation<string>,
  query: Annotation<string>,
  /** Named by the caller, or chosen by the classifier. */
  specialist: Annotation<Specialist | undefined>,
  data: Annotation<CoachingData>,
  answer: Annotation<string>,
});
export type OrchestratorGraphState = typeof OrchestratorState.State;

/** What each node does; the graph only decides the order. */
export interface OrchestratorNodes {
  loadUser(userId: string, budget: Budget): Promise<CoachingData>;
  classify(query: string, budget: Budget): Promise<Specialist>;
  answer(specialist: Specialist, state: OrchestratorGraphState, budget: Budget): Promise<string>;
}

/** The per-question budget travels in the run's configuration, not in the graph state. */
export function runConfig(budget: Budget): LangGraphRunnableConfig {
  return { configurable: { budget }, signal: budget.signal };
}

function budgetOf(config: LangGraphRunnableConfig): Budget {
  const budget: unknown = config.configurable?.budget;
  if (!(budget instanceof Budget))
    throw new Error('the orchestrator graph was run without a budget');
  return budget;
}

type SpecialistNode = (
  state: OrchestratorGraphState,
  config: LangGraphRunnableConfig,
) => Promise<Partial<OrchestratorGraphState>>;

export function buildOrchestratorGraph(nodes: OrchestratorNodes) {
  const specialistNodes = Object.fromEntries(
    SPECIALISTS.map((name): [Specialist, SpecialistNode] => [
      name,
      async (state, config) => ({ answer: await nodes.answer(name, state, budgetOf(config)) }),
    ]),
  ) as Record<Specialist, SpecialistNode>;

  const graph = new StateGraph(OrchestratorState)
    .addNode('load_user', async (state, config) => ({
      data: await nodes.loadUser(state.userId, budgetOf(config)),
    }))
    .addNode('classify', async (state, config) => ({
      specialist: await nodes.classify(state.query, budgetOf(config)),
    }))
    .addNode('dispatch', () => ({}))
    .addNode(specialistNodes)
    .addConditionalEdges(
      START,
      (state) => (state.specialist ? ['load_user'] : ['load_user', 'classify']),
      ['load_user', 'classify'],
    )
    .addEdge('load_user', 'dispatch')
    .addEdge('classify', 'dispatch')
    .addConditionalEdges('dispatch', (state) => state.specialist ?? 'general', [...SPECIALISTS]);
  for (const name of SPECIALISTS) graph.addEdge(name, END);
  return graph.compile({ name: 'specialist_orchestrator' });
}
