/**
 * FitnessVoiceAgent: the coach for one user and one agent type, built from a context loaded
 * before the session starts. It holds no connections itself: the log sink and the specialist
 * client are handed in, so the same class runs in a LiveKit room, the text console and tests.
 */
import { voice } from '@livekit/agents';
import type { AgentType, CoachingContext } from '../shared/schemas.ts';
import { buildGreeting, buildInstructions } from './instructions.ts';
import { type CoachTools, type CoachToolsOptions, createCoachTools } from './tools.ts';

export interface FitnessVoiceAgentOptions extends CoachToolsOptions {
  agentType: AgentType;
}

export class FitnessVoiceAgent extends voice.Agent {
  readonly agentType: AgentType;
  readonly userContext: CoachingContext;
  readonly greeting: string;
  readonly coachTools: CoachTools;

  constructor(options: FitnessVoiceAgentOptions) {
    const tools = createCoachTools(options);
    super({
      instructions: buildInstructions(options.agentType, options.context),
      tools: Object.values(tools),
    });
    this.agentType = options.agentType;
    this.userContext = options.context;
    this.greeting = buildGreeting(options.agentType, options.context);
    this.coachTools = tools;
  }
}
