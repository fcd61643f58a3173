/**
 * The transcriber used when every caller says one known line: most of the line is the line, a
 * piece cut off at a gap in the caller's audio is nothing intelligible.
 */
import { describe, expect, it } from 'vitest';
import { CALLER_LINES } from '../support/coach-script.ts';
import type { DeepgramStream, HeardUtterance } from '../support/deepgram-standin.ts';
import { spokenSeconds, wholeLineTranscriber } from '../support/whole-line-transcriber.ts';

const line = CALLER_LINES.workout;
const stream = {} as DeepgramStream;
const piece = (seconds: number): HeardUtterance => ({
  requestId: 'r1',
  startSeconds: 2,
  endSeconds: 2 + seconds,
  lastLoudAt: 0,
  detectedAt: 0,
});

describe('wholeLineTranscriber', () => {
  it('hears the line in a piece that is most of it, and nothing in a fragment', async () => {
    const transcribe = await wholeLineTranscriber(line);
    const seconds = await spokenSeconds(line);
    expect(seconds).toBeGreaterThan(0.5);
    expect(transcribe(piece(seconds), stream)).toBe(line);
    expect(transcribe(piece(seconds * 0.6), stream)).toBe(line);
    expect(transcribe(piece(seconds * 0.4), stream)).toBeUndefined();
    expect(transcribe(piece(0.15), stream)).toBeUndefined();
  });
});
