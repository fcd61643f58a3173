/**
 * Whether what the user has said so far reads like an unfinished sentence: the cue a person on
 * the phone uses to wait through a pause instead of answering half a request.
 *
 * It is deliberately plain grammar, not a model: LiveKit's turn-detector model needs a download
 * and ONNX Runtime at run time, and the hosted one needs LiveKit Cloud. What it catches are the
 * pauses people make in this app: before the weight of a set ("log ten squats ... at sixty
 * kilos"), after a preposition, article or conjunction ("what's my ... workout"), on a filler
 * ("um"), or with a trailing comma or ellipsis from the transcriber. Everything else counts as
 * finished, so a complete sentence is answered at the short delay.
 */

/** Words an English sentence does not end on: the speaker has more to say. */
const CONTINUING_WORDS = new Set([
  // articles and possessives
  'a',
  'an',
  'the',
  'my',
  'your',
  'his',
  'her',
  'our',
  'their',
  'its',
  'this',
  'that',
  'these',
  'those',
  'some',
  // prepositions
  'at',
  'to',
  'for',
  'with',
  'of',
  'in',
  'on',
  'about',
  'from',
  'by',
  'into',
  'onto',
  'than',
  'per',
  'after',
  'before',
  'between',
  'like',
  // conjunctions
  'and',
  'or',
  'but',
  'so',
  'because',
  'if',
  'then',
  'when',
  'while',
  'plus',
  // verbs and pronouns that need what follows
  'is',
  'are',
  'was',
  'were',
  'am',
  'do',
  'does',
  'did',
  'can',
  'could',
  'should',
  'would',
  'will',
  'have',
  'has',
  'had',
  'i',
  "i'm",
  "what's",
  "it's",
  'log',
  // fillers
  'um',
  'uh',
  'er',
  'erm',
  'hmm',
  'mm',
]);

const NUMBER_WORD =
  /^(?:\d+(?:\.\d+)?|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|half)$/;

/** A request to log a set... */
const LOG_REQUEST = /\b(?:log|record|add)\b/;
/** ...that already says what it weighed (or that it had no weight). */
const WEIGHT_GIVEN =
  /\b(?:kilos?|kilograms?|kgs?|pounds?|lbs?|bodyweight|body weight|no weight|without weight|seconds?|minutes?)\b/;

/** The transcript's words, lower case, without punctuation inside or around them. */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .split(/\s+/)
    .map((word) => word.replace(/^[^a-z0-9']+|[^a-z0-9']+$/g, ''))
    .filter(Boolean);
}

/** True when `transcript` most likely continues after the pause the speaker is in. */
export function soundsUnfinished(transcript: string): boolean {
  const text = transcript.trim();
  if (text === '') return false;
  // The transcriber marks a trailing pause inside a sentence with a comma, dash or ellipsis.
  if (/(?:,|-|–|—|\.\.\.|…)$/.test(text)) return true;
  const said = words(text);
  const last = said.at(-1);
  if (last === undefined) return false;
  if (CONTINUING_WORDS.has(last)) return true;
  // "... at sixty": a weight still waiting for its unit ("three sets of ten" is whole).
  const beforeLast = said.at(-2);
  if (NUMBER_WORD.test(last) && beforeLast === 'at') return true;
  // "log ten squats": a set is reported with its weight, and the weight is where people pause.
  const lowered = said.join(' ');
  return LOG_REQUEST.test(lowered) && !WEIGHT_GIVEN.test(lowered) && said.length <= 8;
}
