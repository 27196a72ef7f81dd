// Launches Debian's Chromium headless through playwright-core, for tests that render pages in a
// real browser. CI installs the chromium package; without it the launch fails (tests never skip).
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A headless Chromium with no sandbox, no background network and no first-run chores. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
