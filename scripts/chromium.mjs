// Debian's headless Chromium, as every browser run here starts it: the integration runner
// (code-server.mjs), the page tests and the benches. No import.meta, so esbuild can bundle it
// into the compiled tests and benches.
import { existsSync } from 'node:fs';

/** Flags for headless Debian Chromium that keep it from calling anything but loopback. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-dev-shm-usage',
];

export function chromiumPath() {
  for (const p of [process.env.MINT_TEST_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && existsSync(p)) return p;
  }
  throw new Error('Chromium not found: run "bash scripts/install-test-deps.sh" (installs Debian\'s chromium) or set MINT_TEST_CHROMIUM');
}
