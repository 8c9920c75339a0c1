/**
 * Debian's Chromium (`/usr/bin/chromium`, installed by .ci/run), headless, driven by playwright-core over the DevTools
 * protocol. Never a downloaded browser. Each launch gets a fresh profile directory, removed on close. Without the
 * browser the suite is skipped with a message, except in CI (`CI=true`), where a missing browser fails.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** The system browser the specs drive. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const MISSING_BROWSER = `no Chromium at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium) or set CHROMIUM_PATH`;

/** Skips the current suite (outside CI) or fails it (in CI) when the browser is not installed. */
export function requireChromium(context: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.CI === 'true') throw new Error(`${MISSING_BROWSER} (CI=true: a missing browser is a failure, not a skip)`);
  console.warn(`      skipped: ${MISSING_BROWSER}`);
  context.skip();
}

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
