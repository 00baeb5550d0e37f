// `npm start`: run the product. Builds the extension, starts the local MinT emulator on 127.0.0.1,
// and opens VS Code with the extension loaded and pointed at the emulator:
//   - desktop VS Code when `code` is on PATH (a dedicated profile, so your own settings stay as
//     they are), closed window = done;
//   - otherwise code-server on 127.0.0.1 (installed once into ~/.cache/mint-vscode), URL printed.
// Ctrl-C stops everything it started.
// Options: --port N (emulator, default 8765 or a free one), --editor code|code-server,
//          --code-server-port N (default 8080 or a free one), --no-build.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname, resolve, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCodeServer, freePort, startCodeServer, workbenchUrl, QUIET_SETTINGS } from './code-server.mjs';
import { applyStartSettings, describeStartSettings, startSettings } from './start-settings.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const state = join(process.env.MINT_TEST_CACHE || join(homedir(), '.cache', 'mint-vscode'), 'start');
mkdirSync(state, { recursive: true });

const children = [];
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const stop of children.reverse()) {
    try {
      await stop();
    } catch {
      /* already gone */
    }
  }
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => {
    console.log('\nstopping…');
    void stopAll(0);
  });

/** Never returns: stops what was started and exits. */
async function fail(message) {
  console.error(`npm start: ${message}`);
  await stopAll(1);
}

function killGroup(child) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once('exit', () => res());
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return res();
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5_000).unref();
  });
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

// 1. Dependencies and build.
if (!existsSync(join(root, 'node_modules', 'esbuild'))) {
  console.log('node_modules is missing: running npm ci');
  if (spawnSync('npm', ['ci'], { cwd: root, stdio: 'inherit' }).status !== 0) await fail('npm ci failed');
}
if (!args.includes('--no-build')) {
  console.log('building…');
  if (
    spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--only', 'mint,emulator,datasetWorker,extension,webview'], {
      cwd: root,
      stdio: 'inherit',
    }).status !== 0
  )
    await fail('the build failed');
}
const emulatorJs = join(root, 'dist/emulator.js');
if (!existsSync(emulatorJs) || !existsSync(join(root, 'dist/extension.js')))
  await fail('dist/emulator.js or dist/extension.js is missing after the build');

// 2. The emulator, keeping its checkpoints and runs between starts.
const emulatorPort = await freePort(Number(opt('--port', 8765)));
const emulator = spawn(
  process.execPath,
  // --register: the extension finds this emulator and uses it instead of starting another.
  [emulatorJs, '--host', '127.0.0.1', '--port', String(emulatorPort), '--data-dir', join(state, 'emulator-data'), '--register'],
  {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  },
);
children.push(() => killGroup(emulator));
const emulatorUrl = await new Promise((res, rej) => {
  let buf = '';
  const timer = setTimeout(() => rej(new Error('the emulator printed no "listening on" line within 30 s')), 30_000);
  emulator.once('exit', (c) => rej(new Error(`the emulator exited with ${c} before listening`)));
  emulator.stdout.on('data', (d) => {
    buf += d;
    const m = /listening on (http:\/\/\S+)/.exec(buf);
    if (m) {
      clearTimeout(timer);
      res(m[1]);
    }
  });
}).catch((err) => fail(err.message));
// Keep draining its output so it never blocks on a full pipe.
emulator.stdout.on('data', () => {});
console.log(`MinT emulator: ${emulatorUrl}`);

// 3. A workspace to open: the fixtures when there are some, else a small folder of our own.
const workspace = join(state, 'workspace');
if (!existsSync(workspace)) {
  const fixtures = join(root, 'test/fixtures/workspace');
  if (existsSync(fixtures)) cpSync(fixtures, workspace, { recursive: true });
  else {
    mkdirSync(workspace, { recursive: true });
    writeFileSync(join(workspace, 'prompt.txt'), 'Write one sentence about fine-tuning a language model.\n');
  }
}

// This start's own settings win over anything an earlier run left, and are printed as written.
function writeSettings(userDataDir) {
  console.log(describeStartSettings(applyStartSettings(userDataDir, startSettings(emulatorUrl), QUIET_SETTINGS)));
}

// 4. VS Code.
const editor = opt('--editor', onPath('code') ? 'code' : 'code-server');
if (editor === 'code') {
  const userDataDir = join(state, 'vscode-user-data');
  writeSettings(userDataDir);
  console.log('opening desktop VS Code with the extension loaded (close its window or press Ctrl-C to stop)');
  const code = spawn('code', ['--new-window', '--wait', '--user-data-dir', userDataDir, '--extensionDevelopmentPath', root, workspace], {
    stdio: 'inherit',
    env: { ...process.env, MINT_BASE_URL: emulatorUrl },
  });
  code.once('exit', () => void stopAll(0));
} else {
  let entry;
  try {
    entry = ensureCodeServer();
  } catch (err) {
    await fail(err.message);
  }
  const userDataDir = join(state, 'code-server-user-data');
  writeSettings(userDataDir);
  const server = await startCodeServer({
    entry,
    port: await freePort(Number(opt('--code-server-port', 8080))),
    userDataDir,
    extensionsDir: join(state, 'code-server-extensions'),
    logFile: join(state, 'code-server.log'),
  }).catch((err) => fail(err.message));
  children.push(server.stop);
  const url = workbenchUrl({ host: server.host, folder: workspace, extensionDevelopmentPath: root, skipWelcome: false });
  console.log(
    [
      '',
      'MinT for VS Code is running in code-server. Open this URL in a browser on this machine',
      '(or forward the port: ssh -L 8080:127.0.0.1:PORT ...):',
      '',
      `  ${url}`,
      '',
      `The extension talks to the local emulator at ${emulatorUrl}. Ctrl-C stops both.`,
      `(code-server log: ${join(state, 'code-server.log')})`,
    ]
      .join('\n')
      .replace('PORT', server.host.split(':')[1]),
  );
  server.child.once('exit', () => {
    if (!stopping) void fail('code-server stopped');
  });
}
emulator.once('exit', (c) => {
  if (!stopping) void fail(`the emulator exited (${c})`);
});
