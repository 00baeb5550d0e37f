// code-server as this repo uses it: installed once into a cache outside the repo, started on
// loopback with the marketplace and telemetry off, stopped with all its extension hosts.
// Shared by the integration runner and `npm start`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.99.4';
const here = dirname(fileURLToPath(import.meta.url));

export function codeServerRoot() {
  return join(process.env.MINT_TEST_CACHE || join(homedir(), '.cache', 'mint-vscode'), `code-server-${CODE_SERVER_VERSION}`);
}

/** Returns code-server's entry.js, running the install script first when it is not there yet. */
export function ensureCodeServer() {
  const root = codeServerRoot();
  const entry = join(root, 'node_modules/code-server/out/node/entry.js');
  if (existsSync(join(root, '.installed')) && existsSync(entry)) return entry;
  console.log(`code-server ${CODE_SERVER_VERSION} is not in ${root} yet: installing it (a few minutes, once)`);
  const r = spawnSync('bash', [join(here, 'install-test-deps.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(entry)) {
    throw new Error(`installing code-server failed (exit ${r.status}); run "bash scripts/install-test-deps.sh" to see why`);
  }
  return entry;
}

/** A port that was free a moment ago on 127.0.0.1; `preferred` first when it is free. */
export async function freePort(preferred = 0) {
  const tryListen = (port) =>
    new Promise((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(null));
      srv.listen(port, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
  return (preferred && (await tryListen(preferred))) || (await tryListen(0));
}

export function writeUserSettings(userDataDir, settings) {
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** Settings that keep a test or demo window quiet and offline. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  // Tests open the walkthrough themselves; a first-run tab would take the editor from them.
  'mint.openWalkthroughOnFirstRun': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
};

/**
 * Starts code-server and resolves once /healthz answers. `env` is added to code-server's
 * environment, which its extension hosts inherit.
 */
export async function startCodeServer({ entry, port, userDataDir, extensionsDir, env = {}, logFile, readyTimeoutMs = 60_000 }) {
  const root = dirname(dirname(dirname(dirname(dirname(entry)))));
  const config = join(root, 'config.yaml');
  // Without a config file of its own code-server writes one into ~/.config/code-server.
  if (!existsSync(config)) writeFileSync(config, '');
  mkdirSync(extensionsDir, { recursive: true });
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(
    process.execPath,
    [
      entry,
      '--config',
      config,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--disable-proxy',
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      '--ignore-last-opened',
    ],
    {
      // An empty gallery turns the marketplace off, else the workbench calls open-vsx.
      env: { ...process.env, EXTENSIONS_GALLERY: '{}', ...env },
      stdio: ['ignore', out, out],
      // Its own process group, so stopping it also stops the extension hosts it forked.
      detached: true,
    },
  );
  let exited = null;
  child.once('exit', (code, signal) => {
    exited = { code, signal };
  });
  const host = `127.0.0.1:${port}`;
  const stop = () =>
    new Promise((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return resolve();
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 5_000).unref();
    });
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exited) throw new Error(`code-server exited during start-up (${JSON.stringify(exited)})${logFile ? `; see ${logFile}` : ''}`);
    try {
      const res = await fetch(`http://${host}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer /healthz on ${host} within ${readyTimeoutMs} ms${logFile ? `; see ${logFile}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, url: `http://${host}/`, child, stop };
}

/**
 * The workbench URL that opens `folder` with development extensions (a path or a list) and
 * optionally a test entry point loaded (and the Welcome page skipped unless skipWelcome is false). The vscode-remote authority must be the host the browser uses.
 */
export function workbenchUrl({ host, folder, extensionDevelopmentPath, extensionTestsPath, skipWelcome = true }) {
  const payload = [];
  for (const dev of [extensionDevelopmentPath ?? []].flat()) payload.push(['extensionDevelopmentPath', `vscode-remote://${host}${dev}`]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', `vscode-remote://${host}${extensionTestsPath}`]);
  // Tests skip it; `npm start` shows it, because it offers MinT's walkthrough.
  if (skipWelcome) payload.push(['skipWelcome', 'true']);
  return `http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

export { CHROMIUM_ARGS, chromiumPath } from './chromium.mjs';
