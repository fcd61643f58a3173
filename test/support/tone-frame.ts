/**
 * One frame of a steady tone, for tests that need audio to flow but not to be understood (where
 * the voice detector must hear a voice, speech-audio.ts renders real speech instead). Loud enough
 * for the Deepgram plugin's energy filter to pass it.
 */
import { AudioFrame } from '@livekit/rtc-node';

export function toneFrame(sampleRate: number, frameMs = 10): AudioFrame {
  const samples = (sampleRate * frameMs) / 1000;
  const data = new Int16Array(samples);
  for (let i = 0; i < samples; i++) data[i] = Math.round(3000 * Math.sin(i / 3));
  return new AudioFrame(data, sampleRate, 1, samples);
}
