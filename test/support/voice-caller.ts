/**
 * A simulated caller: what the mobile app does, on @livekit/rtc-node. It asks the edge API for a
 * session (`POST /v1/sessions` with the user's JWT), joins the room with the token it gets back,
 * and publishes a microphone track paced in real time: speech when the test says something,
 * silence otherwise, never stopping, as a real microphone does. It listens to the coach's track
 * and keeps the bursts of sound it hears, so a test can timestamp the end of its own speech and
 * the first non-silent frame of the coach's reply on one clock (performance.now()).
 */
import {
  AudioFrame,
  AudioSource,
  AudioStream,
  LocalAudioTrack,
  ParticipantKind,
  type RemoteParticipant,
  type RemoteTrack,
  Room,
  RoomEvent,
  TrackKind,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { turnOffNativeLogCapture } from '../../agent/native-log-capture.ts';
import {
  type AgentType,
  type CreateSessionResponse,
  createSessionResponseSchema,
} from '../../shared/schemas.ts';
import { renderSpeech } from './speech-audio.ts';

// A phone does not decode the WebRTC stack's trace logs, and the callers share the machine with
// the agent they measure: their process starts its native client as the agent's job processes
// do (agent/native-log-capture.ts). A no-op if this process made its client already.
turnOffNativeLogCapture();

export interface VoiceCallerOptions {
  /** The edge API's base URL, e.g. http://127.0.0.1:PORT */
  apiUrl: string;
  /** The user's JWT, as the app holds it after sign-in. */
  userToken: string;
  agentType: AgentType;
  /** Microphone and listening sample rate. */
  sampleRate?: number;
  /** Length of each microphone frame. */
  frameMs?: number;
  /** A received sample louder than this is coach sound (the Cartesia stand-in's tone is ~6500). */
  soundThreshold?: number;
  /** The coach has stopped once it was quiet this long (the gaps inside a reply are shorter). */
  quietGapMs?: number;
}

export const defaultVoiceCallerOptions = {
  sampleRate: 48000,
  frameMs: 10,
  soundThreshold: 1000,
  quietGapMs: 250,
} as const satisfies Partial<VoiceCallerOptions>;

export type CallerErrorCode = 'session_refused' | 'bad_session_response' | 'timeout' | 'hung_up';

export class CallerError extends Error {
  readonly code: CallerErrorCode;
  constructor(code: CallerErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** One thing the caller said, with when its first and last frames went to the microphone. */
export interface SpokenTurn {
  text: string;
  startedAt: number;
  endedAt: number;
}

/** A stretch of coach sound: from its first loud frame to its last one. */
export interface CoachSound {
  startedAt: number;
  /** Undefined while the coach is still sounding. */
  endedAt?: number;
  lastLoudAt: number;
}

interface QueuedSpeech {
  text: string;
  samples: Int16Array;
  offset: number;
  startedAt?: number;
  done: (turn: SpokenTurn) => void;
}

interface SoundWaiter {
  after: number;
  resolve: (at: number) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** After a stall (a busy machine), the microphone catches up at most this much at once. */
const MAX_CATCH_UP_FRAMES = 20;

/** Asks the edge API for a voice session exactly as the app does. */
export async function requestSession(
  apiUrl: string,
  userToken: string,
  agentType: AgentType,
): Promise<CreateSessionResponse> {
  const response = await fetch(new URL('/v1/sessions', apiUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${userToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ agent_type: agentType }),
  });
  const body: unknown = await response.json().catch(() => null);
  if (response.status !== 201) {
    throw new CallerError(
      'session_refused',
      `POST /v1/sessions answered ${response.status}: ${JSON.stringify(body)}`,
    );
  }
  const parsed = createSessionResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new CallerError(
      'bad_session_response',
      `unexpected session body: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

export class VoiceCaller {
  readonly session: CreateSessionResponse;
  readonly room: Room;
  /** Every stretch of coach sound heard, in order. */
  readonly coachSounds: CoachSound[] = [];
  readonly spoken: SpokenTurn[] = [];
  private readonly settings: Required<
    Omit<VoiceCallerOptions, 'apiUrl' | 'userToken' | 'agentType'>
  >;
  private readonly source: AudioSource;
  private readonly speechQueue: QueuedSpeech[] = [];
  private readonly soundWaiters = new Set<SoundWaiter>();
  private running = true;
  private microphone?: Promise<void>;
  private listening?: Promise<void>;
  private quietTimer?: ReturnType<typeof setInterval>;

  private constructor(session: CreateSessionResponse, settings: VoiceCaller['settings']) {
    this.session = session;
    this.settings = settings;
    this.room = new Room();
    this.source = new AudioSource(settings.sampleRate, 1, 200);
  }

  /** Gets a session from the API, joins the room, and starts the microphone and the listener. */
  static async call(options: VoiceCallerOptions): Promise<VoiceCaller> {
    const { apiUrl, userToken, agentType, ...overrides } = options;
    const session = await requestSession(apiUrl, userToken, agentType);
    return VoiceCaller.joinSession(session, overrides);
  }

  /**
   * Joins with a session obtained elsewhere (the benchmark's defaults-only agent is dispatched by
   * a token the bench mints, since the API dispatches only the coach).
   */
  static async joinSession(
    session: CreateSessionResponse,
    overrides: Partial<VoiceCaller['settings']> = {},
  ): Promise<VoiceCaller> {
    const caller = new VoiceCaller(session, { ...defaultVoiceCallerOptions, ...overrides });
    await caller.join();
    return caller;
  }

  private async join(): Promise<void> {
    this.room.on(
      RoomEvent.TrackSubscribed,
      (track: RemoteTrack, _pub, participant: RemoteParticipant) => {
        if (participant.kind === ParticipantKind.AGENT && track.kind === TrackKind.KIND_AUDIO) {
          this.listening ??= this.listen(track);
        }
      },
    );
    await this.room.connect(this.session.server_url, this.session.participant_token, {
      autoSubscribe: true,
      dynacast: false,
    });
    const track = LocalAudioTrack.createAudioTrack('microphone', this.source);
    const options = new TrackPublishOptions();
    options.source = TrackSource.SOURCE_MICROPHONE;
    await this.room.localParticipant?.publishTrack(track, options);
    this.microphone = this.runMicrophone();
    this.quietTimer = setInterval(() => this.closeQuietSounds(performance.now()), 20);
  }

  /** The agent participant in the room, once it has joined. */
  agent(): RemoteParticipant | undefined {
    return [...this.room.remoteParticipants.values()].find((p) => p.kind === ParticipantKind.AGENT);
  }

  /**
   * Speaks `text` into the microphone after anything already queued; resolves when its last
   * frame went out (the end of the caller's speech). Given several phrases, it pauses `pauseMs`
   * of silence between them, as someone does mid-sentence ("log ten squats ... at sixty kilos").
   */
  async say(text: string | readonly string[], { pauseMs = 0 } = {}): Promise<SpokenTurn> {
    const phrases = typeof text === 'string' ? [text] : text;
    const rendered = await Promise.all(
      phrases.map((phrase) => renderSpeech(phrase, { sampleRate: this.settings.sampleRate })),
    );
    if (!this.running) throw new CallerError('hung_up', 'the caller has hung up');
    const pause = new Int16Array(Math.round((pauseMs / 1000) * this.settings.sampleRate));
    const parts = rendered.flatMap((samples, i) => (i === 0 ? [samples] : [pause, samples]));
    const samples = new Int16Array(parts.reduce((length, part) => length + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      samples.set(part, offset);
      offset += part.length;
    }
    return new Promise((done) => {
      this.speechQueue.push({ text: phrases.join(' '), samples, offset: 0, done });
    });
  }

  /** When the coach first sounded at or after `after` (a performance.now() time). */
  coachSoundAfter(after: number): number | undefined {
    const sound = this.coachSounds.find((s) => s.lastLoudAt >= after);
    return sound ? Math.max(sound.startedAt, after) : undefined;
  }

  /** Resolves with the time of the first coach sound at or after `after`. */
  waitForCoachSound(after: number, timeoutMs = 20_000): Promise<number> {
    const heard = this.coachSoundAfter(after);
    if (heard !== undefined) return Promise.resolve(heard);
    return new Promise((resolve, reject) => {
      const waiter: SoundWaiter = {
        after,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      const timer = setTimeout(() => {
        this.soundWaiters.delete(waiter);
        reject(new CallerError('timeout', `the coach made no sound within ${timeoutMs} ms`));
      }, timeoutMs);
      this.soundWaiters.add(waiter);
    });
  }

  /**
   * Resolves, with when the coach's last sound ended, once it has been quiet for `settleMs`
   * (longer than the pauses between the sentences of one reply).
   */
  async waitForCoachSilence(settleMs = 1000, timeoutMs = 30_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const quietSince = this.quietFor(settleMs);
      if (quietSince !== undefined) return quietSince;
      if (performance.now() > deadline) {
        throw new CallerError('timeout', `the coach was still talking after ${timeoutMs} ms`);
      }
      await sleep(20);
    }
  }

  /**
   * When the coach's last sound ended (0 if it never sounded), once the caller has heard nothing
   * since for `settleMs`; undefined before that.
   */
  private quietFor(settleMs: number): number | undefined {
    const last = this.coachSounds.at(-1);
    const quietSince = last ? last.endedAt : 0;
    return quietSince !== undefined && performance.now() - quietSince >= settleMs
      ? quietSince
      : undefined;
  }

  /** The state the agent publishes on its participant (`lk.agent.state`), once it has joined. */
  agentState(): string | undefined {
    return this.agent()?.attributes['lk.agent.state'];
  }

  /**
   * Resolves, with when the coach's last sound ended, once the agent is back to listening and the
   * caller has heard nothing for `settleMs`. Quiet alone can end early: on a starved machine the
   * gap between two sentences of one reply (one speech request each) can outlast any settle time,
   * while the agent stays "thinking" or "speaking" until the whole reply has played.
   */
  async waitForCoachDone(settleMs = 1000, timeoutMs = 60_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const quietSince = this.quietFor(settleMs);
      if (quietSince !== undefined && this.agentState() === 'listening') return quietSince;
      if (performance.now() > deadline) {
        throw new CallerError(
          'timeout',
          `the coach had not finished after ${timeoutMs} ms (agent ${this.agentState() ?? 'absent'})`,
        );
      }
      await sleep(20);
    }
  }

  /** When the coach sound playing at `at` (or the next one to start after it) ended. */
  async waitForCoachToStop(at: number, timeoutMs = 30_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const sound = this.coachSounds.find((s) => s.lastLoudAt >= at);
      if (sound?.endedAt !== undefined) return sound.endedAt;
      if (performance.now() > deadline) {
        throw new CallerError('timeout', `the coach was still talking after ${timeoutMs} ms`);
      }
      await sleep(20);
    }
  }

  async hangUp(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.quietTimer);
    for (const speech of this.speechQueue.splice(0)) {
      speech.done({
        text: speech.text,
        startedAt: speech.startedAt ?? 0,
        endedAt: performance.now(),
      });
    }
    await this.microphone;
    await this.room.disconnect();
    await this.listening;
    await this.source.close();
  }

  /** Real-time pacing: as many frames as wall-clock time says are due, speech or silence. */
  private async runMicrophone(): Promise<void> {
    const { sampleRate, frameMs } = this.settings;
    const samplesPerFrame = (sampleRate * frameMs) / 1000;
    const silence = new Int16Array(samplesPerFrame);
    let started = performance.now();
    let sent = 0;
    while (this.running) {
      let due = Math.floor((performance.now() - started) / frameMs) - sent;
      if (due > MAX_CATCH_UP_FRAMES) {
        started += (due - MAX_CATCH_UP_FRAMES) * frameMs;
        due = MAX_CATCH_UP_FRAMES;
      }
      for (; due > 0 && this.running; due--) {
        const data = this.nextSpeechFrame(samplesPerFrame) ?? silence;
        await this.source.captureFrame(new AudioFrame(data, sampleRate, 1, samplesPerFrame));
        sent++;
        this.finishSpokenSpeech();
      }
      await sleep(frameMs / 2);
    }
  }

  /**
   * When audio captured now goes out to WebRTC: after what the source still holds. The queue
   * fills to its 200 ms while the room connects and stays full (which lets the microphone ride
   * out a stalled test process without gaps in its speech), so a frame leaves about 200 ms after
   * it is captured; the caller's speech is timed by when it leaves, as a phone's would be.
   */
  private leavesMicrophoneAt(): number {
    return performance.now() + this.source.queuedDuration;
  }

  private nextSpeechFrame(samplesPerFrame: number): Int16Array | undefined {
    const speech = this.speechQueue[0];
    if (!speech) return undefined;
    speech.startedAt ??= this.leavesMicrophoneAt();
    const frame = new Int16Array(samplesPerFrame);
    frame.set(speech.samples.subarray(speech.offset, speech.offset + samplesPerFrame));
    speech.offset += samplesPerFrame;
    return frame;
  }

  private finishSpokenSpeech(): void {
    const speech = this.speechQueue[0];
    if (!speech || speech.offset < speech.samples.length) return;
    this.speechQueue.shift();
    const turn = {
      text: speech.text,
      startedAt: speech.startedAt ?? 0,
      endedAt: this.leavesMicrophoneAt(),
    };
    this.spoken.push(turn);
    speech.done(turn);
  }

  private async listen(track: RemoteTrack): Promise<void> {
    const stream = new AudioStream(track, { sampleRate: this.settings.sampleRate, numChannels: 1 });
    const reader = stream.getReader();
    try {
      while (this.running) {
        const { value: frame, done } = await reader.read();
        if (done) return;
        const now = performance.now();
        if (frame.data.some((sample) => Math.abs(sample) > this.settings.soundThreshold)) {
          this.onCoachSound(now);
        }
        this.closeQuietSounds(now);
      }
    } finally {
      reader.releaseLock();
    }
  }

  private onCoachSound(now: number): void {
    const current = this.coachSounds.at(-1);
    if (current && current.endedAt === undefined) current.lastLoudAt = now;
    else this.coachSounds.push({ startedAt: now, lastLoudAt: now });
    for (const waiter of this.soundWaiters) {
      if (now >= waiter.after) {
        this.soundWaiters.delete(waiter);
        waiter.resolve(now);
      }
    }
  }

  private closeQuietSounds(now: number): void {
    const current = this.coachSounds.at(-1);
    if (
      current &&
      current.endedAt === undefined &&
      now - current.lastLoudAt >= this.settings.quietGapMs
    ) {
      current.endedAt = current.lastLoudAt;
    }
  }
}
