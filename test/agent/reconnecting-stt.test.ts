/**
 * The speech-to-text wrapper against the real Deepgram plugin and the Deepgram stand-in, on Nova
 * (`/v1/listen`, the plugin's STT) and on Flux (`/v2/listen`, its STTv2): after the socket drops
 * (cut, or closed with an error code), a fresh stream is open at once and the next utterance is
 * heard. The bare plugin, under the same drop, stays deaf: that is the bug (both APIs).
 */
import { initializeLogger, stt } from '@livekit/agents';
import * as deepgram from '@livekit/agents-plugin-deepgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ReconnectingSTT } from '../../agent/resilience/reconnecting-stt.ts';
import type { Logger } from '../../shared/runtime.ts';
import { type DeepgramStandin, startDeepgramStandin } from '../support/deepgram-standin.ts';
import { toneFrame } from '../support/tone-frame.ts';

const SAMPLE_RATE = 16000;
const FRAME_MS = 20;

let standin: DeepgramStandin;
const cleanups: Array<() => void> = [];

beforeAll(async () => {
  initializeLogger({ pretty: false, level: 'silent' });
  standin = await startDeepgramStandin();
});

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

afterAll(async () => {
  await standin.close();
});

function recordingLogger(): Logger & { lines: Array<{ event: string; fields?: object }> } {
  const lines: Array<{ event: string; fields?: object }> = [];
  const record = (event: string, fields?: object) => lines.push({ event, fields });
  return { lines, info: record, warn: record, error: record };
}

const APIS = [
  {
    name: 'Nova',
    socketPath: '/v1/listen',
    plugin: (): stt.STT =>
      new deepgram.STT({
        apiKey: standin.apiKey,
        baseUrl: standin.baseUrl,
        model: 'nova-2-general',
        language: 'en-US',
      }),
  },
  {
    name: 'Flux',
    socketPath: '/v2/listen',
    plugin: (): stt.STT =>
      new deepgram.STTv2({
        apiKey: standin.apiKey,
        endpointUrl: `${standin.baseUrl}/v2/listen`,
        model: 'flux-general-en',
        eagerEotThreshold: 0.4,
      }),
  },
] as const;

/** Feeds quiet audio in real time, as a microphone does, until the test ends. */
function feedMicrophone(stream: stt.SpeechStream): void {
  const timer = setInterval(() => stream.pushFrame(toneFrame(SAMPLE_RATE, FRAME_MS)), FRAME_MS);
  cleanups.push(() => {
    clearInterval(timer);
    stream.close();
  });
}

/** Collects final transcripts as they arrive. */
function finals(stream: stt.SpeechStream): string[] {
  const heard: string[] = [];
  void (async () => {
    for await (const event of stream) {
      if (event.type === stt.SpeechEventType.FINAL_TRANSCRIPT) {
        heard.push(event.alternatives?.[0]?.text ?? '');
      }
    }
  })();
  return heard;
}

async function until<T>(what: string, read: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Resolves once a stream opened after the first `known` ones is open and receiving audio: the
 * plugin listens for results only once its socket is up, so a transcript sent sooner is lost.
 */
const streamOpened = (known: number) =>
  until('a new Deepgram stream receiving audio', () =>
    standin.streams.slice(known).some((s) => !s.closed && s.audioBytes > 0) ? true : undefined,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(APIS)(
  'ReconnectingSTT over the Deepgram plugin on $name',
  ({ socketPath, plugin }) => {
    for (const mode of ['terminate', 'close'] as const) {
      it(`opens a fresh stream after a ${mode} and hears the next utterance`, async () => {
        const logger = recordingLogger();
        const wrapper = new ReconnectingSTT(plugin(), { socketPath, logger });
        const before = standin.streams.length;
        const stream = wrapper.stream();
        feedMicrophone(stream);
        const heard = finals(stream);
        await streamOpened(before);

        standin.speak('what is my workout today');
        await until('the first utterance', () => heard[0]);

        expect(await standin.dropStreams(mode)).toBe(1);
        await streamOpened(before + 1);
        expect(standin.streams.length).toBe(before + 2);
        standin.speak('log ten squats');
        await until('the utterance after the drop', () => heard[1]);

        expect(heard).toEqual(['what is my workout today', 'log ten squats']);
        expect(logger.lines).toContainEqual({
          event: 'stt_stream_reopened',
          fields: { reason: 'socket_closed', reopens_in_a_row: 1 },
        });
      }, 20_000);
    }

    it('does not reopen when the session closes the stream', async () => {
      const logger = recordingLogger();
      const wrapper = new ReconnectingSTT(plugin(), { socketPath, logger });
      const before = standin.streams.length;
      const stream = wrapper.stream();
      const heard = finals(stream);
      feedMicrophone(stream);
      await streamOpened(before);
      cleanups.pop()?.();
      await until('the stream to close', () => (standin.streams.at(-1)?.closed ? true : undefined));
      await sleep(300);
      expect(standin.streams.length).toBe(before + 1);
      expect(standin.streams.at(-1)?.controlMessages).toContain('CloseStream');
      expect(heard).toEqual([]);
      expect(logger.lines.filter((line) => line.event === 'stt_stream_reopened')).toEqual([]);
    }, 20_000);

    it('the bare plugin stays deaf after the same drop (the bug the wrapper works around)', async () => {
      const before = standin.streams.length;
      const stream = plugin().stream();
      feedMicrophone(stream);
      const heard = finals(stream);
      await streamOpened(before);
      await standin.dropStreams('terminate');
      await sleep(1500);
      standin.speak('are you there');
      await sleep(500);
      expect(standin.streams.length).toBe(before + 1);
      expect(heard).toEqual([]);
    }, 20_000);
  },
);
