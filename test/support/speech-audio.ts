/**
 * Real speech for the simulated caller: espeak-ng renders a sentence as a WAV file, which is
 * resampled to the caller's rate with the LiveKit resampler. A tone would not do: the agent's voice activity
 * detection (silero) must hear a human-like voice. Renders are cached on disk by their text, voice
 * and rate, so a test run pays for each sentence once.
 *
 * espeak-ng pauses about 300 ms between sentences, which an endpointer hears as the end of a
 * turn: give the caller one sentence per turn.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AudioFrame, AudioResampler, AudioResamplerQuality } from '@livekit/rtc-node';

const run = promisify(execFile);

export interface SpeechAudioOptions {
  /** Samples per second of the PCM returned. */
  sampleRate?: number;
  /** espeak-ng voice name. */
  voice?: string;
  /** Words per minute. */
  wordsPerMinute?: number;
  /** Where renders are kept between runs. */
  cacheDir?: string;
}

export const defaultSpeechAudioOptions = {
  sampleRate: 48000,
  voice: 'en-us',
  wordsPerMinute: 175,
  cacheDir: join(tmpdir(), 'fvc-speech-cache'),
} as const satisfies Required<SpeechAudioOptions>;

/** Changes whenever the processing after espeak-ng does, so stale renders are not reused. */
const RENDER_FORMAT = 'trimmed-v1';

export class SpeechRenderError extends Error {
  readonly code = 'speech_render_failed';
}

/** Little-endian 16-bit mono PCM of `text` spoken by espeak-ng. */
export async function renderSpeech(
  text: string,
  options: SpeechAudioOptions = {},
): Promise<Int16Array> {
  const settings = { ...defaultSpeechAudioOptions, ...options };
  const sentence = text.trim();
  if (sentence.length === 0) throw new SpeechRenderError('there is no text to speak');
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        RENDER_FORMAT,
        sentence,
        settings.voice,
        settings.wordsPerMinute,
        settings.sampleRate,
      ]),
    )
    .digest('hex')
    .slice(0, 32);
  await mkdir(settings.cacheDir, { recursive: true });
  const cached = join(settings.cacheDir, `${key}.raw`);
  let pcm: Buffer;
  try {
    pcm = await readFile(cached);
  } catch {
    pcm = await renderToCache(sentence, settings, cached);
  }
  return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 2);
}

/** The 16-bit mono samples and rate of a WAV file as espeak-ng writes it. */
export function readWav(wav: Buffer): { sampleRate: number; samples: Int16Array } {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new SpeechRenderError('not a WAV file');
  }
  let sampleRate = 0;
  for (let offset = 12; offset + 8 <= wav.length; ) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = wav.readUInt16LE(body);
      const channels = wav.readUInt16LE(body + 2);
      const bits = wav.readUInt16LE(body + 14);
      if (format !== 1 || channels !== 1 || bits !== 16) {
        throw new SpeechRenderError('expected 16-bit mono PCM WAV');
      }
      sampleRate = wav.readUInt32LE(body + 4);
    } else if (id === 'data') {
      if (sampleRate === 0) throw new SpeechRenderError('WAV data before its format');
      // espeak-ng writing to a file leaves the data size at its maximum: read what is there.
      const end = Math.min(wav.length, body + size);
      const samples = new Int16Array(Math.floor((end - body) / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = wav.readInt16LE(body + i * 2);
      return { sampleRate, samples };
    }
    offset = body + size + (size % 2);
  }
  throw new SpeechRenderError('WAV file without data');
}

/**
 * Hands `samples` (mono) to a speech-to-text stream as 10 ms frames, all at once: faster than
 * real time, which suits the Deepgram stand-in, since it counts quiet in audio time.
 */
export function pushInFrames(
  stream: { pushFrame(frame: AudioFrame): void },
  samples: Int16Array,
  sampleRate: number,
): void {
  const frameSamples = sampleRate / 100;
  for (let at = 0; at < samples.length; at += frameSamples) {
    const frame = new Int16Array(frameSamples);
    frame.set(samples.subarray(at, at + frameSamples));
    stream.pushFrame(new AudioFrame(frame, sampleRate, 1, frameSamples));
  }
}

/** A 16-bit mono PCM WAV file of `samples`, the format readWav reads and browsers play. */
export function encodeWav(samples: Int16Array, sampleRate: number): Buffer {
  const data = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  header.writeUInt16LE(2, 32); // bytes per frame
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Below this a sample is silence: espeak-ng pads its renders with a few hundred ms of it. */
const SILENT_SAMPLE = 64;

/** Without the silence around the voice, so the end of the buffer is the end of speech. */
function trimSilence(samples: Int16Array): Int16Array {
  let start = 0;
  let end = samples.length;
  while (start < end && Math.abs(samples[start] ?? 0) < SILENT_SAMPLE) start++;
  while (end > start && Math.abs(samples[end - 1] ?? 0) < SILENT_SAMPLE) end--;
  return samples.slice(start, end);
}

function resample(samples: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return samples;
  const resampler = new AudioResampler(from, to, 1, AudioResamplerQuality.HIGH);
  try {
    const frames = [
      ...resampler.push(new AudioFrame(samples, from, 1, samples.length)),
      ...resampler.flush(),
    ];
    const out = new Int16Array(frames.reduce((sum, frame) => sum + frame.data.length, 0));
    let at = 0;
    for (const frame of frames) {
      out.set(frame.data, at);
      at += frame.data.length;
    }
    return out;
  } finally {
    resampler.close();
  }
}

async function renderToCache(
  sentence: string,
  settings: Required<SpeechAudioOptions>,
  cached: string,
): Promise<Buffer> {
  // Unique names, so parallel test files rendering the same sentence never see a half file.
  const wav = join(settings.cacheDir, `${process.pid}-${Math.random().toString(36).slice(2)}.wav`);
  try {
    await run('espeak-ng', [
      '-v',
      settings.voice,
      '-s',
      String(settings.wordsPerMinute),
      '-w',
      wav,
      sentence,
    ]);
    const { sampleRate, samples } = readWav(await readFile(wav));
    const pcm = trimSilence(resample(samples, sampleRate, settings.sampleRate));
    const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
    const partial = `${wav}.raw`;
    await writeFile(partial, bytes);
    await rename(partial, cached);
    return bytes;
  } catch (error) {
    if (error instanceof SpeechRenderError) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new SpeechRenderError(
      `could not render speech with espeak-ng (apt-get install espeak-ng): ${why}`,
    );
  } finally {
    await rm(wav, { force: true });
  }
}
