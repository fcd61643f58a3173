/**
 * Lets a tool end the turn with its own line, said straight to the user.
 *
 * Why: a tool's text output goes back to the model, which then writes the reply: one more model
 * round trip, about 350 ms to the first token with a hosted model, on every logged set and every
 * workout command. When the tool's answer is already a finished spoken line (today's workout
 * as a whole, a set's confirmation with the rest and the next set, "rest skipped", the
 * specialist's answer written for a voice, the specialist fallback), that round trip adds delay
 * and one more thing that can fail, and nothing else.
 *
 * How: the line is said through the session (kept in the conversation, so the model knows it was
 * said) and the tool returns nothing. The framework records an empty output for the call and,
 * with no output to answer, asks the model for no reply. Throwing the framework's `StopResponse`
 * would stop the reply too, but it leaves the call without an output in the conversation, and
 * every later request then logs a warning for it and drops the call.
 *
 * A line said this way is a speech of its own, with its own id. It is remembered as part of the
 * turn the tool ran in, so the turn's latency counts its first audio (session-stats.ts).
 */
import type { llm, voice } from '@livekit/agents';

/** Per session: the id of each speech a tool said, mapped to the id of the turn it answers. */
const turnOfToolSpeech = new WeakMap<voice.AgentSession, Map<string, string>>();

/** The turn (speech id) a tool's spoken line belongs to; undefined for any other speech. */
export function turnAnsweredBy(session: voice.AgentSession, speechId: string): string | undefined {
  return turnOfToolSpeech.get(session)?.get(speechId);
}

/**
 * Says `line` as part of the turn the tool runs in. Throws what `session.say` throws (a session
 * that is closing refuses new speech); does nothing without a session (a tool called outside a
 * voice session, as in unit tests).
 */
export function sayInToolTurn(
  toolOptions: llm.ToolOptions<unknown> | undefined,
  line: string,
  options?: { addToChatCtx?: boolean },
): void {
  const ctx = toolOptions?.ctx;
  if (!ctx?.session) return;
  const handle = ctx.session.say(line, options);
  let turns = turnOfToolSpeech.get(ctx.session);
  if (!turns) {
    turns = new Map();
    turnOfToolSpeech.set(ctx.session, turns);
  }
  turns.set(handle.id, ctx.speechHandle.id);
}

/**
 * Says `line` and returns `undefined` for the tool to return, so the model is not asked again.
 * Returns the line itself, for the model to answer from as before, when nothing can be said:
 * no session to speak through (a tool called outside a voice session), a turn the user already
 * interrupted, or a session that is closing.
 */
export function sayInsteadOfReplying(
  toolOptions: llm.ToolOptions<unknown> | undefined,
  line: string,
): string | undefined {
  // A user who spoke over the coach has moved on; the turn is being cancelled anyway.
  if (!toolOptions?.ctx?.session || toolOptions.abortSignal?.aborted) return line;
  try {
    sayInToolTurn(toolOptions, line);
  } catch {
    // A closing session refuses new speech.
    return line;
  }
  return undefined;
}
