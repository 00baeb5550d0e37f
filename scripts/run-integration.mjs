// Runs the integration suite (out/test/integration/index.js) inside a real VS Code:
//   default           code-server 4.99.4 on 127.0.0.1 in headless Debian Chromium (playwright-core);
//                     only the npm registry and Debian are needed, so it works on these machines.
//   MINT_TEST_RUNNER=electron   desktop VS Code downloaded by @vscode/test-electron (needs
//                     update.code.visualstudio.com, and a display such as xvfb-run on Linux).
// The suite is started by a throwaway harness extension loaded beside the extension under test,
// not through extensionTestsPath: in that mode VS Code swaps the real clipboard for an in-memory
// one, and the tests must see the clipboard a person would paste from. index.js keeps the
// extensionTestsPath contract (run()), so @vscode/test-electron's runTests can load it as well.
// A UI bridge (scripts/ui-bridge-server.mjs) lets the tests see the workbench as a person does;
// its URL reaches the extension host as MINT_TEST_BRIDGE, and the harness reports the result to it.
// Env: MINT_TEST_GREP (mocha grep), MINT_TEST_TIMEOUT_MS (whole run, default 15 min),
//      MINT_TEST_EXTENSION_PATH (a different development extension), MINT_TEST_HEADED=1,
//      MINT_TEST_VSCODE_VERSION (electron only, default stable), MINT_TEST_RESULTS_DIR,
//      MINT_TEST_VSIX (install this .vsix and test it instead of the checkout).
// Artifacts (screenshots, logs, the browser console) go to test-results/.
import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, mkdtempSync, rmSync, cpSync, writeFileSync, createWriteStream } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensureCodeServer,
  freePort,
  startCodeServer,
  writeUserSettings,
  workbenchUrl,
  QUIET_SETTINGS,
  CHROMIUM_ARGS,
  chromiumPath,
} from './code-server.mjs';
import { startUiBridge } from './ui-bridge-server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = resolve(process.env.MINT_TEST_RESULTS_DIR || join(root, 'test-results'));
const testsPath = join(root, 'out/test/integration/index.js');
const devPath = resolve(process.env.MINT_TEST_EXTENSION_PATH || root);
const runner = process.env.MINT_TEST_RUNNER || 'code-server';
// Test the packaged extension instead of this checkout (code-server runner only).
const vsix = process.env.MINT_TEST_VSIX ? resolve(process.env.MINT_TEST_VSIX) : undefined;
const timeoutMs = Number(process.env.MINT_TEST_TIMEOUT_MS || 15 * 60_000);
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

if (!existsSync(testsPath)) {
  console.error(`${testsPath} is missing: build the suite first ("node scripts/build.mjs" or "npm run test:integration").`);
  process.exit(2);
}
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const runDir = mkdtempSync(join(tmpdir(), 'mint-it-'));
const workspace = join(runDir, 'workspace');
const fixtures = join(root, 'test/fixtures/workspace');
if (existsSync(fixtures)) cpSync(fixtures, workspace, { recursive: true });
else mkdirSync(workspace);

const consoleLog = createWriteStream(join(resultsDir, 'browser-console.log'));
const cleanups = [];
async function cleanup() {
  while (cleanups.length) {
    try {
      await cleanups.pop()();
    } catch (err) {
      console.error(`cleanup: ${err.message}`);
    }
  }
  await new Promise((r) => consoleLog.end(r));
  rmSync(runDir, { recursive: true, force: true });
}
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${sig}: stopping VS Code and the browser`);
    await cleanup();
    process.exit(130);
  });
}

// The harness: activates at start-up, runs the suite, reports the exit code to the bridge. It is
// installed into the run's fresh extensions folder, because code-server's payload keeps only one
// extensionDevelopmentPath.
const extensionsDir = join(runDir, 'extensions');
const harness = join(extensionsDir, 'mint-test.mint-test-harness-0.0.0');
mkdirSync(harness, { recursive: true });
writeFileSync(
  join(harness, 'package.json'),
  JSON.stringify({
    name: 'mint-test-harness',
    publisher: 'mint-test',
    version: '0.0.0',
    engines: { vscode: '^1.99.0' },
    main: './harness.js',
    activationEvents: ['*'],
    // Real debugpy (Debian's python3-debugpy) as a debug type, so the tests can stop a Python run
    // on a MinT exception without the Python extension, which code-server cannot install here.
    contributes: { debuggers: [{ type: 'mint-test-debugpy', label: 'debugpy (MinT tests)', languages: ['python'] }] },
  }),
);
writeFileSync(
  join(harness, 'harness.js'),
  `
const http = require('node:http');
function report(code) {
  const body = JSON.stringify({ code });
  const req = http.request(process.env.MINT_TEST_BRIDGE + '/done', { method: 'POST', headers: { 'content-type': 'application/json' } });
  req.on('error', (e) => console.error('harness could not report to the UI bridge: ' + e.message));
  req.end(body);
}
exports.activate = (context) => {
  const vscode = require('vscode');
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('mint-test-debugpy', {
      // Debian's interpreter, where python3-debugpy is (a pyenv python3 earlier on PATH lacks it).
      createDebugAdapterDescriptor: () =>
        new vscode.DebugAdapterExecutable(require('node:fs').existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3', ['-m', 'debugpy.adapter']),
    }),
  );
  setTimeout(() => {
    Promise.resolve().then(() => require(${JSON.stringify(testsPath)}).run())
      .then(() => report(0), (err) => { console.error(err && err.stack || String(err)); report(1); });
  }, 0);
};
`,
);

let finish;
const finished = new Promise((r) => {
  finish = r;
});
let pageReady;
const pagePromise = new Promise((r) => {
  pageReady = r;
});
const bridge = await startUiBridge({
  page: () =>
    Promise.race([
      pagePromise,
      new Promise((_, rej) => setTimeout(() => rej(new Error('the workbench page is not attached yet')), 60_000).unref()),
    ]),
  resultsDir,
  onDone: (code) => finish(code),
  log: (s) => consoleLog.write(`${s}\n`),
});
cleanups.push(bridge.close);
const testEnv = {
  MINT_TEST_BRIDGE: bridge.url,
  MINT_TEST_RESULTS: resultsDir,
  MINT_TEST_WORKSPACE: workspace,
  MINT_TEST_RUNNER: runner,
  // The tests' emulators stay out of the user's registry, and a running `npm start` out of the tests.
  MINT_EMULATOR_REGISTRY_DIR: join(runDir, 'emulator-registry'),
  ...(process.env.MINT_TEST_GREP ? { MINT_TEST_GREP: process.env.MINT_TEST_GREP } : {}),
};

// The extension host's console reaches the page console with a prefix and CSS-styling
// arguments appended; the reporter's lines carry a mark (index.ts) and are printed plainly.
const REPORT_MARK = '[mint-test] ';
function onConsoleText(type, text) {
  consoleLog.write(`[${type}] ${text}\n`);
  const at = text.indexOf(REPORT_MARK);
  if (at >= 0) console.log(text.slice(at + REPORT_MARK.length).replace(/(\s+color:\s*[#\w]*)+\s*$/, ''));
}

async function waitForResult() {
  const code = await Promise.race([finished, new Promise((r) => setTimeout(() => r('timeout'), timeoutMs).unref())]);
  // The reporter's last lines travel through the browser console and may trail the harness's report.
  await new Promise((r) => setTimeout(r, 750));
  return code;
}

async function runInCodeServer() {
  const entry = ensureCodeServer();
  const port = await freePort();
  const userDataDir = join(runDir, 'user-data');
  writeUserSettings(userDataDir, QUIET_SETTINGS);
  if (vsix) installVsix(entry, userDataDir);
  const server = await startCodeServer({
    entry,
    port,
    userDataDir,
    extensionsDir,
    env: testEnv,
    logFile: join(resultsDir, 'code-server.log'),
  });
  cleanups.push(server.stop);
  console.log(`code-server ready on ${server.url} after ${elapsed()}; UI bridge on ${bridge.url}`);

  const context = await chromium.launchPersistentContext(join(runDir, 'chromium'), {
    executablePath: chromiumPath(),
    headless: process.env.MINT_TEST_HEADED !== '1',
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
  });
  cleanups.push(() => context.close());
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://${server.host}` });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => onConsoleText(m.type(), m.text()));
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  // The suite must never reach beyond loopback; a request elsewhere is worth a loud line.
  page.on('request', (r) => {
    if (!/^(https?:\/\/127\.0\.0\.1[:/]|data:|blob:|vscode-)/.test(r.url())) console.log(`[non-loopback request] ${r.url()}`);
  });
  pageReady(page);
  await page.goto(workbenchUrl({ host: server.host, folder: workspace, extensionDevelopmentPath: vsix ? undefined : devPath }));
  page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 }).then(
    () => console.log(`workbench shown after ${elapsed()}`),
    () => console.log('workbench did not appear within 60 s'),
  );

  const code = await waitForResult();
  if (code !== 0) await page.screenshot({ path: join(resultsDir, 'failure.png') }).catch(() => {});
  copyServerLogs(userDataDir);
  if (code === 'timeout')
    throw new Error(
      `the suite did not finish within ${timeoutMs / 1000} s (MINT_TEST_TIMEOUT_MS); see test-results/failure.png and browser-console.log`,
    );
  return code;
}

function copyServerLogs(userDataDir) {
  const logs = join(userDataDir, 'logs');
  if (existsSync(logs)) cpSync(logs, join(resultsDir, 'logs'), { recursive: true });
}

// Installs the packaged extension the way a user does, after the harness is in place (the
// first install indexes what the folder already holds).
function installVsix(entry, userDataDir) {
  const r = spawnSync(
    process.execPath,
    [entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix],
    {
      env: { ...process.env, EXTENSIONS_GALLERY: '{}' },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  writeFileSync(join(resultsDir, 'install-extension.log'), `${r.stdout ?? ''}${r.stderr ?? ''}`);
  if (r.status !== 0 || !/successfully installed/.test(r.stdout ?? ''))
    throw new Error(`code-server --install-extension ${vsix} failed; see install-extension.log`);
  console.log(`installed ${vsix} into the run's extensions folder`);
}

async function attachOverCdp(cdpPort) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const browser = await chromium.connectOverCDP(`http://127.0.0.1:${cdpPort}`, { timeout: 5_000 });
      cleanups.push(() => browser.close());
      for (;;) {
        for (const ctx of browser.contexts()) {
          for (const p of ctx.pages()) {
            if (
              await p
                .locator('.monaco-workbench')
                .count()
                .catch(() => 0)
            ) {
              return pageReady(p);
            }
          }
        }
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  console.error('could not attach to the VS Code window over CDP: UI bridge calls will fail');
}

async function runInElectron() {
  const { downloadAndUnzipVSCode } = await import('@vscode/test-electron');
  const executable = await downloadAndUnzipVSCode(process.env.MINT_TEST_VSCODE_VERSION || 'stable');
  const cdpPort = await freePort();
  const userDataDir = join(runDir, 'user-data');
  writeUserSettings(userDataDir, QUIET_SETTINGS);
  const child = spawn(
    executable,
    [
      workspace,
      `--extensionDevelopmentPath=${devPath}`,
      '--disable-workspace-trust',
      '--skip-welcome',
      '--skip-release-notes',
      '--no-sandbox',
      `--user-data-dir=${userDataDir}`,
      `--extensions-dir=${extensionsDir}`,
      `--remote-debugging-port=${cdpPort}`,
    ],
    { env: { ...process.env, ...testEnv }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout.on('data', (d) => {
    for (const line of String(d).split('\n')) if (line) onConsoleText('stdout', line);
  });
  child.stderr.on('data', (d) => consoleLog.write(`[stderr] ${d}`));
  child.once('exit', (c) => finish(c === 0 ? 'exited early' : `VS Code exited with ${c}`));
  cleanups.push(() => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  });
  void attachOverCdp(cdpPort);
  const code = await waitForResult();
  const page = await Promise.race([pagePromise, Promise.resolve(null)]);
  if (code !== 0 && page) await page.screenshot({ path: join(resultsDir, 'failure.png') }).catch(() => {});
  copyServerLogs(userDataDir);
  if (code === 'timeout') throw new Error(`the suite did not finish within ${timeoutMs / 1000} s (MINT_TEST_TIMEOUT_MS)`);
  if (typeof code === 'string') throw new Error(code);
  return code;
}

let exitCode = 1;
try {
  const code = runner === 'electron' ? await runInElectron() : await runInCodeServer();
  exitCode = code === 0 ? 0 : 1;
  console.log(`integration suite ${exitCode === 0 ? 'passed' : 'FAILED'} in ${elapsed()} (${runner}); artifacts in ${resultsDir}`);
} catch (err) {
  console.error(`integration run failed: ${err.message}`);
  if (runner === 'electron' && /ENOTFOUND|ECONNREFUSED|ETIMEDOUT/.test(err.message)) {
    console.error(
      'desktop VS Code could not be downloaded from here; the default runner (code-server from npm) needs no download: unset MINT_TEST_RUNNER',
    );
  }
}
await cleanup();
process.exit(exitCode);
