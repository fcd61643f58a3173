/**
 * Transcript assembly from the framework's transcription streams, in the two shapes agents-js
 * publishes (room_io/_output.ts): the coach's delta stream per segment, and the user's interim
 * streams that each carry the whole text, the last one marked final.
 */
import { describe, expect, it } from 'vitest';
import {
  TRANSCRIPTION_ATTRIBUTES as A,
  speakerOf,
  Transcript,
} from '../../workers/playground/page/transcript.ts';

const interim = (segmentId: string) => ({ [A.segmentId]: segmentId, [A.final]: 'false' });
const final = (segmentId: string) => ({ [A.segmentId]: segmentId, [A.final]: 'true' });

describe('Transcript', () => {
  it("joins the coach's deltas into one line, pending until its stream ends", () => {
    const transcript = new Transcript();
    transcript.open({ streamId: 's1', speaker: 'coach', attributes: interim('seg-a') });
    transcript.append('s1', 'Hi Demo, ');
    transcript.append('s1', 'ready to train?');
    expect(transcript.lines()).toEqual([
      {
        id: 'seg-a',
        speaker: 'coach',
        text: 'Hi Demo, ready to train?',
        pending: true,
        typed: false,
      },
    ]);
    transcript.close('s1');
    expect(transcript.lines()[0]?.pending).toBe(false);
  });

  it("replaces the user's interim text with each newer stream of the segment", () => {
    const transcript = new Transcript();
    transcript.open({ streamId: 'u1', speaker: 'user', attributes: interim('seg-u') });
    transcript.append('u1', "What's my");
    transcript.close('u1');
    expect(transcript.lines()[0]).toMatchObject({ text: "What's my", pending: true });

    transcript.open({ streamId: 'u2', speaker: 'user', attributes: final('seg-u') });
    transcript.append('u2', "What's my workout today?");
    transcript.close('u2');
    expect(transcript.lines()).toEqual([
      {
        id: 'seg-u',
        speaker: 'user',
        text: "What's my workout today?",
        pending: false,
        typed: false,
      },
    ]);
  });

  it('ignores late chunks of a stream a newer one of the same segment replaced', () => {
    const transcript = new Transcript();
    transcript.open({ streamId: 'u1', speaker: 'user', attributes: interim('seg-u') });
    transcript.open({ streamId: 'u2', speaker: 'user', attributes: interim('seg-u') });
    transcript.append('u2', 'log ten squats');
    transcript.append('u1', 'log');
    expect(transcript.lines().map((line) => line.text)).toEqual(['log ten squats']);
  });

  it('keeps lines in the order they began, typed ones included, and hides empty ones', () => {
    const transcript = new Transcript();
    transcript.open({ streamId: 'c1', speaker: 'coach', attributes: interim('seg-1') });
    transcript.open({ streamId: 'u1', speaker: 'user', attributes: interim('seg-2') });
    transcript.append('u1', 'hello');
    transcript.typed('Log ten squats at sixty kilos.');
    transcript.append('c1', 'Hi there');
    expect(transcript.lines().map((line) => [line.speaker, line.text, line.typed])).toEqual([
      ['coach', 'Hi there', false],
      ['user', 'hello', false],
      ['user', 'Log ten squats at sixty kilos.', true],
    ]);
  });

  it('gives a stream without a segment id a line of its own', () => {
    const transcript = new Transcript();
    transcript.open({ streamId: 'x', speaker: 'coach', attributes: {} });
    transcript.append('x', 'Hello');
    transcript.open({ streamId: 'y', speaker: 'coach', attributes: {} });
    transcript.append('y', 'again');
    expect(transcript.lines().map((line) => line.text)).toEqual(['Hello', 'again']);
  });

  it('drops chunks of streams it never saw open', () => {
    const transcript = new Transcript();
    transcript.append('nope', 'text');
    transcript.close('nope');
    expect(transcript.lines()).toEqual([]);
  });
});

describe('speakerOf', () => {
  const user = { identity: 'user-1', trackIds: new Set(['TR_mic']) };

  it("is the user for a transcription of the user's own track", () => {
    expect(speakerOf({ [A.trackId]: 'TR_mic' }, 'agent-1', user)).toBe('user');
  });

  it("is the user for a stream sent on the user's behalf", () => {
    expect(speakerOf({}, 'user-1', user)).toBe('user');
  });

  it('is the coach otherwise', () => {
    expect(speakerOf({ [A.trackId]: 'TR_agent_voice' }, 'agent-1', user)).toBe('coach');
  });
});
