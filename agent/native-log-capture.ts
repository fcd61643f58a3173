/**
 * Stops the native WebRTC stack from sending every one of its log records to JavaScript.
 *
 * `@livekit/rtc-node` 0.13 starts its native client with log capture on
 * (`livekitInitialize(callback, true, version)` in its FfiClient). With capture on, the native
 * logger (livekit-ffi's FfiLogger) accepts every record at every level, trace included, formats
 * it and sends it to JavaScript as an event of its own, which rtc-node decodes with protobuf and
 * then drops: nothing in rtc-node or the agents framework listens for log events. On the voice
 * rig a job process received about 2,500 of them in its session's first seconds (libwebrtc at
 * debug level, the signalling socket's frames at trace level) and decoded them on the main
 * thread, the one the greeting waits for; some carry the session's SDP and ICE credentials.
 *
 * With capture off, the native side logs through env_logger instead, which RUST_LOG filters
 * before anything is formatted (job-process-env.ts sets it to `off` unless the operator set it).
 * rtc-node offers no option for this, so its call into the bindings is wrapped before its client
 * is made. Remove this once rtc-node starts the client without capture or consumes the records.
 */
import { createRequire } from 'node:module';

type InitializeNative = (
  callback: (data: Uint8Array) => void,
  captureLogs: boolean,
  sdkVersion: string,
) => void;

/** The part of `@livekit/rtc-ffi-bindings` this touches: its exports object, which is mutable. */
export interface NativeBindings {
  livekitInitialize: InitializeNative;
}

/**
 * `off`: the native client will start (or was already wrapped to start) without log capture.
 * `already_started`: rtc-node made its client before this ran, so capture stays on.
 */
export type NativeLogCapture = 'off' | 'already_started';

const WRAPPED = Symbol('native log capture off');

/** The bindings rtc-node itself loads: resolved from rtc-node's own location, not this file's. */
export function rtcNodeBindings(): NativeBindings {
  const fromHere = createRequire(import.meta.url);
  const fromRtcNode = createRequire(fromHere.resolve('@livekit/rtc-node'));
  return fromRtcNode('@livekit/rtc-ffi-bindings') as NativeBindings;
}

/** Whether rtc-node has made its native client (a process-wide singleton it keeps on globalThis). */
export function nativeClientStarted(): boolean {
  return (globalThis as { _ffiClientInstance?: unknown })._ffiClientInstance !== undefined;
}

/** Must run before the process's first room, stream or audio source (prewarm does it first). */
export function turnOffNativeLogCapture(
  bindings: NativeBindings = rtcNodeBindings(),
  clientStarted: () => boolean = nativeClientStarted,
): NativeLogCapture {
  const initialize = bindings.livekitInitialize as InitializeNative & { [WRAPPED]?: true };
  if (initialize[WRAPPED]) return 'off';
  if (clientStarted()) return 'already_started';
  const withoutCapture: InitializeNative & { [WRAPPED]?: true } = (callback, _capture, version) =>
    initialize(callback, false, version);
  withoutCapture[WRAPPED] = true;
  bindings.livekitInitialize = withoutCapture;
  return 'off';
}
