/**
 * Speaks up unprompted (the end of a rest, a warning) without ever talking over the user: a line
 * waits while the user speaks, for a short grace after they stop (the framework may still be
 * deciding that their turn ended), and while the coach itself is thinking or speaking.
 * Only the newest waiting line is kept: "rest is over" replaces "ten seconds left".
 */
import { voice } from '@livekit/agents';
import type { Clock } from '../../shared/runtime.ts';
import type { Timers } from './timers.ts';

/** What the announcer needs of an AgentSession. */
export type SpeakingSession = Pick<
  voice.AgentSession,
  'userState' | 'agentState' | 'on' | 'off' | 'say'
>;

export interface AnnouncerOptions {
  clock: Clock;
  timers: Timers;
  /** How long after the user stops speaking a line still waits for their turn to end. */
  turnGraceMs?: number;
}

export const defaultAnnouncerOptions = {
  turnGraceMs: 1500,
} as const satisfies Partial<AnnouncerOptions>;

const BUSY_AGENT_STATES: ReadonlySet<voice.AgentState> = new Set([
  'initializing',
  'thinking',
  'speaking',
]);

export class Announcer {
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #turnGraceMs: number;
  #session: SpeakingSession | null = null;
  #pending: string | null = null;
  #userStoppedAt = Number.NEGATIVE_INFINITY;
  #cancelRecheck: (() => void) | null = null;

  constructor(options: AnnouncerOptions) {
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#turnGraceMs = options.turnGraceMs ?? defaultAnnouncerOptions.turnGraceMs;
  }

  attach(session: SpeakingSession): void {
    this.detach();
    this.#session = session;
    session.on(voice.AgentSessionEventTypes.UserStateChanged, this.#onUserState);
    session.on(voice.AgentSessionEventTypes.AgentStateChanged, this.#onAgentState);
    this.#check();
  }

  detach(): void {
    this.#session?.off(voice.AgentSessionEventTypes.UserStateChanged, this.#onUserState);
    this.#session?.off(voice.AgentSessionEventTypes.AgentStateChanged, this.#onAgentState);
    this.#session = null;
    this.cancel();
  }

  /** Speaks `text` as soon as nobody is talking. */
  announce(text: string): void {
    this.#pending = text;
    this.#check();
  }

  /** Drops the waiting line, if any (the rest it announced was skipped or paused). */
  cancel(): void {
    this.#pending = null;
    this.#cancelRecheck?.();
    this.#cancelRecheck = null;
  }

  get waiting(): string | null {
    return this.#pending;
  }

  #onUserState = (event: voice.UserStateChangedEvent) => {
    if (event.oldState === 'speaking') this.#userStoppedAt = this.#clock.now().getTime();
    this.#check();
  };

  #onAgentState = () => this.#check();

  #check(): void {
    const session = this.#session;
    if (this.#pending === null || session === null) return;
    if (session.userState === 'speaking' || BUSY_AGENT_STATES.has(session.agentState)) return;
    const graceLeft = this.#userStoppedAt + this.#turnGraceMs - this.#clock.now().getTime();
    if (graceLeft > 0) {
      this.#cancelRecheck?.();
      this.#cancelRecheck = this.#timers.after(graceLeft, () => {
        this.#cancelRecheck = null;
        this.#check();
      });
      return;
    }
    const text = this.#pending;
    this.#pending = null;
    try {
      session.say(text);
    } catch {
      // A closing session refuses new speech; there is nobody left to tell.
    }
  }
}
