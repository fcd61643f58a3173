/**
 * FitnessVoiceAgent: the coach for one user and one agent type, built from a context loaded
 * before the session starts. It holds no connections itself: the log sink and the specialist
 * client are handed in, so the same class runs in a LiveKit room, the text console and tests.
 */
import { type llm, voice } from '@livekit/agents';
import type { AgentType, CoachingContext } from '../shared/schemas.ts';
import { buildGreeting, buildInstructions } from './instructions.ts';
import { type ReplyDeadlineOptions, withReplyDeadline } from './resilience/reply-deadline.ts';
import { type CoachTools, type CoachToolsOptions, createCoachTools } from './tools.ts';

export interface FitnessVoiceAgentOptions extends CoachToolsOptions {
  agentType: AgentType;
  /** Deadlines for the model's replies; the logger is the agent's own. */
  replyDeadline?: Omit<ReplyDeadlineOptions, 'logger'>;
}

export class FitnessVoiceAgent extends voice.Agent {
  readonly agentType: AgentType;
  readonly userContext: CoachingContext;
  readonly greeting: string;
  readonly coachTools: CoachTools;
  readonly #replyDeadline: ReplyDeadlineOptions;

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
    this.#replyDeadline = { ...options.replyDeadline, logger: options.logger };
  }

  /** The framework's model call, with a spoken apology when it fails or goes quiet. */
  override async llmNode(
    chatCtx: llm.ChatContext,
    toolCtx: llm.ToolContext,
    modelSettings: voice.ModelSettings,
  ) {
    const reply = await voice.Agent.default.llmNode(this, chatCtx, toolCtx, modelSettings);
    return reply && withReplyDeadline(reply, this.#replyDeadline);
  }
}
