/**
 * FitnessVoiceAgent: the coach for one user and one agent type, built from a context loaded
 * before the session starts. It holds no connections itself: the log sink and the specialist
 * client are handed in, so the same class runs in a LiveKit room, the text console and tests.
 */
import { voice } from '@livekit/agents';
import type { AgentType, CoachingContext } from '../shared/schemas.ts';
import { WorkoutCoach, type WorkoutCoachOptions } from './coaching/workout-coach.ts';
import { buildGreeting, buildInstructions } from './instructions.ts';
import { type CoachTools, type CoachToolsOptions, createCoachTools } from './tools.ts';

export interface FitnessVoiceAgentOptions extends CoachToolsOptions {
  agentType: AgentType;
  /** How the session follows today's workout (rest warning, summary sink, timers). */
  coaching?: Omit<WorkoutCoachOptions, 'context' | 'clock' | 'logger'>;
}

export class FitnessVoiceAgent extends voice.Agent {
  readonly agentType: AgentType;
  readonly userContext: CoachingContext;
  readonly greeting: string;
  readonly coachTools: CoachTools;
  readonly workout: WorkoutCoach;

  constructor(options: FitnessVoiceAgentOptions) {
    const { context, clock, logger } = options;
    const workout =
      options.workout ?? new WorkoutCoach({ context, clock, logger, ...options.coaching });
    const tools = createCoachTools({ ...options, workout });
    super({
      instructions: buildInstructions(options.agentType, options.context),
      tools: Object.values(tools),
    });
    this.agentType = options.agentType;
    this.userContext = options.context;
    this.greeting = buildGreeting(options.agentType, options.context);
    this.coachTools = tools;
    this.workout = workout;
  }

  /** From here on the coach may speak unprompted in this session (the end of a rest). */
  override async onEnter(): Promise<void> {
    this.workout.attach(this.session);
  }
}
