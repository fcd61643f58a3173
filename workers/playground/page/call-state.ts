/**
 * The call's state machine: what the page shows and which controls work. One pure reducer, so the
 * page's event handlers only report what happened and every transition can be tested without a
 * browser. Events that make no sense in a state leave it unchanged.
 */
import type { PlaygroundError } from './errors.ts';

/** The agent's own state, from its `lk.agent.state` participant attribute. */
export const AGENT_STATES = ['initializing', 'idle', 'listening', 'thinking', 'speaking'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export type CallState =
  | { phase: 'idle' }
  | { phase: 'connecting' }
  /** In the room; the coach has not joined yet. */
  | { phase: 'waiting_for_coach' }
  | { phase: 'in_call'; agent: AgentState }
  /** The connection dropped; the SDK is trying to get it back. */
  | { phase: 'reconnecting'; agent: AgentState }
  | { phase: 'ended' }
  | { phase: 'failed'; error: PlaygroundError };

export type CallEvent =
  | { type: 'connect' }
  | { type: 'room_joined' }
  | { type: 'coach_joined' }
  | { type: 'agent_state'; state: string }
  | { type: 'connection_lost' }
  | { type: 'connection_back' }
  | { type: 'coach_left' }
  | { type: 'hang_up' }
  | { type: 'failed'; error: PlaygroundError };

export const initialCallState: CallState = { phase: 'idle' };

export function isAgentState(value: string | undefined): value is AgentState {
  return (AGENT_STATES as readonly string[]).includes(value ?? '');
}

/** True while a call holds a room (a new one may not start). */
export function isActive(state: CallState): boolean {
  return ['connecting', 'waiting_for_coach', 'in_call', 'reconnecting'].includes(state.phase);
}

export function nextCallState(state: CallState, event: CallEvent): CallState {
  switch (event.type) {
    case 'connect':
      return isActive(state) ? state : { phase: 'connecting' };
    case 'room_joined':
      return state.phase === 'connecting' ? { phase: 'waiting_for_coach' } : state;
    case 'coach_joined':
      return state.phase === 'waiting_for_coach' || state.phase === 'connecting'
        ? { phase: 'in_call', agent: 'initializing' }
        : state;
    case 'agent_state':
      if (!isAgentState(event.state)) return state;
      if (state.phase === 'in_call' || state.phase === 'reconnecting') {
        return { ...state, agent: event.state };
      }
      // The attribute can arrive before the join event is seen: it proves the coach is there.
      return state.phase === 'waiting_for_coach' ? { phase: 'in_call', agent: event.state } : state;
    case 'connection_lost':
      return state.phase === 'in_call' ? { phase: 'reconnecting', agent: state.agent } : state;
    case 'connection_back':
      return state.phase === 'reconnecting' ? { phase: 'in_call', agent: state.agent } : state;
    case 'coach_left':
      // While reconnecting, everyone seems to leave: that is the lost connection, not the coach.
      return state.phase === 'in_call' ? { phase: 'ended' } : state;
    case 'hang_up':
      return isActive(state) ? { phase: 'ended' } : state;
    case 'failed':
      return { phase: 'failed', error: event.error };
  }
}

/** The words the status line shows. */
export function describeCallState(state: CallState): string {
  switch (state.phase) {
    case 'idle':
      return 'Not connected';
    case 'connecting':
      return 'Connecting…';
    case 'waiting_for_coach':
      return 'Waiting for the coach to join…';
    case 'in_call':
      return state.agent === 'initializing' ? 'Coach is getting ready…' : `Coach is ${state.agent}`;
    case 'reconnecting':
      return 'Connection lost, reconnecting…';
    case 'ended':
      return 'Call ended';
    case 'failed':
      return state.error.title;
  }
}
