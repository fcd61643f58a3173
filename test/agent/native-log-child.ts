/**
 * A job process's native client in miniature, for native-log-capture.test.ts: joins a room on a
 * real livekit-server, publishes a microphone track and sends a little audio, then prints how
 * many events the native client sent to JavaScript, by kind, as one JSON line.
 *
 * argv: `capture-off` or `as-shipped`, the server URL, an access token.
 */
import {
  AudioSource,
  LocalAudioTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import {
  type NativeBindings,
  rtcNodeBindings,
  turnOffNativeLogCapture,
} from '../../agent/native-log-capture.ts';
import { toneFrame } from '../support/tone-frame.ts';

interface CountedBindings extends NativeBindings {
  FfiEvent: { fromBinary(data: Uint8Array): { message: { case?: string } } };
}

const [mode, url, token] = process.argv.slice(2);
if (!url || !token || (mode !== 'capture-off' && mode !== 'as-shipped')) {
  throw new Error('usage: native-log-child.ts capture-off|as-shipped <url> <token>');
}
const outcome = mode === 'capture-off' ? turnOffNativeLogCapture() : 'as-shipped';

const bindings = rtcNodeBindings() as CountedBindings;
const events: Record<string, number> = {};
const decode = bindings.FfiEvent.fromBinary.bind(bindings.FfiEvent);
bindings.FfiEvent.fromBinary = (data) => {
  const event = decode(data);
  const kind = event.message.case ?? 'none';
  events[kind] = (events[kind] ?? 0) + 1;
  return event;
};

const SAMPLE_RATE = 48_000;
const room = new Room();
await room.connect(url, token, { autoSubscribe: false, dynacast: false });
const source = new AudioSource(SAMPLE_RATE, 1);
const track = LocalAudioTrack.createAudioTrack('microphone', source);
await room.localParticipant?.publishTrack(
  track,
  new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
);
// Half a second of a tone: enough for the audio pipeline to run.
for (let i = 0; i < 50; i++) await source.captureFrame(toneFrame(SAMPLE_RATE));
const connected = room.isConnected;
await room.disconnect();
console.log(JSON.stringify({ outcome, connected, events }));
// The native client keeps handles open; everything to report is printed.
process.exit(0);
