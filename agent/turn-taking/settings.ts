/**
 * How the coach takes turns: when it decides the user has finished, how soon it yields when the
 * user talks over it, and what it prepares before it is sure. Chosen by measurement on the voice
 * rig (`npm run bench:voice`, bench/results/voice.json); the README's "Voice latency" section has
 * the figures behind each value.
 */
import type { voice } from '@livekit/agents';
import { UnfinishedSentenceTurnDetector } from './turn-detector.ts';

type TurnHandling = NonNullable<voice.AgentSessionOptions['turnHandling']>;

/**
 * End of turn. The voice detector hears the user stop; the unfinished-sentence detector then
 * picks the wait: `minDelay` after a finished sentence, `maxDelay` after "log ten squats ...".
 * - minDelay 300 ms (framework default 500): the gap people leave between turns is about 200 ms;
 *   with the detector guarding unfinished sentences, 300 ms more than covers the pauses between
 *   words, and it is no longer the slowest part of a turn (the transcript is).
 * - maxDelay 1500 ms (default 3000): the longest a finished-looking-but-unfinished request waits;
 *   the mid-request pauses people make (400 to 600 ms before a weight) stay well inside it.
 * - dynamic: a user who pauses longer between phrases teaches it a longer minDelay (never above
 *   maxDelay), so a slow speaker is not cut off twice.
 */
export const ENDPOINTING = { mode: 'dynamic', minDelay: 300, maxDelay: 1500 } as const;

/**
 * Barge-in. 120 ms of speech over the coach pauses it (default 500 ms, which let the coach talk
 * on for over half a second after the user began: people stop within about 200 to 300 ms of
 * being talked over). What the user hears is that plus the trip to the agent and back. A cough
 * or a "mm-hm" that brings no transcript within 1 s resumes the coach where it paused (default
 * 2 s of dead air), so a short minimum costs a brief pause, never a lost answer.
 */
export const INTERRUPTION = {
  mode: 'vad',
  minDuration: 120,
  resumeFalseInterruption: true,
  falseInterruptionTimeout: 1000,
} as const;

/**
 * The model is asked before the turn is committed, and its answer is kept when the committed
 * transcript is the same (the framework's default): on Flux (the default speech-to-text) at its
 * eager end of turn, a preflight transcript about 150 ms before the final one; on Nova at each
 * final transcript. A turn that resumes after an eager end is asked again, up to the framework's
 * `maxRetries` (3). Speech is not synthesised ahead (`preemptiveTts` stays off): with a real
 * model the first token arrives after the commit anyway, so early speech gains nothing there and
 * pays for audio of every discarded guess, such as the half-request of a user still speaking.
 */
export const PREEMPTIVE_GENERATION = { enabled: true, preemptiveTts: false } as const;

export function coachTurnHandling(): TurnHandling {
  return {
    // Local only: no hosted turn-detection model, no model download.
    turnDetection: new UnfinishedSentenceTurnDetector(),
    endpointing: { ...ENDPOINTING },
    interruption: { ...INTERRUPTION },
    preemptiveGeneration: { ...PREEMPTIVE_GENERATION },
  };
}
