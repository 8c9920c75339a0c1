/**
 * Debian's Chromium (`/usr/bin/chromium`, installed by .ci/run), headless, driven by playwright-core over the DevTools
 * protocol. Never a downloaded browser. Each launch gets a fresh profile directory, removed on close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The system browser the specs drive. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Quiet, sandbox-free (CI containers run as root), no network of its own, no first-run or sync prompts. */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A running browser: one profile (one cookie jar), and how to close it and remove its profile. */
export interface RunningBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium with a new profile directory (`--user-data-dir`, passed by playwright-core). */
export async function launchChromium(): Promise<RunningBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'rcjwt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 15_000 });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
