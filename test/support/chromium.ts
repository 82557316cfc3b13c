/**
 * Headless Debian Chromium (/usr/bin/chromium) through playwright-core, for tests that check what
 * a person would see in a browser (the backtest report). A missing browser FAILS the suite that
 * asks for it: the report must be checked in a real browser, never skipped.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumBinary = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** No GPU, no sandbox (containers), and none of Chromium's own background requests. */
export const chromiumArgs: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium; throws (so the test fails) when the binary is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumBinary)) {
    throw new Error(`${chromiumBinary} not found: install Debian's chromium package (apt-get install -y chromium)`);
  }
  return chromium.launch({ executablePath: chromiumBinary, args: [...chromiumArgs] });
}
