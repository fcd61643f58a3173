/**
 * The coach's end-of-turn detector, in the shape of the framework's text turn detectors (the
 * `_TurnDetector` interface of @livekit/agents, which it does not export): when the voice detector
 * hears the user stop, the framework asks how likely the turn is over. Likely: it waits the short
 * endpointing delay. Unlikely (below `unlikelyThreshold`): it waits the long one, and a user who
 * speaks again within it stays in the same turn.
 */
import type { llm } from '@livekit/agents';
import { soundsUnfinished } from './unfinished-sentence.ts';

/** Below this the framework waits the long delay. */
export const UNLIKELY_THRESHOLD = 0.5;
const FINISHED = 0.95;
const UNFINISHED = 0.05;

/** The user's words in the turn being decided (the framework appends them as the last message). */
function currentUserText(chatCtx: llm.ChatContext): string {
  for (let i = chatCtx.items.length - 1; i >= 0; i--) {
    const item = chatCtx.items[i];
    if (item?.type === 'message' && item.role === 'user') return item.textContent ?? '';
  }
  return '';
}

export class UnfinishedSentenceTurnDetector {
  readonly model = 'unfinished-sentence';
  readonly provider = 'fitness-voice-coach';

  async unlikelyThreshold(): Promise<number> {
    return UNLIKELY_THRESHOLD;
  }

  /** Its grammar is English; for other languages the framework uses the short delay alone. */
  async supportsLanguage(language?: string): Promise<boolean> {
    return language === undefined || /^en\b/i.test(language);
  }

  async predictEndOfTurn(chatCtx: llm.ChatContext): Promise<number> {
    return soundsUnfinished(currentUserText(chatCtx)) ? UNFINISHED : FINISHED;
  }
}
