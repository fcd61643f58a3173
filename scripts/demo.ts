/**
 * `npm run demo`: the whole voice system on this machine, with no API keys. It starts a local
 * livekit-server (built by scripts/install-livekit-server.sh, as the tests build it), the edge API
 * on its embedded defaults, the agent server against the provider stand-ins (set to published
 * provider latencies), and a scripted caller that speaks real speech (espeak-ng) to the coach:
 * the greeting, today's workout, a logged set, a specialist question. It prints the conversation
 * as it happens and where each millisecond of every turn went, then stops; Ctrl-C stops it early,
 * cleanly. With `--playground` there is no scripted caller: the same stack stays up for the
 * browser playground until Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEMO_USER_ID } from '../drizzle/seed-data.ts';
import { CALLER_LINES } from '../test/support/coach-script.ts';
import { findLivekitServerBinary } from '../test/support/livekit-server.ts';
import type { TurnTimeline } from '../test/support/turn-timeline.ts';
import type { VoiceCaller } from '../test/support/voice-caller.ts';
import {
  type LocalVoiceStack,
  PUBLISHED_PROVIDER_LATENCIES,
  setProviderLatencies,
  startLocalVoiceStack,
  takeTurn,
} from '../test/support/voice-rig.ts';
import { PLAYGROUND_PATH } from '../workers/playground/assets.ts';

/** No scripted caller: the stack stays up for the playground page (README "Try it in a browser"). */
const PLAYGROUND_ONLY = process.argv.includes('--playground');
const INSTALL_SCRIPT = fileURLToPath(new URL('./install-livekit-server.sh', import.meta.url));
/** A reply has finished once the agent listens again and the caller has heard nothing this long. */
const SETTLE_MS = 500;

const say = (line: string) => process.stdout.write(`${line}\n`);

function ensureLivekitServer(): void {
  if (findLivekitServerBinary()) return;
  say('Building livekit-server once (scripts/install-livekit-server.sh, needs Go)...');
  execFileSync('bash', [INSTALL_SCRIPT], { stdio: ['ignore', 'ignore', 'inherit'] });
}

function describeTurn(timeline: TurnTimeline): string {
  const step = (label: string, ms: number) => `${label} +${Math.round(ms)}`;
  return [
    'end of speech 0',
    step('transcript', timeline.transcript_ms),
    step('model asked', timeline.end_of_turn_ms),
    ...(timeline.turn_committed_ms === undefined
      ? []
      : [step('turn committed', timeline.turn_committed_ms)]),
    step('model first token', timeline.model_first_token_ms),
    step('first audio out', timeline.tts_first_audio_ms),
    step('first audio heard', timeline.caller_heard_ms),
  ].join('  ·  ');
}

/** What the coach was asked to say since generation `since`, once it has finished. */
async function coachSaid(stack: LocalVoiceStack, caller: VoiceCaller, since: number) {
  await caller.waitForCoachDone(SETTLE_MS, 60_000);
  return stack.standins.cartesia.generations
    .slice(since)
    .map((generation) => generation.transcript.trim())
    .join(' ');
}

async function converse(stack: LocalVoiceStack, stopped: () => boolean): Promise<void> {
  const caller = await stack.call(DEMO_USER_ID, 'workout');
  say(`Caller joined room ${caller.session.room_name} as the demo user; waiting for the coach...`);
  await caller.waitForCoachSound(0, 60_000);
  say(`coach: ${await coachSaid(stack, caller, 0)}`);
  for (const line of [CALLER_LINES.workout, CALLER_LINES.logSquats, CALLER_LINES.specialist]) {
    if (stopped()) return;
    const since = stack.standins.cartesia.generations.length;
    say(`\nyou:   ${line}`);
    const { timeline } = await takeTurn(stack.standins, caller, line, undefined, stack.agent);
    say(
      `       ${typeof timeline === 'string' ? `(no timeline: ${timeline})` : `${describeTurn(timeline)} ms`}`,
    );
    say(`coach: ${await coachSaid(stack, caller, since)}`);
  }
}

async function main(): Promise<void> {
  ensureLivekitServer();
  say('Starting livekit-server, the API (embedded defaults), the stand-ins and the agent...');
  const stack = await startLocalVoiceStack();
  const latencies = PUBLISHED_PROVIDER_LATENCIES;
  setProviderLatencies(stack.standins, latencies);
  say(
    `Ready. Stand-ins at published provider latencies: Flux's eager end of turn ${latencies.eagerEndOfTurnMs} ms ` +
      `after speech (its end of turn ${latencies.endOfTurnMs} ms), model first token ` +
      `${latencies.modelFirstTokenMs} ms, speech first byte ${latencies.speechFirstByteMs} ms.\n`,
  );
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nStopping...');
    await stack.close();
    say('Stopped.');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0));
  if (PLAYGROUND_ONLY) {
    say(
      `Playground: ${stack.api.url}${PLAYGROUND_PATH}  (sign in as the demo user and type to the coach; the speech stand-in cannot understand words, so speaking needs real providers). Ctrl-C stops.`,
    );
    return;
  }
  try {
    await converse(stack, () => stopping);
  } catch (error) {
    if (stopping) return;
    process.stderr.write(
      `demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    await stop(1);
    return;
  }
  await stop(0);
}

await main();
