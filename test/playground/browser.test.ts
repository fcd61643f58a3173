/**
 * The playground page in a real headless Chromium against the whole local voice stack: the page
 * as the edge API serves it (built files, embedded defaults), a real livekit-server, the real
 * agent server process and the provider stand-ins (test/support/voice-rig.ts). The browser's
 * fake microphone plays espeak-ng speech; the Deepgram stand-in hears it and sends the line the
 * test queued. Screenshots at a desktop and a phone size go to test-results/playground/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spokenList } from '../../agent/coaching/phrases.ts';
import { DEMO_USER_ID, SEED_USERS } from '../../drizzle/seed-data.ts';
import type { Weekday } from '../../shared/schemas.ts';
import { PLAYGROUND_DIR, PLAYGROUND_PATH } from '../../workers/playground/assets.ts';
import type { AgentProcess } from '../e2e/agent-process.ts';
import {
  chromiumAvailability,
  type FakeMicBrowser,
  launchWithFakeMicrophone,
} from '../support/browser.ts';
import { CALLER_LINES } from '../support/coach-script.ts';
import { livekitServerAvailability } from '../support/livekit-server.ts';
import { encodeWav, renderSpeech } from '../support/speech-audio.ts';
import {
  type LocalVoiceStack,
  startLocalVoiceStack,
  startVoiceAgent,
  temporarySpoolDir,
} from '../support/voice-rig.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-results/playground/', import.meta.url));
const SAMPLE_RATE = 48_000;
/**
 * The fake microphone's file: silence long enough for the greeting, the question once, then
 * silence long enough for the rest of the test, since Chromium loops the file.
 */
const LEAD_SILENCE_S = 8;
const TAIL_SILENCE_S = 90;

const livekit = livekitServerAvailability();
const browser = chromiumAvailability();
const built = existsSync(join(PLAYGROUND_DIR, 'index.html'));
// npm test builds the page first (scripts/test-setup.sh), so in CI a missing page is a failure.
if (!built && process.env.CI === 'true') throw new Error('the playground is not built in CI');
const skipReason = !livekit.available
  ? livekit.reason
  : !browser.available
    ? browser.reason
    : !built
      ? 'the playground is not built (npm run build:playground)'
      : undefined;
if (skipReason) console.warn(`skipping the playground browser test: ${skipReason}`);

const DEMO = SEED_USERS.find((seed) => seed.user.id === DEMO_USER_ID);
if (!DEMO) throw new Error('the seed has no demo user');
const FIRST_NAME = String(DEMO.profile.name).split(' ')[0] ?? '';

/** The demo user's weekday now, in their own time zone, as the coach names it. */
function demoWeekday(): Weekday {
  return new Intl.DateTimeFormat('en-US', {
    weekday: 'long',
    timeZone: String(DEMO?.profile.timeZone),
  })
    .format(new Date())
    .toLowerCase() as Weekday;
}

/** What the whole answer about today's workout ends with: its last exercise, or the rest day. */
/**
 * How get_todays_workout's line (it says the day itself) opens, and the whole of its first
 * sentence: the day's exercises by name, or the rest day.
 */
function todaysWorkoutWords(): { opening: string; firstSentence: string } {
  const today = DEMO?.workoutPlan.days?.find((day) => day.day === demoWeekday());
  const names = today && !today.rest_day ? today.exercises.map((e) => e.name) : [];
  if (!today || names.length === 0) {
    return { opening: 'Today is a rest day', firstSentence: `a rest day: ${today?.name}.` };
  }
  return { opening: `Today is ${today.name}: `, firstSentence: `${spokenList(names)}. ` };
}

async function writeSpeechFile(dir: string, line: string): Promise<string> {
  const speech = await renderSpeech(line, { sampleRate: SAMPLE_RATE });
  const samples = new Int16Array((LEAD_SILENCE_S + TAIL_SILENCE_S) * SAMPLE_RATE + speech.length);
  samples.set(speech, LEAD_SILENCE_S * SAMPLE_RATE);
  const path = join(dir, 'speech.wav');
  await writeFile(path, encodeWav(samples, SAMPLE_RATE));
  return path;
}

const lines = (page: Page, speaker: 'user' | 'coach') =>
  page.locator(`#transcript li[data-speaker="${speaker}"]`).allTextContents();

async function signInAndConnect(page: Page, apiUrl: string): Promise<void> {
  await page.goto(`${apiUrl}${PLAYGROUND_PATH}`);
  await page.click('#demo-signin');
  await page.locator('#signed-in').waitFor({ state: 'visible' });
  await page.check('input[name="coach"][value="workout"]');
  await page.click('#connect');
}

async function typeMessage(page: Page, text: string): Promise<void> {
  await page.fill('#chat-input', text);
  await page.press('#chat-input', 'Enter');
}

const errorKind = (page: Page) => page.locator('#error:not([hidden])').getAttribute('data-kind');

/** The coach has said everything it started and listens again. */
async function expectCoachDone(page: Page): Promise<void> {
  await expect
    .poll(() => page.locator('#transcript li[data-speaker="coach"][data-pending="true"]').count(), {
      timeout: 30_000,
    })
    .toBe(0);
  await expect.poll(() => page.locator('#status').getAttribute('data-agent')).toBe('listening');
}

describe.skipIf(skipReason !== undefined)('the playground page in headless Chromium', () => {
  let stack: LocalVoiceStack;
  let work: string;
  let speechWav: string;
  /** The agent started again after the stopped-agent case, and its spool directory. */
  let restartedAgent: AgentProcess | undefined;
  let spool: Awaited<ReturnType<typeof temporarySpoolDir>> | undefined;
  let chromium: FakeMicBrowser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'fvc-playground-'));
    const [started, wav] = await Promise.all([
      startLocalVoiceStack(),
      writeSpeechFile(work, CALLER_LINES.workout),
      mkdir(ARTIFACTS, { recursive: true }),
    ]);
    stack = started;
    speechWav = wav;
    chromium = await launchWithFakeMicrophone(speechWav);
    page = chromium.context.pages()[0] ?? (await chromium.context.newPage());
    // Only the error's class and first line: page messages could quote a token.
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await restartedAgent?.stop();
    await spool?.remove();
    await stack?.close();
    if (work) await rm(work, { recursive: true, force: true });
  }, 90_000);

  it('talks with the workout coach by voice and by text, showing what the coach does', async () => {
    // The only line the Deepgram stand-in will send: the fake microphone's one question.
    stack.standins.deepgram.clearTranscripts();
    stack.standins.deepgram.enqueueTranscripts(CALLER_LINES.workout);

    await signInAndConnect(page, stack.api.url);

    // The greeting, with the user's name, from the coach's transcription stream.
    await expect
      .poll(() => lines(page, 'coach'), { timeout: 30_000 })
      .toContainEqual(expect.stringContaining(`Hey ${FIRST_NAME}!`));
    await expect.poll(() => page.locator('#status').getAttribute('data-phase')).toBe('in_call');

    // The fake microphone's question reaches the agent and comes back as the user's transcript.
    await expect
      .poll(() => lines(page, 'user'), { timeout: 30_000 })
      .toContainEqual(expect.stringContaining("What's my workout today?"));
    expect(stack.standins.deepgram.utterances.length).toBeGreaterThan(0);

    // The answer about today's workout, in text and in audio the page really played.
    const workoutWords = todaysWorkoutWords();
    await expect
      .poll(() => lines(page, 'coach'), { timeout: 30_000 })
      .toContainEqual(expect.stringContaining(workoutWords.opening));
    // The coach's text follows its audio; the whole day is there once it has been said.
    await expect
      .poll(() => lines(page, 'coach'), { timeout: 60_000 })
      .toContainEqual(expect.stringContaining(workoutWords.firstSentence));
    await expectCoachDone(page);
    await expect
      .poll(async () => Number(await page.locator('#audio-level').getAttribute('data-peak')), {
        timeout: 10_000,
      })
      .toBeGreaterThan(0.01);
    await expect
      .poll(() => page.locator('#tool-events li[data-tool="get_todays_workout"]').count())
      .toBeGreaterThan(0);
    expect(
      await page.locator('#tool-events li[data-tool="get_todays_workout"]').first().textContent(),
    ).toMatch(/^get_todays_workout · worked · [\d.]+ ms$/);
    // The spoken turn's latency, as the agent measured it, with its parts.
    await expect.poll(() => page.locator('#latencies li').count(), { timeout: 15_000 }).toBe(1);
    const latency = await page.locator('#latencies li').first().textContent();
    expect(latency).toMatch(/ms to first audio.*end of turn .* model .* speech /);
    console.log(`playground: the spoken turn's latency: ${latency}`);

    // A typed message gets an answer in text, and the tool it used is shown.
    const coachLinesBefore = (await lines(page, 'coach')).length;
    await typeMessage(page, CALLER_LINES.logSquats);
    await expect
      .poll(() => lines(page, 'user'))
      .toContainEqual(expect.stringContaining(CALLER_LINES.logSquats));
    await expect
      .poll(() => page.locator('#tool-events li[data-tool="log_workout_set"]').count(), {
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => (await lines(page, 'coach')).length, { timeout: 30_000 })
      .toBeGreaterThan(coachLinesBefore);
    await expectCoachDone(page);

    await page.screenshot({ path: join(ARTIFACTS, 'desktop.png'), fullPage: true });
    // A phone: one column, nothing wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true });
    console.log(`playground: screenshots in ${ARTIFACTS}`);

    await page.click('#hang-up');
    await expect.poll(() => page.locator('#status').getAttribute('data-phase')).toBe('ended');
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('goes on by text when the microphone is refused, and says why', async () => {
    const refusing = await launchWithFakeMicrophone(speechWav, { microphone: 'refused' });
    try {
      const blocked = refusing.context.pages()[0] ?? (await refusing.context.newPage());
      stack.standins.deepgram.clearTranscripts();
      await signInAndConnect(blocked, stack.api.url);
      await expect.poll(() => errorKind(blocked), { timeout: 20_000 }).toBe('microphone_refused');
      expect(await blocked.locator('#mic').getAttribute('aria-pressed')).toBe('false');
      await expect
        .poll(() => lines(blocked, 'coach'), { timeout: 30_000 })
        .toContainEqual(expect.stringContaining(`Hey ${FIRST_NAME}!`));
      await expectCoachDone(blocked);
      await typeMessage(blocked, CALLER_LINES.workout);
      await expect
        .poll(() => lines(blocked, 'coach'), { timeout: 30_000 })
        .toContainEqual(expect.stringContaining(todaysWorkoutWords().opening));
      await blocked.click('#hang-up');
    } finally {
      await refusing.close();
    }
  }, 120_000);

  it('says the coach did not join when the agent is stopped, and offers to try again', async () => {
    await stack.agent.stop();
    await signInAndConnect(page, stack.api.url);
    await expect.poll(() => errorKind(page), { timeout: 30_000 }).toBe('coach_missing');
    expect(await page.locator('#status').getAttribute('data-phase')).toBe('failed');
    await expect(page.locator('#retry').isVisible()).resolves.toBe(true);
  }, 60_000);

  it('shows a dropped connection being retried, then offers to reconnect', async () => {
    // The agent is back, so the call gets to the coach before the connection goes.
    spool = await temporarySpoolDir();
    restartedAgent = await startVoiceAgent({
      server: stack.server,
      apiUrl: stack.api.url,
      standins: stack.standins,
      spoolDir: spool.dir,
    });
    await page.click('#retry');
    await expect
      .poll(() => page.locator('#status').getAttribute('data-phase'), { timeout: 30_000 })
      .toBe('in_call');
    await stack.server.stop();
    await expect
      .poll(() => page.locator('#status').getAttribute('data-phase'), { timeout: 10_000 })
      .toBe('reconnecting');
    // livekit-client gives up after its reconnect policy's attempts (about 45 s).
    await expect.poll(() => errorKind(page), { timeout: 120_000 }).toBe('connection_dropped');
    await expect(page.locator('#retry').isVisible()).resolves.toBe(true);
    await expect(page.locator('#connect').textContent()).resolves.toBe('Reconnect');
  }, 180_000);
});
