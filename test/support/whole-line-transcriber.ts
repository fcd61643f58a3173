/**
 * A transcriber for the Deepgram stand-in when every caller says one known line (the five-caller
 * scenario, the capacity bench's ramp). A machine too busy to send a caller's audio evenly can
 * break the line into two pieces at a gap; only the piece that is most of the line is heard as
 * the line. A transcript for the other would be a turn of its own that cuts off the answer to
 * the first, where a real transcriber would hear a fragment, not the whole question again.
 */
import type { DeepgramStandin, Transcriber } from './deepgram-standin.ts';
import { defaultSpeechAudioOptions, renderSpeech } from './speech-audio.ts';

/** How long the callers take to say `line` (they speak it as renderSpeech renders it). */
export async function spokenSeconds(line: string): Promise<number> {
  return (await renderSpeech(line)).length / defaultSpeechAudioOptions.sampleRate;
}

export async function wholeLineTranscriber(line: string): Promise<Transcriber> {
  const lineSeconds = await spokenSeconds(line);
  return (piece) => (piece.endSeconds - piece.startSeconds >= lineSeconds / 2 ? line : undefined);
}

/** Pieces heard since `heardBefore` (an index into `utterances`) that got no transcript. */
export function fragmentsSince(deepgram: DeepgramStandin, heardBefore: number): number {
  return deepgram.utterances.slice(heardBefore).filter((piece) => piece.transcript === undefined)
    .length;
}
