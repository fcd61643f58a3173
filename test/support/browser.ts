/**
 * Headless Chromium from Debian's `chromium` package, driven by playwright-core, with a fake
 * microphone that plays a WAV file (and loops it) and a fake camera, granted without a prompt
 * (or refused, as a user who blocks them would).
 * Each launch gets a fresh profile directory, removed on close. scripts/test-setup.sh and
 * .ci/run install the package when it is missing.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export type ChromiumAvailability = { available: true } | { available: false; reason: string };

/** Whether Chromium is installed; in CI a missing one is an error rather than a skip. */
export function chromiumAvailability(env: NodeJS.ProcessEnv = process.env): ChromiumAvailability {
  if (existsSync(CHROMIUM_PATH)) return { available: true };
  const reason = `Chromium is not installed at ${CHROMIUM_PATH} (apt-get install chromium)`;
  if (env.CI === 'true') throw new Error(`${reason} (required in CI)`);
  return { available: false, reason };
}

export interface FakeMicBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

export interface FakeMicOptions {
  /** `refused` answers every permission prompt with no, as a user who blocks the microphone. */
  microphone?: 'allowed' | 'refused';
  viewport?: { width: number; height: number };
}

export async function launchWithFakeMicrophone(
  speechWav: string,
  options: FakeMicOptions = {},
): Promise<FakeMicBrowser> {
  const permission =
    options.microphone === 'refused'
      ? '--deny-permission-prompts'
      : '--use-fake-ui-for-media-stream';
  const profile = await mkdtemp(join(tmpdir(), 'fvc-chromium-'));
  let context: BrowserContext;
  try {
    // Playwright adds --headless and --user-data-dir (the fresh profile) itself.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        permission,
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-audio-capture=${speechWav}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
