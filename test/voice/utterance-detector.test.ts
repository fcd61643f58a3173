/**
 * The Deepgram stand-in's endpointing on its own: speech is energy, an utterance ends after the
 * configured quiet (in audio or on the clock), and a click is not speech.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type DetectedUtterance,
  pcmRms,
  UtteranceDetector,
} from '../support/utterance-detector.ts';

const RATE = 16000;
const CHUNK_SECONDS = 0.1;

function chunk(amplitude: number): Buffer {
  const samples = RATE * CHUNK_SECONDS;
  const pcm = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    pcm.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * 200 * i) / RATE)), i * 2);
  }
  return pcm;
}

const LOUD = chunk(8000);
const QUIET = chunk(0);

describe('UtteranceDetector', () => {
  let now = 0;
  let started: number[];
  let ended: DetectedUtterance[];
  let detector: UtteranceDetector;

  beforeEach(() => {
    vi.useFakeTimers();
    now = 0;
    started = [];
    ended = [];
    detector = new UtteranceDetector(
      { endpointingMs: 300 },
      { onSpeechStarted: (at) => started.push(at), onUtteranceEnd: (u) => ended.push(u) },
      () => now,
    );
  });
  afterEach(() => {
    detector.stop();
    vi.useRealTimers();
  });

  it('measures RMS as a fraction of full scale', () => {
    expect(pcmRms(QUIET)).toBe(0);
    expect(pcmRms(LOUD)).toBeCloseTo(8000 / 32768 / Math.SQRT2, 2);
  });

  it('ends an utterance after 300 ms of quiet audio, with its audio times', () => {
    for (let i = 0; i < 5; i++) detector.push(LOUD, CHUNK_SECONDS);
    expect(started).toEqual([0]);
    detector.push(QUIET, CHUNK_SECONDS);
    detector.push(QUIET, CHUNK_SECONDS);
    expect(ended).toEqual([]);
    detector.push(QUIET, CHUNK_SECONDS);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ startSeconds: 0, endSeconds: 0.5 });
  });

  it('keeps one utterance across a pause shorter than the endpointing time', () => {
    detector.push(LOUD, CHUNK_SECONDS);
    detector.push(LOUD, CHUNK_SECONDS);
    detector.push(QUIET, CHUNK_SECONDS);
    detector.push(QUIET, CHUNK_SECONDS);
    detector.push(LOUD, CHUNK_SECONDS);
    for (let i = 0; i < 3; i++) detector.push(QUIET, CHUNK_SECONDS);
    expect(ended).toHaveLength(1);
    expect(ended[0]).toMatchObject({ startSeconds: 0, endSeconds: 0.5 });
  });

  it('ends by the clock when the audio stops coming', () => {
    detector.push(LOUD, CHUNK_SECONDS);
    detector.push(LOUD, CHUNK_SECONDS);
    now = 1000;
    vi.advanceTimersByTime(299);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ended).toHaveLength(1);
    expect(ended[0]?.detectedAt).toBe(1000);
  });

  it('ignores a click shorter than the minimum speech', () => {
    const clicky = new UtteranceDetector(
      { endpointingMs: 300, minSpeechMs: 200 },
      { onSpeechStarted: (at) => started.push(at), onUtteranceEnd: (u) => ended.push(u) },
      () => now,
    );
    clicky.push(LOUD, CHUNK_SECONDS);
    for (let i = 0; i < 4; i++) clicky.push(QUIET, CHUNK_SECONDS);
    expect(started).toEqual([]);
    expect(ended).toEqual([]);
    clicky.stop();
  });
});
