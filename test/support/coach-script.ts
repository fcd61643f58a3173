/**
 * A scripted voice model for the OpenAI stand-in: what a capable model would do with the coach's
 * tools, decided from the request alone (so concurrent sessions each get their own answer). The
 * latest user line picks a rule; a rule either answers in words or calls one of the coach's tools,
 * and once the tool's result comes back the model speaks from it. Tests and the demo read the
 * phrases below to make the caller say something the script understands.
 */
import type {
  ChatCompletionMessage,
  RecordedRequest,
  StandinHandler,
  StandinReply,
} from './openai-standin.ts';

export const CALLER_LINES = {
  workout: "What's my workout today?",
  logSquats: 'Log ten squats at sixty kilos.',
  logLunges: 'Log eight lunges at twenty kilos.',
  specialist: 'Ask the specialist what I can do instead of squats.',
  thanks: 'Thanks, that is all for now.',
  /** One sentence, no pauses, no tool: the benchmark's turn. */
  progress: 'How am I doing this week?',
  whatsNext: "What's next?",
  done: 'I am done for today.',
  /** A long answer with no tool: what the benchmark talks over to time a barge-in. */
  warmUp: 'How should I warm up?',
} as const;

/** What the scripted model says when it did not understand the caller. */
export const DID_NOT_UNDERSTAND = 'Sorry, could you say that again?';
export const SIGN_OFF = 'You are welcome. Great work today!';
export const PROGRESS_NOTE = 'You are right on track this week. Keep it up!';
export const WARM_UP_ADVICE =
  'Start with five minutes of easy cardio, like brisk walking or cycling, to raise your heart rate. ' +
  'Then do leg swings, arm circles and hip openers, ten of each side, slowly and under control. ' +
  'Finish with one light set of your first exercise at half your working weight before you begin.';

interface Rule {
  /** Matched against the latest user line. */
  when: RegExp;
  reply: (userLine: string) => StandinReply;
}

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  twelve: 12,
  fifteen: 15,
  twenty: 20,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  hundred: 100,
};

function spokenNumber(word: string): number {
  return NUMBER_WORDS[word.toLowerCase()] ?? Number(word);
}

const toolCall = (name: string, args: Record<string, unknown>): StandinReply => ({
  toolCalls: [{ name, arguments: JSON.stringify(args) }],
});

const RULES: readonly Rule[] = [
  { when: /workout today/i, reply: () => toolCall('get_todays_workout', {}) },
  {
    when: /log (\w+) (\w+) at (\w+) (kilos|kilograms|pounds)/i,
    reply: (line) => {
      const [, reps = '', exercise = '', weight = '', unit = ''] =
        /log (\w+) (\w+) at (\w+) (kilos|kilograms|pounds)/i.exec(line) ?? [];
      return toolCall('log_workout_set', {
        exercise: exercise.replace(/s$/i, ''),
        reps: spokenNumber(reps),
        weight: spokenNumber(weight),
        unit: /pound/i.test(unit) ? 'lb' : 'kg',
      });
    },
  },
  {
    when: /specialist/i,
    reply: (line) => toolCall('ask_specialist_agent', { query: line, specialist: 'workout' }),
  },
  { when: /what'?s next|where am i/i, reply: () => toolCall('get_workout_progress', {}) },
  { when: /i am done|i'm done/i, reply: () => toolCall('finish_workout', {}) },
  { when: /thanks|thank you/i, reply: () => ({ content: SIGN_OFF }) },
  { when: /how am i doing/i, reply: () => ({ content: PROGRESS_NOTE }) },
  { when: /warm up/i, reply: () => ({ content: WARM_UP_ADVICE }) },
];

function textOf(message: ChatCompletionMessage): string {
  if (typeof message.content === 'string') return message.content;
  return (message.content ?? []).map((part) => part.text ?? '').join('');
}

/** Speaks a tool result the way the coach's instructions ask: plain sentences, no lists. */
export function spokenToolResult(result: string): string {
  // The framework sends a tool's string result JSON-encoded.
  let text = result;
  try {
    const decoded: unknown = JSON.parse(result);
    if (typeof decoded === 'string') text = decoded;
  } catch {
    // Plain text already.
  }
  return text
    .split('\n')
    .map((line) => line.replace(/^\d+\.\s*/, '').trim())
    .filter(Boolean)
    .join(' ');
}

/** The scripted model's reply to one chat completion request. */
export function scriptedCoachReply(request: RecordedRequest): StandinReply {
  const messages = request.body.messages;
  const last = messages.at(-1);
  if (last?.role === 'tool') return { content: spokenToolResult(textOf(last)) };
  const userLine = [...messages].reverse().find((message) => message.role === 'user');
  const line = userLine ? textOf(userLine) : '';
  const rule = RULES.find((candidate) => candidate.when.test(line));
  return rule ? rule.reply(line) : { content: DID_NOT_UNDERSTAND };
}

export const scriptedCoach: StandinHandler = scriptedCoachReply;
