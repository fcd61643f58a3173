/**
 * The conversation as the page shows it, assembled from the agent framework's transcription text
 * streams (topic `lk.transcription`). The framework publishes a segment in one of two ways, and
 * one rule serves both: a segment's text is the text its latest stream has carried so far.
 * - The coach's speech: one stream per segment whose chunks are appended deltas; the stream ends
 *   when the segment does.
 * - The user's speech: one short stream per interim result, each carrying the whole text so far,
 *   all with the same segment id; the last has `lk.transcription_final` = "true".
 * Typed messages are added by the page itself: the framework does not echo them back.
 */

/** The framework's attribute names (agents-js src/constants.ts). */
export const TRANSCRIPTION_ATTRIBUTES = {
  segmentId: 'lk.segment_id',
  final: 'lk.transcription_final',
  trackId: 'lk.transcribed_track_id',
} as const;

export type Speaker = 'user' | 'coach';

export interface TranscriptLine {
  id: string;
  speaker: Speaker;
  text: string;
  /** Still being said or recognised: the text may change. */
  pending: boolean;
  /** Typed by the user rather than spoken. */
  typed: boolean;
}

interface Segment extends TranscriptLine {
  /** The stream whose text the segment shows. */
  streamId: string;
}

export interface StreamStart {
  streamId: string;
  speaker: Speaker;
  attributes: Readonly<Record<string, string>>;
}

export class Transcript {
  readonly #segments = new Map<string, Segment>();
  /** Segment id and text so far, per open stream. */
  readonly #streams = new Map<string, { segmentId: string; text: string; final: boolean }>();
  #typedCount = 0;

  /** A transcription stream began; its chunks follow through `append`. */
  open({ streamId, speaker, attributes }: StreamStart): void {
    // A stream without a segment id still gets a line of its own.
    const segmentId = attributes[TRANSCRIPTION_ATTRIBUTES.segmentId] || `stream-${streamId}`;
    const final = attributes[TRANSCRIPTION_ATTRIBUTES.final] === 'true';
    this.#streams.set(streamId, { segmentId, text: '', final });
    const existing = this.#segments.get(segmentId);
    if (existing) {
      existing.streamId = streamId;
      existing.pending = !final;
      return;
    }
    this.#segments.set(segmentId, {
      id: segmentId,
      speaker,
      text: '',
      pending: !final,
      typed: false,
      streamId,
    });
  }

  append(streamId: string, chunk: string): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    stream.text += chunk;
    const segment = this.#segments.get(stream.segmentId);
    // A newer stream of the same segment has taken over: this one's text is out of date.
    if (segment?.streamId === streamId) segment.text = stream.text.trim();
  }

  /** The stream ended: a coach segment is complete; a user segment waits for its final one. */
  close(streamId: string): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    this.#streams.delete(streamId);
    const segment = this.#segments.get(stream.segmentId);
    if (segment?.streamId === streamId && (stream.final || segment.speaker === 'coach')) {
      segment.pending = false;
    }
  }

  /** A message the user typed (sent on the framework's chat topic). */
  typed(text: string): void {
    const id = `typed-${++this.#typedCount}`;
    this.#segments.set(id, {
      id,
      speaker: 'user',
      text,
      pending: false,
      typed: true,
      streamId: id,
    });
  }

  /** Lines in the order they began, without ones that have no text yet. */
  lines(): TranscriptLine[] {
    return [...this.#segments.values()]
      .filter((segment) => segment.text.length > 0)
      .map(({ streamId: _streamId, ...line }) => line);
  }
}

/**
 * Who said a transcribed segment: the user when it transcribes one of the user's own tracks or
 * was sent on the user's behalf, otherwise the coach.
 */
export function speakerOf(
  attributes: Readonly<Record<string, string>>,
  senderIdentity: string,
  user: { identity: string; trackIds: ReadonlySet<string> },
): Speaker {
  const trackId = attributes[TRANSCRIPTION_ATTRIBUTES.trackId];
  if (trackId && user.trackIds.has(trackId)) return 'user';
  return senderIdentity === user.identity ? 'user' : 'coach';
}
