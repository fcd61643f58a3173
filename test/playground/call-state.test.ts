/** The page's call state machine: every transition a call goes through, and the ones refused. */
import { describe, expect, it } from 'vitest';
import {
  type CallEvent,
  type CallState,
  describeCallState,
  initialCallState,
  isActive,
  nextCallState,
} from '../../workers/playground/page/call-state.ts';
import { describeFailure } from '../../workers/playground/page/errors.ts';

const run = (events: CallEvent[], from: CallState = initialCallState) =>
  events.reduce(nextCallState, from);

const dropped = describeFailure(new Error('gone'), 'room');

describe('nextCallState', () => {
  it('goes from idle through the room to the coach, then follows its state', () => {
    const state = run([
      { type: 'connect' },
      { type: 'room_joined' },
      { type: 'coach_joined' },
      { type: 'agent_state', state: 'listening' },
      { type: 'agent_state', state: 'thinking' },
      { type: 'agent_state', state: 'speaking' },
    ]);
    expect(state).toEqual({ phase: 'in_call', agent: 'speaking' });
    expect(describeCallState(state)).toBe('Coach is speaking');
  });

  it("takes the agent's state attribute as proof the coach has joined", () => {
    expect(
      run([
        { type: 'connect' },
        { type: 'room_joined' },
        { type: 'agent_state', state: 'listening' },
      ]),
    ).toEqual({ phase: 'in_call', agent: 'listening' });
  });

  it('ignores agent states it does not know', () => {
    const inCall: CallState = { phase: 'in_call', agent: 'listening' };
    expect(nextCallState(inCall, { type: 'agent_state', state: 'dancing' })).toBe(inCall);
  });

  it('keeps the agent state across a reconnect', () => {
    const inCall: CallState = { phase: 'in_call', agent: 'thinking' };
    const lost = nextCallState(inCall, { type: 'connection_lost' });
    expect(lost).toEqual({ phase: 'reconnecting', agent: 'thinking' });
    expect(describeCallState(lost)).toMatch(/reconnecting/);
    expect(nextCallState(lost, { type: 'connection_back' })).toEqual(inCall);
  });

  it('does not take the coach for gone while the connection itself is lost', () => {
    const lost: CallState = { phase: 'reconnecting', agent: 'listening' };
    expect(nextCallState(lost, { type: 'coach_left' })).toBe(lost);
  });

  it('does not start a second call while one is active', () => {
    const waiting: CallState = { phase: 'waiting_for_coach' };
    expect(nextCallState(waiting, { type: 'connect' })).toBe(waiting);
  });

  it('starts a new call after one ended or failed', () => {
    expect(nextCallState({ phase: 'ended' }, { type: 'connect' })).toEqual({ phase: 'connecting' });
    expect(nextCallState({ phase: 'failed', error: dropped }, { type: 'connect' })).toEqual({
      phase: 'connecting',
    });
  });

  it('ends on hang-up or when the coach leaves, and fails from anywhere', () => {
    const inCall: CallState = { phase: 'in_call', agent: 'listening' };
    expect(nextCallState(inCall, { type: 'hang_up' })).toEqual({ phase: 'ended' });
    expect(nextCallState(inCall, { type: 'coach_left' })).toEqual({ phase: 'ended' });
    expect(nextCallState(initialCallState, { type: 'hang_up' })).toBe(initialCallState);
    const failed = nextCallState(inCall, { type: 'failed', error: dropped });
    expect(failed).toEqual({ phase: 'failed', error: dropped });
    expect(describeCallState(failed)).toBe(dropped.title);
  });

  it('ignores room events that arrive after the call ended', () => {
    const ended: CallState = { phase: 'ended' };
    for (const event of [
      { type: 'room_joined' },
      { type: 'coach_joined' },
      { type: 'agent_state', state: 'speaking' },
      { type: 'connection_lost' },
      { type: 'connection_back' },
      { type: 'coach_left' },
    ] as const) {
      expect(nextCallState(ended, event)).toBe(ended);
    }
  });

  it('counts a call as active from connecting until it ends', () => {
    expect(isActive({ phase: 'connecting' })).toBe(true);
    expect(isActive({ phase: 'reconnecting', agent: 'idle' })).toBe(true);
    expect(isActive({ phase: 'ended' })).toBe(false);
    expect(isActive(initialCallState)).toBe(false);
  });
});
