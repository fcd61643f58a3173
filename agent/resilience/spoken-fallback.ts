/**
 * Lets a tool end the turn with its own line, said straight to the user.
 *
 * Why: a tool's text output goes back to the model, which then writes the reply: one more model
 * round trip. When the answer is already known (the specialist failed or ran out of time and
 * the user should hear the friendly fallback), that round trip only adds delay and one more thing
 * that can fail. `StopResponse` is the framework's way to say "no reply to this tool"; the line
 * is said through the session and kept in the conversation, so the model knows it was said.
 */
import { type llm, voice } from '@livekit/agents';

/**
 * Says `line` and ends the tool with no model reply. Returns (without saying anything) when there
 * is no session to speak through (a tool called outside a voice session) or the user interrupted
 * the turn; the caller then returns the line as the tool's output, as before.
 */
export function sayInsteadOfReplying(
  toolOptions: llm.ToolOptions<unknown> | undefined,
  line: string,
) {
  const session = toolOptions?.ctx?.session;
  // A user who spoke over the coach has moved on; the turn is being cancelled anyway.
  if (!session || toolOptions?.abortSignal?.aborted) return;
  try {
    session.say(line);
  } catch {
    // A closing session refuses new speech; the line goes back as the tool output instead.
    return;
  }
  throw new voice.StopResponse();
}
