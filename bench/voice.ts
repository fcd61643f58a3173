/**
 * The voice turn, measured on the whole local path: a simulated caller speaks real speech
 * (espeak-ng) over a real livekit-server to the real agent server process, and times the end of
 * its speech to the first non-silent frame of the answer. Writes its keys into
 * bench/results/voice.json (a flat object of numbers; bench/voice-capacity.ts adds its own).
 *
 * Two settings of the provider stand-ins, the same turns for each:
 * - overhead: the stand-ins add nothing (no model or speech delay; the transcript, or Flux's
 *   eager and final ends of turn together, as soon as the Deepgram stand-in has heard
 *   OVERHEAD_ENDPOINTING_MS of quiet, the least that tells the end of a sentence from a pause
 *   inside it), so what is left is the system's own share: VAD and end of turn, the agent's
 *   pipeline, WebRTC through livekit-server.
 * - projected: the stand-ins at published provider latencies (PUBLISHED_PROVIDER_LATENCIES in
 *   test/support/voice-rig.ts): what a user would hear with the hosted providers on a good day.
 *   `projected_system_share_*` is that minus the providers on the agent's own critical path.
 *
 * Three agents on the same livekit-server and stand-ins, each taking its turn right after the
 * coach's, so they are compared under the same load: the coach on its defaults (unprefixed keys),
 * the same coach on Nova when its default is Flux (`coach_nova_*`), and an agent with nothing but
 * the framework's defaults (bench/defaults-agent.ts, `defaults_agent_*`); the ratios
 * (`voice_vs_default_agent_ratio_*`) divide by the last.
 *
 * Each coach turn is also lined up stage by stage (turn-timeline.ts, plus the commit time the
 * agent logs per turn): `<profile>_at_<stage>_p50_ms` is when each stage happened after the end of
 * speech, `<profile>_<part>_p50_ms` how long each part took, so a regression names its stage.
 * Barge-in: the caller talks over a long answer; `barge_in_stop_*` is from the caller's first
 * word to the end of the coach audio it hears. Logged sets: the caller logs sets at published
 * latencies; `logged_set_turn_*` is from the end of the request to the first sound of the
 * confirmation, and `logged_set_vs_question_ratio_*` divides it by the coach's question turn of the
 * same run (a tool call, then the tool's own line, against a reply written by the model). The
 * same for "what's my workout today?": `workout_question_turn_*`, `workout_question_vs_question_ratio_*`.
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_DEEPGRAM_MODEL } from '../agent/config.ts';
import { isFluxModel } from '../agent/providers.ts';
import { DEMO_USER_ID } from '../drizzle/seed-data.ts';
import type { AgentProcess } from '../test/e2e/agent-process.ts';
import { CALLER_LINES } from '../test/support/coach-script.ts';
import { type TurnParts, type TurnTimeline, turnParts } from '../test/support/turn-timeline.ts';
import type { VoiceCaller } from '../test/support/voice-caller.ts';
import {
  callAgentNamed,
  callDefaultsAgent,
  DEFAULTS_AGENT_MAIN,
  DEFAULTS_AGENT_NAME,
  type LocalVoiceStack,
  type ProviderLatencies,
  PUBLISHED_PROVIDER_LATENCIES,
  providerDelayMs,
  setProviderLatencies,
  startLocalVoiceStack,
  startVoiceAgent,
  takeTurn,
  temporarySpoolDir,
} from '../test/support/voice-rig.ts';
import { STARTER_DEEPGRAM_MODEL } from './defaults-agent.ts';
import { mergeVoiceResults, percentile } from './voice-results.ts';

export const VOICE_BENCH_SETTINGS = {
  turnsPerProfile: Number(process.env.VOICE_BENCH_TURNS ?? 15),
  bargeIns: Number(process.env.VOICE_BENCH_BARGE_INS ?? 8),
  /** Quiet the coach must keep after an answer before the next question. */
  settleMs: 800,
  /** How long the caller lets the long answer play before talking over it. */
  bargeInAfterMs: 800,
  /** Sets the caller logs, each a different one, so none is answered as a repeat. */
  loggedSets: Number(process.env.VOICE_BENCH_LOGGED_SETS ?? 8),
  /** Times the caller asks "what's my workout today?" (answered the same way each time). */
  workoutQuestions: Number(process.env.VOICE_BENCH_WORKOUT_QUESTIONS ?? 8),
} as const;

/** "Log seven squats at sixty kilos.": the reps differ per set (the scripted model's words). */
const LOGGED_SET_REPS = ['five', 'six', 'seven', 'eight', 'nine', 'ten', 'twelve', 'fifteen'];

/** The least quiet that ends an utterance without splitting a sentence at its inner pauses. */
const OVERHEAD_ENDPOINTING_MS = 200;

interface Profile extends ProviderLatencies {
  name: 'overhead' | 'projected';
}

const PROFILES: readonly Profile[] = [
  {
    name: 'overhead',
    endpointingMs: OVERHEAD_ENDPOINTING_MS,
    transcriptDelayMs: 0,
    // Flux on the same quiet as Nova, its eager and final ends of turn at once.
    eagerEndOfTurnMs: OVERHEAD_ENDPOINTING_MS,
    endOfTurnMs: OVERHEAD_ENDPOINTING_MS,
    modelFirstTokenMs: 0,
    speechFirstByteMs: 0,
  },
  { name: 'projected', ...PUBLISHED_PROVIDER_LATENCIES },
];

/** The second coach runs on Nova (`/v1/listen`), as the yardstick does (the starter's model). */
const NOVA_MODEL = STARTER_DEEPGRAM_MODEL;
const COACH_ON_NOVA_NAME = 'coach-on-nova';

/** One agent under test and the caller talking to it. */
interface Contender {
  /** `coach` runs on the defaults an operator gets; `coach_nova` is the coach on Nova. */
  name: 'coach' | 'coach_nova' | 'defaults_agent';
  stt: 'nova' | 'flux';
  caller: VoiceCaller;
  /** The coach's agent server, whose per-turn log gives the commit time. */
  agent?: AgentProcess;
}

/** A coach turn's stages (ms after the end of speech), with the commit the agent logged. */
type StagedTurn = TurnTimeline & { turn_committed_ms: number };

interface Measured {
  totals: number[];
  staged: StagedTurn[];
  /** Turns whose stages could not be told apart (e.g. the stand-in split the sentence in two). */
  unattributed: number;
}

async function measureTurns(
  stack: LocalVoiceStack,
  contenders: readonly Contender[],
  turns: number,
) {
  const measured = new Map(
    contenders.map((c) => [c.name, { totals: [], staged: [], unattributed: 0 } as Measured]),
  );
  for (let i = 0; i < turns; i++) {
    for (const contender of contenders) {
      const result = measured.get(contender.name) as Measured;
      const { turn, heardAt, timeline } = await takeTurn(
        stack.standins,
        contender.caller,
        CALLER_LINES.progress,
        undefined,
        contender.agent,
      );
      result.totals.push(heardAt - turn.endedAt);
      if (typeof timeline === 'string' || timeline.turn_committed_ms === undefined) {
        result.unattributed++;
      } else {
        result.staged.push({ ...timeline, turn_committed_ms: timeline.turn_committed_ms });
      }
      await contender.caller.waitForCoachSilence(VOICE_BENCH_SETTINGS.settleMs);
    }
  }
  return measured;
}

/**
 * Talks over a long answer: from the caller's first word to the end of the last coach sound that
 * began before the caller finished (the interrupted answer), then waits for the new answer.
 */
async function measureBargeIns(stack: LocalVoiceStack, contender: Contender, trials: number) {
  const stops: number[] = [];
  const { caller } = contender;
  for (let i = 0; i < trials; i++) {
    const { heardAt } = await takeTurn(stack.standins, caller, CALLER_LINES.warmUp);
    await new Promise((resolve) => setTimeout(resolve, VOICE_BENCH_SETTINGS.bargeInAfterMs));
    stack.standins.deepgram.enqueueTranscripts(CALLER_LINES.progress);
    const turn = await caller.say(CALLER_LINES.progress);
    await caller.waitForCoachSound(turn.endedAt);
    // The answer the caller talked over: sounding when the caller began (a reply's sentences
    // play as one stretch of sound). A trial where the coach had already gone quiet is skipped.
    const interrupted = caller.coachSounds.find(
      (s) => s.startedAt >= heardAt - 1 && s.startedAt <= turn.startedAt,
    );
    if (interrupted?.endedAt !== undefined && interrupted.endedAt > turn.startedAt) {
      stops.push(interrupted.endedAt - turn.startedAt);
    }
    await caller.waitForCoachSilence(VOICE_BENCH_SETTINGS.settleMs);
  }
  return stops;
}

/**
 * Turns that run a tool, from the end of the request to the first sound of the answer: logged
 * sets ("log seven squats at sixty kilos") and "what's my workout today?". The model's one
 * request is the tool call; the answer is the tool's own line (agent/say-instead-of-replying.ts).
 */
async function measureToolTurns(
  stack: LocalVoiceStack,
  contender: Contender,
  lines: readonly string[],
) {
  const waits: number[] = [];
  for (const line of lines) {
    const { turn, heardAt } = await takeTurn(stack.standins, contender.caller, line);
    waits.push(heardAt - turn.endedAt);
    await contender.caller.waitForCoachSilence(VOICE_BENCH_SETTINGS.settleMs);
  }
  return waits;
}

/** Two figures of the same run as a ratio, to three decimals. */
function ratioOf(ours: number, theirs: number): number {
  return Math.round((ours / theirs) * 1000) / 1000;
}

function p50s<T extends object>(prefix: string, rows: readonly T[], rename: (k: string) => string) {
  const keys = Object.keys(rows[0] ?? {}) as Array<keyof T>;
  return Object.fromEntries(
    keys.map((key) => [
      `${prefix}_${rename(String(key))}_p50_ms`,
      percentile(
        rows.map((row) => Number(row[key])),
        50,
      ),
    ]),
  );
}

function stagesAtP50(profile: string, staged: readonly StagedTurn[]): Record<string, number> {
  const stages = staged.map((s) => ({
    transcript: s.transcript_ms,
    turn_committed: s.turn_committed_ms,
    model_request: s.end_of_turn_ms,
    model_first_token: s.model_first_token_ms,
    tts_request: s.tts_request_ms,
    tts_first_audio: s.tts_first_audio_ms,
    heard: s.caller_heard_ms,
  }));
  const parts: TurnParts[] = staged.map(turnParts);
  return {
    ...p50s(`${profile}_at`, stages, (k) => k),
    ...p50s(profile, parts, (k) => k.replace(/_ms$/, '')),
  };
}

export async function runVoiceBench(): Promise<Record<string, number>> {
  const stack = await startLocalVoiceStack();
  const spool = await temporarySpoolDir();
  const moreAgents: AgentProcess[] = [];
  try {
    const startOnNova = async (agentName: string, main?: string) => {
      const agent = await startVoiceAgent({
        server: stack.server,
        apiUrl: stack.api.url,
        standins: stack.standins,
        spoolDir: spool.dir,
        agentName,
        main,
        env: { DEEPGRAM_MODEL: NOVA_MODEL },
      });
      moreAgents.push(agent);
      return agent;
    };
    await startOnNova(DEFAULTS_AGENT_NAME, DEFAULTS_AGENT_MAIN);
    const coach: Contender = {
      name: 'coach',
      stt: isFluxModel(DEFAULT_DEEPGRAM_MODEL) ? 'flux' : 'nova',
      caller: await stack.call(DEMO_USER_ID, 'general'),
      agent: stack.agent,
    };
    const yardstick: Contender = {
      name: 'defaults_agent',
      stt: 'nova',
      caller: await callDefaultsAgent(stack.server, DEMO_USER_ID),
    };
    const contenders = [coach, yardstick];
    if (coach.stt === 'flux') {
      contenders.splice(1, 0, {
        name: 'coach_nova',
        stt: 'nova',
        agent: await startOnNova(COACH_ON_NOVA_NAME),
        caller: await callAgentNamed(stack.server, DEMO_USER_ID, COACH_ON_NOVA_NAME),
      });
    }
    for (const { caller } of contenders) {
      await caller.waitForCoachSound(0, 60_000);
      await caller.waitForCoachSilence(VOICE_BENCH_SETTINGS.settleMs);
    }
    const results: Record<string, number> = {};
    try {
      for (const profile of PROFILES) {
        setProviderLatencies(stack.standins, profile);
        const measured = await measureTurns(
          stack,
          contenders,
          VOICE_BENCH_SETTINGS.turnsPerProfile,
        );
        const theirs = measured.get('defaults_agent') as Measured;
        const total = profile.name === 'overhead' ? 'turn_overhead' : 'projected_voice_to_voice';
        const ratioKey =
          profile.name === 'projected'
            ? 'voice_vs_default_agent_ratio'
            : 'overhead_vs_default_agent_ratio';
        for (const p of [50, 95]) {
          results[`defaults_agent_${total}_p${p}_ms`] = percentile(theirs.totals, p);
        }
        for (const contender of contenders.filter((c) => c.name !== 'defaults_agent')) {
          const ours = measured.get(contender.name) as Measured;
          // The coach on its defaults keeps the unprefixed keys the targets are written against.
          const prefix = contender.name === 'coach' ? '' : `${contender.name}_`;
          for (const p of [50, 95]) {
            results[`${prefix}${total}_p${p}_ms`] = percentile(ours.totals, p);
            results[`${prefix}${ratioKey}_p${p}`] = ratioOf(
              percentile(ours.totals, p),
              percentile(theirs.totals, p),
            );
          }
          if (profile.name === 'projected') {
            const shares = ours.totals.map((t) => t - providerDelayMs(profile, contender.stt));
            results[`${prefix}projected_system_share_p50_ms`] = percentile(shares, 50);
            results[`${prefix}projected_system_share_p95_ms`] = percentile(shares, 95);
          }
          Object.assign(results, stagesAtP50(`${prefix}${profile.name}`, ours.staged));
          results[`${prefix}${profile.name}_turns_without_stages`] = ours.unattributed;
        }
      }
      setProviderLatencies(stack.standins, PUBLISHED_PROVIDER_LATENCIES);
      for (const contender of [coach, yardstick]) {
        const stops = await measureBargeIns(stack, contender, VOICE_BENCH_SETTINGS.bargeIns);
        const prefix = contender.name === 'coach' ? '' : 'defaults_agent_';
        results[`${prefix}barge_in_stop_p50_ms`] = percentile(stops, 50);
        results[`${prefix}barge_in_stop_p95_ms`] = percentile(stops, 95);
        results[`${prefix}barge_ins_measured`] = stops.length;
      }
      const toolTurns = {
        logged_set: Array.from(
          { length: VOICE_BENCH_SETTINGS.loggedSets },
          (_, i) => `Log ${LOGGED_SET_REPS[i % LOGGED_SET_REPS.length]} squats at sixty kilos.`,
        ),
        workout_question: Array.from(
          { length: VOICE_BENCH_SETTINGS.workoutQuestions },
          () => CALLER_LINES.workout,
        ),
      };
      for (const [name, lines] of Object.entries(toolTurns)) {
        const waits = await measureToolTurns(stack, coach, lines);
        for (const p of [50, 95]) {
          results[`${name}_turn_p${p}_ms`] = percentile(waits, p);
          results[`${name}_vs_question_ratio_p${p}`] = ratioOf(
            percentile(waits, p),
            results[`projected_voice_to_voice_p${p}_ms`] ?? NaN,
          );
        }
        results[`${name}s_measured`] = waits.length;
      }
    } finally {
      for (const contender of contenders.filter((c) => c !== coach)) {
        await contender.caller.hangUp();
      }
    }
    results.turns_per_profile = VOICE_BENCH_SETTINGS.turnsPerProfile;
    results.overhead_stt_endpointing_ms = OVERHEAD_ENDPOINTING_MS;
    await mergeVoiceResults(results);
    return results;
  } finally {
    for (const agent of moreAgents) await agent.stop();
    await stack.close();
    await spool.remove();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runVoiceBench(), null, 2));
  // The LiveKit client keeps native handles open; the measurement is done and written.
  process.exit(0);
}
