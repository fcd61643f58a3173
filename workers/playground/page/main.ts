/**
 * The playground page: sign in, pick a coach, talk in a LiveKit room with livekit-client, and see
 * the transcript, the coach's state, its tool calls and each reply's latency. This module only
 * wires the browser to the pure modules beside it (call state, transcript, errors, API calls),
 * which hold the decisions and are unit-tested in test/playground.
 */
import {
  DisconnectReason,
  type Participant,
  ParticipantKind,
  type RemoteTrack,
  Room,
  RoomEvent,
  type TextStreamReader,
  Track,
} from 'livekit-client';
import {
  parseRoomEvent,
  ROOM_EVENTS_TOPIC,
  type ToolEvent,
  type TurnLatencyEvent,
} from '../../../shared/room-events.ts';
import { AGENT_TYPES, type AgentType } from '../../../shared/schemas.ts';
import { apiBaseFrom, fetchDemoToken, startSession } from './api.ts';
import { AudioLevelMeter } from './audio-level.ts';
import {
  type CallEvent,
  type CallState,
  describeCallState,
  initialCallState,
  isActive,
  nextCallState,
} from './call-state.ts';
import {
  CoachMissing,
  ConnectionDropped,
  describeFailure,
  type FailureStage,
  type PlaygroundError,
} from './errors.ts';
import { speakerOf, Transcript } from './transcript.ts';

/** The framework's topics and attribute (agents-js src/constants.ts). */
const TOPIC_TRANSCRIPTION = 'lk.transcription';
const TOPIC_CHAT = 'lk.chat';
const ATTRIBUTE_AGENT_STATE = 'lk.agent.state';
/** A dispatched agent joins within a second or two; this long means none is coming. */
const COACH_WAIT_SECONDS = 15;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  status: element('status'),
  demoSignIn: element<HTMLButtonElement>('demo-signin'),
  signIn: element('signin'),
  signedIn: element('signed-in'),
  signOut: element<HTMLButtonElement>('sign-out'),
  userToken: element<HTMLInputElement>('user-token'),
  apiBase: element<HTMLInputElement>('api-base'),
  coachPicker: element<HTMLFieldSetElement>('coach-picker'),
  connect: element<HTMLButtonElement>('connect'),
  hangUp: element<HTMLButtonElement>('hang-up'),
  mic: element<HTMLButtonElement>('mic'),
  startAudio: element<HTMLButtonElement>('start-audio'),
  error: element('error'),
  errorTitle: element('error-title'),
  errorMessage: element('error-message'),
  retry: element<HTMLButtonElement>('retry'),
  audioLevel: element('audio-level'),
  transcript: element<HTMLOListElement>('transcript'),
  chat: element<HTMLFormElement>('chat'),
  chatInput: element<HTMLInputElement>('chat-input'),
  chatSend: element<HTMLButtonElement>('chat-send'),
  toolEvents: element<HTMLOListElement>('tool-events'),
  latencies: element<HTMLOListElement>('latencies'),
};

let state: CallState = initialCallState;
let demoToken: string | undefined;
let room: Room | undefined;
let transcript = new Transcript();
let coachWait: ReturnType<typeof setTimeout> | undefined;
let audioContext: AudioContext | undefined;
let meter: AudioLevelMeter | undefined;
let peakLevel = 0;
const audioElements = document.createElement('div');
audioElements.hidden = true;
document.body.append(audioElements);

function dispatch(event: CallEvent): void {
  state = nextCallState(state, event);
  if (state.phase !== 'waiting_for_coach' && coachWait) {
    clearTimeout(coachWait);
    coachWait = undefined;
  }
  render();
}

function userToken(): string {
  return demoToken ?? ui.userToken.value.trim();
}

function selectedCoach(): AgentType {
  const checked = ui.coachPicker.querySelector<HTMLInputElement>('input:checked');
  const value = AGENT_TYPES.find((type) => type === checked?.value);
  return value ?? 'workout';
}

function render(): void {
  const active = isActive(state);
  ui.status.textContent = describeCallState(state);
  ui.status.dataset.phase = state.phase;
  ui.status.dataset.agent = 'agent' in state ? state.agent : '';
  ui.signIn.hidden = demoToken !== undefined;
  ui.signedIn.hidden = demoToken === undefined;
  ui.connect.hidden = active;
  ui.connect.disabled = userToken() === '';
  ui.connect.textContent = state.phase === 'idle' ? 'Connect' : 'Reconnect';
  ui.hangUp.hidden = !active;
  ui.mic.hidden = !active;
  ui.coachPicker.disabled = active;
  const canType = state.phase === 'in_call';
  ui.chatInput.disabled = !canType;
  ui.chatSend.disabled = !canType;
  if (state.phase === 'failed') showError(state.error);
}

function showError(error: PlaygroundError | undefined): void {
  ui.error.hidden = !error;
  if (!error) return;
  ui.error.dataset.kind = error.kind;
  ui.errorTitle.textContent = error.title;
  ui.errorMessage.textContent = error.message;
  ui.retry.hidden = !error.retryable || isActive(state);
}

function fail(error: unknown, stage: FailureStage): void {
  dispatch({ type: 'failed', error: describeFailure(error, stage) });
  void leaveRoom();
}

function renderTranscript(): void {
  const items = transcript.lines().map((line) => {
    const item = document.createElement('li');
    item.dataset.speaker = line.speaker;
    item.dataset.pending = String(line.pending);
    const who = document.createElement('span');
    who.className = 'who';
    who.textContent = line.speaker === 'coach' ? 'Coach' : line.typed ? 'You (typed)' : 'You';
    item.append(who, line.text);
    return item;
  });
  ui.transcript.replaceChildren(...items);
  ui.transcript.scrollTop = ui.transcript.scrollHeight;
}

function showToolEvent(event: ToolEvent): void {
  const item = document.createElement('li');
  item.dataset.tool = event.tool;
  item.dataset.outcome = event.outcome;
  const outcome = event.outcome === 'ok' ? 'worked' : event.outcome;
  item.textContent = `${event.tool} · ${outcome} · ${event.duration_ms} ms`;
  ui.toolEvents.prepend(item);
}

function showLatency(event: TurnLatencyEvent): void {
  const item = document.createElement('li');
  item.dataset.endToEndMs = String(event.end_to_end_ms);
  const parts = document.createElement('span');
  parts.className = 'parts';
  parts.textContent = `end of turn ${event.eou_delay_ms} ms + model ${event.llm_ttft_ms} ms + speech ${event.tts_ttfb_ms} ms`;
  item.append(`${Math.round(event.end_to_end_ms)} ms to first audio `, parts);
  ui.latencies.prepend(item);
}

function isCoach(participant: Participant): boolean {
  return participant.kind === ParticipantKind.AGENT;
}

function onAgentAttributes(participant: Participant): void {
  const agentState = participant.attributes[ATTRIBUTE_AGENT_STATE];
  if (agentState) dispatch({ type: 'agent_state', state: agentState });
}

async function readTranscription(reader: TextStreamReader, sender: string): Promise<void> {
  if (!room) return;
  const attributes = reader.info.attributes ?? {};
  const local = room.localParticipant;
  const trackIds = new Set([...local.trackPublications.values()].map((pub) => pub.trackSid));
  const speaker = speakerOf(attributes, sender, { identity: local.identity, trackIds });
  const streamId = reader.info.id;
  transcript.open({ streamId, speaker, attributes });
  for await (const chunk of reader) {
    transcript.append(streamId, chunk);
    renderTranscript();
  }
  transcript.close(streamId);
  renderTranscript();
}

async function readRoomEvent(reader: TextStreamReader): Promise<void> {
  const event = parseRoomEvent(await reader.readAll());
  if (event?.type === 'tool') showToolEvent(event);
  else if (event?.type === 'turn_latency') showLatency(event);
}

function playCoachAudio(track: RemoteTrack): void {
  if (track.kind !== Track.Kind.Audio) return;
  audioElements.append(track.attach());
  audioContext ??= new AudioContext();
  meter ??= new AudioLevelMeter(audioContext);
  if (track.mediaStreamTrack) meter.watch(track.mediaStreamTrack);
  void audioContext.resume();
}

function watchRoom(current: Room): void {
  current
    .on(RoomEvent.ParticipantConnected, (participant) => {
      if (!isCoach(participant)) return;
      dispatch({ type: 'coach_joined' });
      onAgentAttributes(participant);
    })
    .on(RoomEvent.ParticipantAttributesChanged, (_changed, participant) => {
      if (isCoach(participant)) onAgentAttributes(participant);
    })
    .on(RoomEvent.ParticipantDisconnected, (participant) => {
      if (isCoach(participant)) dispatch({ type: 'coach_left' });
    })
    .on(RoomEvent.TrackSubscribed, (track) => playCoachAudio(track))
    // A browser that blocks autoplay needs one more click before the coach can be heard.
    .on(RoomEvent.AudioPlaybackStatusChanged, () => {
      ui.startAudio.hidden = current.canPlaybackAudio;
    })
    // A resume of the signal connection comes first, then a full reconnect if that fails.
    .on(RoomEvent.SignalReconnecting, () => dispatch({ type: 'connection_lost' }))
    .on(RoomEvent.Reconnecting, () => dispatch({ type: 'connection_lost' }))
    .on(RoomEvent.Reconnected, () => dispatch({ type: 'connection_back' }))
    .on(RoomEvent.Disconnected, (reason) => {
      // Our own hang-up has already moved the state on; anything else is a dropped call.
      if (room !== current || !isActive(state)) return;
      const why = reason === undefined ? 'unknown reason' : DisconnectReason[reason];
      fail(new ConnectionDropped(why ?? 'unknown reason'), 'room');
    });
  current.registerTextStreamHandler(TOPIC_TRANSCRIPTION, (reader, info) => {
    void readTranscription(reader, info.identity);
  });
  current.registerTextStreamHandler(ROOM_EVENTS_TOPIC, (reader) => {
    void readRoomEvent(reader);
  });
}

async function leaveRoom(): Promise<void> {
  const leaving = room;
  room = undefined;
  ui.startAudio.hidden = true;
  meter?.stop();
  audioElements.replaceChildren();
  await leaving?.disconnect();
}

async function connect(): Promise<void> {
  if (isActive(state)) return;
  showError(undefined);
  const apiBase = apiBaseFrom(ui.apiBase.value, location.origin);
  if (!apiBase) {
    showError({
      kind: 'api_error',
      title: 'Not an API address',
      message: 'The API base URL must be an http or https URL, or empty for this site.',
      retryable: false,
    });
    return;
  }
  transcript = new Transcript();
  renderTranscript();
  dispatch({ type: 'connect' });
  let session: Awaited<ReturnType<typeof startSession>>;
  try {
    session = await startSession(apiBase, userToken(), selectedCoach());
  } catch (error) {
    fail(error, 'session');
    return;
  }
  // Hung up while the session was being made: no room to join.
  if (state.phase !== 'connecting') return;
  const current = new Room();
  room = current;
  watchRoom(current);
  try {
    await current.connect(session.server_url, session.participant_token);
  } catch (error) {
    if (room === current) fail(error, 'room');
    return;
  }
  if (room !== current) {
    // Hung up while joining: leave the room just joined.
    await current.disconnect();
    return;
  }
  dispatch({ type: 'room_joined' });
  const coach = [...current.remoteParticipants.values()].find(isCoach);
  if (coach) {
    dispatch({ type: 'coach_joined' });
    onAgentAttributes(coach);
  } else {
    coachWait = setTimeout(() => {
      if (state.phase === 'waiting_for_coach') fail(new CoachMissing(COACH_WAIT_SECONDS), 'room');
    }, COACH_WAIT_SECONDS * 1000);
  }
  await current.startAudio();
  await setMicrophone(true);
}

async function setMicrophone(on: boolean): Promise<void> {
  if (!room) return;
  try {
    await room.localParticipant.setMicrophoneEnabled(on);
    ui.mic.setAttribute('aria-pressed', String(on));
    ui.mic.textContent = on ? 'Microphone on' : 'Microphone off';
  } catch (error) {
    // The call goes on without a microphone: the user can still type and listen.
    ui.mic.setAttribute('aria-pressed', 'false');
    ui.mic.textContent = 'Microphone off';
    showError(describeFailure(error, 'microphone'));
  }
}

async function sendTyped(text: string): Promise<void> {
  if (!room || state.phase !== 'in_call') return;
  transcript.typed(text);
  renderTranscript();
  await room.localParticipant.sendText(text, { topic: TOPIC_CHAT });
}

ui.demoSignIn.addEventListener('click', async () => {
  showError(undefined);
  const apiBase = apiBaseFrom(ui.apiBase.value, location.origin);
  try {
    if (!apiBase) throw new TypeError('not an API address');
    demoToken = await fetchDemoToken(apiBase);
  } catch (error) {
    showError(describeFailure(error, 'sign_in'));
  }
  render();
});
ui.signOut.addEventListener('click', () => {
  demoToken = undefined;
  render();
});
ui.userToken.addEventListener('input', render);
ui.connect.addEventListener('click', () => void connect());
ui.retry.addEventListener('click', () => void connect());
ui.hangUp.addEventListener('click', () => {
  dispatch({ type: 'hang_up' });
  void leaveRoom();
});
ui.startAudio.addEventListener('click', async () => {
  await room?.startAudio();
  await audioContext?.resume();
  ui.startAudio.hidden = room?.canPlaybackAudio ?? true;
});
ui.mic.addEventListener('click', () => {
  const on = ui.mic.getAttribute('aria-pressed') !== 'true';
  void setMicrophone(on);
});
ui.chat.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = ui.chatInput.value.trim();
  if (!text) return;
  ui.chatInput.value = '';
  void sendTyped(text);
});

// The meter and the loudest level heard so far; the latter tells audio that played from silence.
setInterval(() => {
  const level = meter?.level() ?? 0;
  peakLevel = Math.max(peakLevel, level);
  ui.audioLevel.style.width = `${Math.min(100, level * 300)}%`;
  ui.audioLevel.dataset.peak = peakLevel.toFixed(4);
}, 100);

render();
