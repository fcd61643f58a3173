/**
 * A tool's own line: said instead of a second model request, and counted in the latency of the
 * turn it answers. The framework's side (no reply asked for, the conversation the model sees
 * next) runs in test/agent/coach.test.ts on the real AgentSession.
 */
import { EventEmitter } from 'node:events';
import type { llm, metrics, voice } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import { sayInsteadOfReplying, turnAnsweredBy } from '../../agent/say-instead-of-replying.ts';
import { SessionStats, type TurnLatency } from '../../agent/session-stats.ts';

/** The parts of a session and a tool call these functions use. */
function fakeSession(refuse = false) {
  const said: string[] = [];
  let next = 0;
  const session = Object.assign(new EventEmitter(), {
    say(text: string) {
      if (refuse) throw new Error('AgentSession is closing, cannot use say()');
      said.push(text);
      next += 1;
      return { id: `speech_said_${next}` };
    },
  }) as unknown as voice.AgentSession;
  const toolCall = (turnId: string, aborted = false) =>
    ({
      ctx: { session, speechHandle: { id: turnId } },
      toolCallId: 'call_1',
      abortSignal: aborted ? AbortSignal.abort() : new AbortController().signal,
    }) as unknown as llm.ToolOptions<unknown>;
  return { session, said, toolCall };
}

// The fields SessionStats reads; the rest of each metrics event does not matter here.
const eou = (speechId: string) =>
  ({
    type: 'eou_metrics',
    timestamp: 1000,
    endOfUtteranceDelayMs: 300,
    transcriptionDelayMs: 150,
    speechId,
  }) as unknown as metrics.AgentMetrics;
const llmFirstToken = (speechId: string) =>
  ({
    type: 'llm_metrics',
    ttftMs: 350,
    cancelled: false,
    speechId,
  }) as unknown as metrics.AgentMetrics;
const ttsFirstByte = (speechId: string, ttfbMs: number) =>
  ({ type: 'tts_metrics', ttfbMs, cancelled: false, speechId }) as unknown as metrics.AgentMetrics;

describe('sayInsteadOfReplying', () => {
  it('says the line and returns nothing, so the model is not asked again', () => {
    const { session, said, toolCall } = fakeSession();
    expect(sayInsteadOfReplying(toolCall('speech_turn'), 'Logged 10 reps.')).toBeUndefined();
    expect(said).toEqual(['Logged 10 reps.']);
    expect(turnAnsweredBy(session, 'speech_said_1')).toBe('speech_turn');
    expect(turnAnsweredBy(session, 'speech_other')).toBeUndefined();
  });

  it('returns the line for the model when it cannot be said', () => {
    expect(sayInsteadOfReplying(undefined, 'No session.')).toBe('No session.');
    const interrupted = fakeSession();
    expect(sayInsteadOfReplying(interrupted.toolCall('t', true), 'Too late.')).toBe('Too late.');
    expect(interrupted.said).toEqual([]);
    const closing = fakeSession(true);
    expect(sayInsteadOfReplying(closing.toolCall('t'), 'Closing.')).toBe('Closing.');
  });
});

describe('a turn answered by a tool line', () => {
  it("counts the line's first audio in the turn's latency, once", () => {
    const { session, toolCall } = fakeSession();
    const turns: TurnLatency[] = [];
    const stats = new SessionStats(0, undefined, (turn) => turns.push(turn));
    stats.attach(session);
    stats.recordMetrics(eou('speech_turn'));
    stats.recordMetrics(llmFirstToken('speech_turn'));
    // The model called the tool; nothing of the turn's own speech was synthesised.
    expect(turns).toEqual([]);
    sayInsteadOfReplying(toolCall('speech_turn'), 'Logged 10 reps of squat at 60 kg.');
    stats.recordMetrics(ttsFirstByte('speech_said_1', 90));
    expect(turns).toEqual([
      {
        committed_at: 1000,
        eou_delay_ms: 300,
        transcription_delay_ms: 150,
        llm_ttft_ms: 350,
        tts_ttfb_ms: 90,
        end_to_end_ms: 740,
      },
    ]);
    // Speech no tool said (the greeting, the end-of-rest call) is no turn's answer.
    stats.recordMetrics(ttsFirstByte('speech_greeting', 80));
    expect(turns).toHaveLength(1);
    expect(stats.summary(10_000).end_to_end_ms.count).toBe(1);
  });
});
