/**
 * A transcriber for the Deepgram stand-in when every caller says one known line (the five-caller
 * scenario, the capacity bench's ramp). A machine too busy to send a caller's audio evenly can
 * break the line into two pieces at a gap; only the piece that is most of the line is heard as
 * the line. A transcript for the other would be a turn of its own that cuts off the answer to
 * the first, where a real transcriber would hear a fragment, not the whole question again.
 */
import type { Transcriber } from './deepgram-standin.ts';
import { defaultSpeechAudioOptions, renderSpeech } from './speech-audio.ts';

export async function wholeLineTranscriber(line: string): Promise<Transcriber> {
  const audio = await renderSpeech(line);
  const lineSeconds = audio.length / defaultSpeechAudioOptions.sampleRate;
  return (piece) => (piece.endSeconds - piece.startSeconds >= lineSeconds / 2 ? line : undefined);
}
