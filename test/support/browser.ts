/**
 * Debian's headless Chromium for the page tests, started as the integration runner and the
 * benches start it (scripts/chromium.mjs): one set of flags, loopback only.
 */
import type { Browser } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../../scripts/chromium.mjs';

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
}
