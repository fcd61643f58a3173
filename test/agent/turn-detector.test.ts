import { llm } from '@livekit/agents';
import { describe, expect, it } from 'vitest';
import {
  UNLIKELY_THRESHOLD,
  UnfinishedSentenceTurnDetector,
} from '../../agent/turn-taking/turn-detector.ts';
import { soundsUnfinished } from '../../agent/turn-taking/unfinished-sentence.ts';

describe('soundsUnfinished: the pauses people make mid-request', () => {
  it.each([
    ['Log ten squats', 'a set without its weight'],
    ['log ten squats at sixty', 'a weight still waiting for its unit'],
    ['Log ten squats at', 'a preposition'],
    ["What's my", 'a possessive'],
    ['What should I eat for', 'a preposition at the end of a question'],
    ['I want to', 'an infinitive marker'],
    ['Can you check my squats and', 'a conjunction'],
    ['So um', 'a filler'],
    ['Record eight lunges,', "the transcriber's trailing comma"],
    ['What about the…', 'an ellipsis'],
    ['How about the...', 'three dots'],
  ])('"%s" is unfinished (%s)', (transcript) => {
    expect(soundsUnfinished(transcript)).toBe(true);
  });

  it.each([
    'Log ten squats at sixty kilos.',
    'log eight lunges at 20 kg',
    'Log fifteen push-ups, bodyweight.',
    "What's my workout today?",
    'How am I doing this week?',
    'Thanks, that is all for now.',
    'Ten.',
    'Three sets of ten',
    "What's next?",
    'I am done for today.',
    'Ask the specialist what I can do instead of squats.',
    '',
    '   ',
  ])('"%s" is finished', (transcript) => {
    expect(soundsUnfinished(transcript)).toBe(false);
  });

  it('reads curly apostrophes and upper case like the plain ones', () => {
    expect(soundsUnfinished('WHAT’S')).toBe(true);
  });
});

describe('UnfinishedSentenceTurnDetector: the framework asks it at the end of speech', () => {
  const detector = new UnfinishedSentenceTurnDetector();
  const context = (...userLines: string[]) => {
    const ctx = new llm.ChatContext();
    ctx.addMessage({ role: 'assistant', content: 'Hey! Ready to train?' });
    for (const line of userLines) ctx.addMessage({ role: 'user', content: line });
    return ctx;
  };

  it('scores the latest user line, below the threshold when it is unfinished', async () => {
    expect(await detector.predictEndOfTurn(context('Log ten squats'))).toBeLessThan(
      UNLIKELY_THRESHOLD,
    );
    expect(
      await detector.predictEndOfTurn(context('Log ten squats', 'Log ten squats at sixty kilos')),
    ).toBeGreaterThan(UNLIKELY_THRESHOLD);
  });

  it('says a context with no user line is finished (nothing to wait for)', async () => {
    expect(await detector.predictEndOfTurn(context())).toBeGreaterThan(UNLIKELY_THRESHOLD);
  });

  it('supports English only', async () => {
    expect(await detector.supportsLanguage('en')).toBe(true);
    expect(await detector.supportsLanguage('en-US')).toBe(true);
    expect(await detector.supportsLanguage(undefined)).toBe(true);
    expect(await detector.supportsLanguage('es')).toBe(false);
    expect(await detector.unlikelyThreshold()).toBe(UNLIKELY_THRESHOLD);
  });
});
