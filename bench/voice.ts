/**
 * The voice turn, measured on the whole local path: a simulated caller speaks real speech
 * (espeak-ng) over a real livekit-server to the real agent server process, and times the end of
 * its speech to the first non-silent frame of the coach's answer. Writes bench/results/voice.json,
 * a flat object of numbers.
 *
 * Two settings of the provider stand-ins, the same turns for each:
 * - overhead: the stand-ins add nothing (no model or speech delay, the transcript as soon as the
 *   Deepgram stand-in has heard OVERHEAD_ENDPOINTING_MS of quiet, the least that tells the end of
 *   a sentence from a pause inside it), so what is left is the system's own share: VAD and end of
 *   turn, the agent's pipeline, WebRTC through livekit-server.
 * - projected: the stand-ins set to published provider latencies (transcript 250 ms after the
 *   end of speech, model first token 350 ms, speech first byte 90 ms): what a user would hear with
 *   the hosted providers on a good day.
 * Each turn is also split into its stages (turn-timeline.ts); the parts are reported at p50.
 * `stt` runs from the end of the caller's speech to the transcript, so it holds the uplink too
 * (WebRTC through livekit-server, the agent's audio pipeline, the plugin's 100 ms chunks) as well
 * as the stand-in's endpointing. The agent generates preemptively (it asks the model on the
 * transcript, before its own end of turn), so with an instant model its end-of-turn wait shows in
 * `agent_to_tts`, not in `agent_end_of_turn`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nearestRank } from '../agent/session-stats.ts';
import { DEMO_USER_ID } from '../drizzle/seed-data.ts';
import { CALLER_LINES } from '../test/support/coach-script.ts';
import { type TurnParts, turnParts } from '../test/support/turn-timeline.ts';
import type { VoiceCaller } from '../test/support/voice-caller.ts';
import { type LocalVoiceStack, startLocalVoiceStack, takeTurn } from '../test/support/voice-rig.ts';

const RESULTS = fileURLToPath(new URL('./results/voice.json', import.meta.url));

export const VOICE_BENCH_SETTINGS = {
  turnsPerProfile: 15,
  /** Quiet the coach must keep after an answer before the next question. */
  settleMs: 800,
} as const;

/** The least quiet that ends an utterance without splitting a sentence at its inner pauses. */
const OVERHEAD_ENDPOINTING_MS = 200;

interface Profile {
  name: 'overhead' | 'projected';
  endpointingMs: number;
  transcriptDelayMs: number;
  modelFirstTokenMs: number;
  speechFirstByteMs: number;
}

const PROFILES: readonly Profile[] = [
  {
    name: 'overhead',
    endpointingMs: OVERHEAD_ENDPOINTING_MS,
    transcriptDelayMs: 0,
    modelFirstTokenMs: 0,
    speechFirstByteMs: 0,
  },
  // 200 ms of quiet plus 50 ms to answer: the transcript 250 ms after the end of speech.
  {
    name: 'projected',
    endpointingMs: 200,
    transcriptDelayMs: 50,
    modelFirstTokenMs: 350,
    speechFirstByteMs: 90,
  },
];

interface Measured {
  totals: number[];
  parts: TurnParts[];
  /** Turns whose stages could not be told apart (e.g. the stand-in split the sentence in two). */
  unattributed: number;
}

function applyProfile(stack: LocalVoiceStack, profile: Profile): void {
  stack.standins.deepgram.setTiming({
    endpointingMs: profile.endpointingMs,
    replyDelayMs: profile.transcriptDelayMs,
  });
  stack.standins.voiceLlm.setFirstTokenDelay(profile.modelFirstTokenMs);
  stack.standins.cartesia.setTimeToFirstByte(profile.speechFirstByteMs);
}

async function measureTurns(stack: LocalVoiceStack, caller: VoiceCaller, turns: number) {
  const measured: Measured = { totals: [], parts: [], unattributed: 0 };
  for (let i = 0; i < turns; i++) {
    const { turn, heardAt, timeline } = await takeTurn(
      stack.standins,
      caller,
      CALLER_LINES.progress,
    );
    measured.totals.push(heardAt - turn.endedAt);
    if (typeof timeline === 'string') measured.unattributed++;
    else measured.parts.push(turnParts(timeline));
    await caller.waitForCoachSilence(VOICE_BENCH_SETTINGS.settleMs);
  }
  return measured;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

function percentile(values: readonly number[], p: number): number {
  return round(
    nearestRank(
      [...values].sort((a, b) => a - b),
      p,
    ),
  );
}

function partsAtP50(prefix: string, parts: readonly TurnParts[]): Record<string, number> {
  const keys = Object.keys(parts[0] ?? {}) as Array<keyof TurnParts>;
  return Object.fromEntries(
    keys.map((key) => [
      `${prefix}_${key.replace(/_ms$/, '')}_p50_ms`,
      percentile(
        parts.map((part) => part[key]),
        50,
      ),
    ]),
  );
}

export async function runVoiceBench(): Promise<Record<string, number>> {
  const stack = await startLocalVoiceStack();
  try {
    const caller = await stack.call(DEMO_USER_ID, 'general');
    await caller.waitForCoachSound(0, 60_000);
    await caller.waitForCoachSilence(VOICE_BENCH_SETTINGS.settleMs);
    const results: Record<string, number> = {};
    for (const profile of PROFILES) {
      applyProfile(stack, profile);
      const { totals, parts, unattributed } = await measureTurns(
        stack,
        caller,
        VOICE_BENCH_SETTINGS.turnsPerProfile,
      );
      const total = profile.name === 'overhead' ? 'turn_overhead' : 'projected_voice_to_voice';
      results[`${total}_p50_ms`] = percentile(totals, 50);
      results[`${total}_p95_ms`] = percentile(totals, 95);
      Object.assign(results, partsAtP50(profile.name, parts));
      results[`${profile.name}_turns_without_stages`] = unattributed;
    }
    results.turns_per_profile = VOICE_BENCH_SETTINGS.turnsPerProfile;
    results.overhead_stt_endpointing_ms = OVERHEAD_ENDPOINTING_MS;
    await mkdir(join(RESULTS, '..'), { recursive: true });
    await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    return results;
  } finally {
    await stack.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runVoiceBench(), null, 2));
  // The LiveKit client keeps native handles open; the measurement is done and written.
  process.exit(0);
}
