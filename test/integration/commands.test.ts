// Every MinT command, run the way a user runs it (palette, quick picks, input boxes, buttons),
// against a real emulator; what the workbench shows is read back through the UI bridge.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ui } from './bridge';
import {
  EXTENSION_ID,
  TEST_KEY,
  clearNotifications,
  configure,
  extensionApi,
  readMintLog,
  sleep,
  startTestEmulator,
  type TestEmulator,
} from './mintHarness';
import type { MintExtensionApi } from '../../src/extension';
import { findRunningEmulator } from '../../src/emulator/registry';

const DEFAULTS = {
  baseUrl: undefined,
  maxRetries: undefined,
  timeoutSeconds: undefined,
  defaultModel: undefined,
  notificationLevel: undefined,
  sampleMaxTokens: undefined,
};

/** After "Custom URL…" was picked: waits for the URL box itself (the quick pick's filter is an input too), then enters `url`. */
async function typeCustomServerUrl(url: string): Promise<void> {
  await ui.waitFor(
    async () => (await ui.query('.quick-input-widget .quick-input-title')).some((t) => t.includes('MinT server URL')),
    5_000,
    'the URL input box',
  );
  await ui.pressKeys('Control+a');
  await ui.type(url);
  await ui.pressKeys('Enter');
}

describe('commands: each MinT command from the palette', function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let api: MintExtensionApi;

  before(async function () {
    this.timeout(60_000);
    emu = await startTestEmulator();
    api = await extensionApi();
    await configure({ ...DEFAULTS, baseUrl: emu.url, maxRetries: 0, sampleMaxTokens: 8 });
  });

  after(async () => {
    await clearNotifications();
    await api.services.keys.clear();
    await configure(DEFAULTS);
    await emu?.close();
  });

  beforeEach(async () => {
    await clearNotifications();
    await emu.clearFaults();
  });

  it('activates within its budget and says what it measured', async () => {
    const { activateMs, moduleEvalMs } = api.activation;
    assert.ok(activateMs > 0 && moduleEvalMs >= 0, 'activation was not measured');
    const results = process.env.MINT_TEST_RESULTS;
    if (results) {
      mkdirSync(results, { recursive: true });
      writeFileSync(
        join(results, 'activation.json'),
        JSON.stringify(
          {
            measured:
              "inside code-server's extension host: activate() wall time, and the bundle's module evaluation from its first statement to activate() (parsing is before any statement runs: bench/activation.ts measures it in plain Node)",
            activateMs,
            moduleEvalMs,
            totalMs: activateMs + moduleEvalMs,
            goalMs: 50,
          },
          null,
          2,
        ),
      );
    }
    // The goal is 50 ms; the bound here leaves room for a loaded 2-core machine, the figure goes to the bench.
    assert.ok(activateMs + moduleEvalMs < 250, `activation took ${(activateMs + moduleEvalMs).toFixed(1)} ms`);
  });

  it('MinT: Set API Key stores the typed key in secret storage, never in settings or the log', async () => {
    await ui.runFromPalette('MinT: Set API Key');
    await ui.waitFor(async () => (await ui.query('.quick-input-widget input[type="password"]')).length > 0, 5_000, 'a password input box');
    await ui.type(TEST_KEY);
    await ui.pressKeys('Enter');
    await ui.waitForNotification('MinT: API key saved.');
    const key = await api.services.keys.resolve();
    assert.equal(key?.key, TEST_KEY);
    assert.equal(key?.source, 'secret storage');
    const inspected = JSON.stringify(vscode.workspace.getConfiguration('mint'));
    assert.ok(!inspected.includes(TEST_KEY), 'the key ended up in settings');
    assert.ok(!(await readMintLog(api)).includes(TEST_KEY), 'the key is in the log');
  });

  it('MinT: Check Connection reports the server, its models and where the key came from', async () => {
    await ui.runFromPalette('MinT: Check Connection');
    const n = await ui.waitForNotification('MinT: connected to');
    const offered = (
      (await (await fetch(`${emu.url}/api/v1/get_server_capabilities`, { headers: { 'x-api-key': TEST_KEY } })).json()) as {
        supported_models: unknown[];
      }
    ).supported_models.length;
    assert.ok(
      n.message.includes(emu.url) && n.message.includes(`${offered} models available`) && n.message.includes('key from secret storage'),
      n.message,
    );
    await ui.waitFor(
      async () => (await ui.statusBar()).some((i) => i.text.includes('MinT: connected')),
      5_000,
      'the status bar to say connected',
    );
    const seen = (await emu.requests(20)).filter((r) => r.path === '/api/v1/get_server_capabilities');
    assert.ok(
      seen.length > 0 && seen.every((r) => !JSON.stringify(r.headers).includes(TEST_KEY)),
      'the request did not arrive, or the emulator log kept the key',
    );
  });

  it("MinT: Show Models lists the server's models; picking one makes it the default", async () => {
    await ui.runFromPalette('MinT: Show Models');
    const rows = await ui.waitFor(
      async () => {
        const r = await ui.query('.quick-input-list .monaco-list-row');
        return r.length >= 4 ? r : undefined;
      },
      10_000,
      'the model list',
    );
    assert.ok(
      rows.some((r) => r.includes('Qwen/Qwen3-0.6B') && r.includes('32,768 ctx')),
      rows.join(' | '),
    );
    await ui.type('Qwen3-4B-Instruct');
    await ui.pressKeys('Enter');
    await ui.waitFor(
      () => vscode.workspace.getConfiguration('mint').get('defaultModel') === 'Qwen/Qwen3-4B-Instruct-2507',
      5_000,
      'mint.defaultModel to change',
    );
    await ui.waitFor(
      async () => (await ui.statusBar()).some((i) => i.text.includes('Qwen/Qwen3-4B-Instruct-2507')),
      5_000,
      'the model in the status bar',
    );
  });

  it('MinT: Sample Selection samples the selection with the current model and opens the result beside', async () => {
    const folder = vscode.workspace.workspaceFolders![0]!;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'prompts.md'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const line = doc.lineAt(2);
    editor.selection = new vscode.Selection(line.range.start, line.range.end);
    await ui.runFromPalette('MinT: Sample Selection');
    const out = await ui.waitFor(
      () => vscode.window.visibleTextEditors.find((e) => e.document.getText().startsWith('<!-- MinT sample')),
      15_000,
      'the sample to open beside',
    );
    const text = out.document.getText();
    assert.ok(text.includes('model Qwen/Qwen3-4B-Instruct-2507') && text.includes(line.text), text);
    // The stop reason is labelled, not "stop stop" (trial #19).
    assert.match(text.split('\n')[0]!, / · stop: (stop|length) -->$/);
    assert.notEqual(out.viewColumn, vscode.ViewColumn.One, 'the result did not open beside');
    const req = (await emu.requests(10)).reverse().find((r) => r.path === '/oai/api/v1/completions') as
      { body?: { model?: string; prompt?: string } } | undefined;
    assert.equal(req?.body?.model, 'Qwen/Qwen3-4B-Instruct-2507');
    assert.equal(req?.body?.prompt, line.text);

    const id = /id (cmpl-[\w-]+)/.exec(text)?.[1];
    assert.ok(id, `no completion id in: ${text.split('\n')[0]}`);
    await vscode.env.clipboard.writeText('');
    await ui.runFromPalette('MinT: Copy Last Request ID');
    assert.equal(await ui.waitFor(async () => (await vscode.env.clipboard.readText()) || undefined, 5_000, 'the clipboard'), id);
  });

  it('MinT: Sample Selection without an editor explains what to do', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await ui.runFromPalette('MinT: Sample Selection');
    await ui.waitForNotification('open a file and select the text');
  });

  it('MinT: Retry Last Failed Request repeats the request that failed', async () => {
    await api.services.keys.store(TEST_KEY);
    await ui.runFromPalette('MinT: Retry Last Failed Request');
    await ui.waitForNotification('nothing to retry');
    await clearNotifications();
    await emu.fault({ route: '/api/v1/get_server_capabilities', times: 1, status: 503, body: { detail: 'warming up' } });
    await ui.runFromPalette('MinT: Check Connection');
    await ui.waitForNotification('server error (HTTP 503)');
    await clearNotifications();
    await ui.runFromPalette('MinT: Retry Last Failed Request');
    await ui.waitForNotification('MinT: connected to');
    const caps = (await emu.requests(20)).filter((r) => r.path === '/api/v1/get_server_capabilities').slice(-2);
    assert.deepEqual(
      caps.map((r) => r.status),
      [503, 200],
    );
  });

  it("the last-error status item opens the failure's details with Copy request_id", async () => {
    await emu.fault({
      route: '/api/v1/get_server_capabilities',
      times: 1,
      status: 500,
      body: { detail: 'db down' },
      headers: { 'X-Trace-Id': 'trace-last-error' },
    });
    await vscode.commands.executeCommand('mint.checkConnection');
    await ui.waitForNotification('server error (HTTP 500)');
    await clearNotifications();
    await ui.clickStatusBarItem('MinT: server error');
    const details = await ui.waitForNotification('MinT InternalServerError at');
    assert.ok(details.message.includes('Request id: trace-last-error'), details.message);
    assert.ok(details.actions.includes('Copy request_id'));
    await vscode.env.clipboard.writeText('');
    await ui.clickNotificationAction('Copy request_id', 'MinT InternalServerError at');
    assert.equal(
      await ui.waitFor(async () => (await vscode.env.clipboard.readText()) || undefined, 5_000, 'the clipboard'),
      'trace-last-error',
    );
  });

  it('the status bar counts a request in flight and shows its queue position and ETA when a server sends them', async () => {
    await api.services.keys.store(TEST_KEY);
    // Older MinT (before 2026-05) and Tinker send X-Queue-Position/-Depth/-ETA-S; MinT now does not
    // (the playground suite checks that form shows only the stage).
    await emu.config({ latencyMs: 4_000, longPollMs: 300, legacyQueueHeaders: true });
    try {
      const run = api.services.operations.run('queued sample', async ({ client }, t) => {
        const sampler = await client.createSamplingClient({ base_model: 'Qwen/Qwen3-0.6B' }, { signal: t.signal });
        return sampler.sample(
          { prompt: { chunks: [{ type: 'encoded_text', tokens: [9707, 11] }] }, sampling_params: { max_tokens: 2 }, num_samples: 1 },
          { signal: t.signal, onQueueState: t.onQueueState },
        );
      });
      let texts: string[] = [];
      const item = await ui
        .waitFor(
          async () => {
            const items = await ui.statusBar();
            texts = items.map((i) => i.text);
            return items.find((i) => /#\d+( of \d+)? · ETA \d+s/.test(i.text));
          },
          10_000,
          'the queue position and ETA in the status bar',
        )
        .catch((e: Error) => {
          throw new Error(`${e.message}; status bar: ${JSON.stringify(texts)}`);
        });
      assert.match(
        item.text,
        /^MinT: [a-z ]+ ·.*·\s+1 · [a-z]+ #\d+( of \d+)? · ETA \d+s$/s,
        `no in-flight count before the queue position: ${item.text}`,
      );
      const result = await run;
      assert.ok(result?.request_id, 'the queued sample did not finish');
      await ui.waitFor(
        async () => (await ui.statusBar()).every((i) => !/ETA \d+s/.test(i.text)),
        5_000,
        'the queue line to go once the sample is done',
      );
    } finally {
      await emu.config({ latencyMs: 0, longPollMs: 20_000, legacyQueueHeaders: false });
    }
  });

  it('the MinT view shows its welcome buttons until MinT answers, then leaves the room to the playground; the walkthrough is there', async () => {
    const sidebar = async () => (await ui.query('.part.sidebar')).join('\n');
    // A server that does not answer: the first steps are what the user needs.
    await configure({ baseUrl: 'http://127.0.0.1:9' });
    await vscode.commands.executeCommand('mint.checkConnection');
    await vscode.commands.executeCommand('workbench.view.extension.mint');
    const welcome = await ui.waitFor(
      async () => {
        const t = await sidebar();
        return t.includes('Start Local Emulator') && t.includes('Set API Key') ? t : undefined;
      },
      10_000,
      'the MinT view with its welcome buttons',
    );
    assert.ok(welcome.includes('Check Connection'));
    await clearNotifications();
    await configure({ baseUrl: emu.url });
    await vscode.commands.executeCommand('mint.checkConnection');
    await ui.waitFor(
      async () => {
        const t = await sidebar();
        return !t.includes('Start Local Emulator') && /playground/i.test(t) ? t : undefined;
      },
      10_000,
      'Get Started to give way once connected',
    );
    await clearNotifications();
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#mint.gettingStarted`, false);
    const page = await ui.waitFor(
      async () => {
        const t = (await ui.query('.part.editor')).join('\n');
        return t.includes('Get started with MinT') ? t : undefined;
      },
      10_000,
      'the walkthrough page',
    );
    for (const step of ['Connect: your API key or the local emulator', 'Check the connection', 'Sample your first text'])
      assert.ok(page.includes(step), `the walkthrough lacks "${step}"`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('MinT: Show Log opens the MinT output with request lines', async () => {
    await ui.runFromPalette('MinT: Show Log');
    const text = await ui.waitFor(
      async () => {
        // Monaco renders spaces as no-break spaces.
        const panel = (await ui.query('.part.panel')).join('\n').replace(/\u00a0/g, ' ');
        return panel.includes('[client]') ? panel : undefined;
      },
      10_000,
      'the MinT log in the panel',
    );
    assert.ok(
      /\[client\] (GET|POST) \S+ -> \d{3} in \d+ ms/.test(text),
      `no request line with method, path, status and duration in the visible log: ${text.slice(-800)}`,
    );
    assert.ok(!text.includes(TEST_KEY));
    await vscode.commands.executeCommand('workbench.action.closePanel');
  });

  it('MinT: Clear API Key removes it; a remote server then asks for one instead of sending requests', async () => {
    await ui.runFromPalette('MinT: Clear API Key');
    await ui.waitForNotification('API key removed from secret storage');
    assert.equal((await api.services.keys.resolve())?.source === 'secret storage', false);
    await configure({ baseUrl: 'https://mint.macaron.im/train' });
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    const n = await ui.waitForNotification('No MinT API key is set for mint.macaron.im');
    assert.deepEqual(n.actions, ['Set API Key', 'Start Local Emulator', 'Select Server']);
    await ui.waitFor(
      async () => (await ui.statusBar()).some((i) => i.text.includes('MinT: no key')),
      5_000,
      'the status bar to say no key',
    );
  });

  it('a plain http:// server that is not loopback is refused before the key is sent', async () => {
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: 'http://mint.example.com/train' });
    const before = (await emu.requests(100)).length;
    await vscode.commands.executeCommand('mint.checkConnection');
    const n = await ui.waitForNotification('MinT refuses http://mint.example.com');
    assert.ok(n.message.includes('unencrypted') && n.message.includes('https://'), n.message);
    assert.deepEqual(n.actions, ['Select Server', 'Open Settings']);
    assert.equal((await emu.requests(100)).length, before);
  });

  it('a workspace cannot choose the server: mint.baseUrl in .vscode/settings.json is ignored', async () => {
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: emu.url });
    const folder = vscode.workspace.workspaceFolders![0]!;
    const settingsUri = vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json');
    const changed = new Promise<void>((r) => {
      const sub = vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mint.baseUrl')) {
          sub.dispose();
          r();
        }
      });
    });
    await vscode.workspace.fs.writeFile(
      settingsUri,
      new TextEncoder().encode(JSON.stringify({ 'mint.baseUrl': 'https://attacker.example/collect' })),
    );
    try {
      await Promise.race([changed, sleep(3_000)]);
      assert.equal(api.services.clients.server()?.url, emu.url, 'a workspace setting redirected MinT');
      await clearNotifications();
      await vscode.commands.executeCommand('mint.checkConnection');
      const n = await ui.waitForNotification('MinT: connected to');
      assert.ok(n.message.includes(emu.url), n.message);
    } finally {
      await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder.uri, '.vscode'), { recursive: true });
    }
  });

  it('MinT: Select Server takes a custom URL and checks it', async () => {
    await ui.runFromPalette('MinT: Select Server');
    await ui.waitFor(
      async () => (await ui.query('.quick-input-list .monaco-list-row')).some((r) => r.includes('MinT China')),
      5_000,
      'the server list',
    );
    const rows = await ui.query('.quick-input-list .monaco-list-row');
    for (const s of [
      'MinT (global)',
      'https://mint.macaron.im/train',
      'MinT China',
      'https://mintcn.macaron.xin/train',
      'MinT training API',
      'https://mint-training-api.macaron.xin',
      'Local emulator',
      'Custom URL',
    ]) {
      assert.ok(
        rows.some((r) => r.includes(s)),
        `the server list lacks ${s}: ${rows.join(' | ')}`,
      );
    }
    await ui.type('Custom URL');
    await ui.pressKeys('Enter');
    try {
      await typeCustomServerUrl(emu.url);
      await ui.waitForNotification('MinT: connected to');
    } finally {
      // The box ignores focus-out; left open it would swallow the next test's keystrokes.
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    const inspected = vscode.workspace.getConfiguration('mint').inspect('baseUrl');
    assert.equal(inspected?.globalValue, emu.url);
    assert.equal(inspected?.workspaceValue, undefined, 'the server must never be written to the workspace');
  });

  it("MinT: Check Connection on a server that does not answer says which of MinT's other servers do, without sending them the key", async () => {
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: 'http://127.0.0.1:9' });
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    await ui.waitForNotification('Could not reach MinT at 127.0.0.1:9');
    // This machine reaches no public host, so every preset is reported as not answering, with its reason.
    const n = await ui.waitForNotification('MinT: http://127.0.0.1:9 did not answer.', 20_000);
    for (const label of ['MinT (global)', 'MinT China', 'MinT training API'])
      assert.ok(n.message.includes(`${label}:`), `${label} missing: ${n.message}`);
    assert.ok(n.message.includes('http.proxy'), n.message);
    assert.deepEqual(n.actions, ['Open Settings']);
    const log = await readMintLog(api);
    for (const url of ['https://mint.macaron.im/train', 'https://mintcn.macaron.xin/train', 'https://mint-training-api.macaron.xin']) {
      assert.ok(log.includes(`probe ${url}: no (`), `no probe line for ${url}`);
    }
    assert.ok(!log.includes(TEST_KEY));
    await clearNotifications();
    await configure({ baseUrl: emu.url });
  });

  it('a server switch with the playground open builds one client and asks the new server for its models once per purpose (trial #15)', async () => {
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: 'http://127.0.0.1:9' });
    await vscode.commands.executeCommand('mint.openPlayground');
    await sleep(1_500);
    await clearNotifications();
    await emu.clearRequests();
    const clientLines = async () => (await readMintLog(api)).split('\n').filter((l) => l.includes(`MinT client for ${emu.url}`)).length;
    const linesBefore = await clientLines();
    await ui.runFromPalette('MinT: Select Server');
    await ui.waitFor(
      async () => (await ui.query('.quick-input-list .monaco-list-row')).some((r) => r.includes('Custom URL')),
      5_000,
      'the server list',
    );
    await ui.type('Custom URL');
    await ui.pressKeys('Enter');
    try {
      await typeCustomServerUrl(emu.url);
      await ui.waitForNotification('MinT: connected to');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    await sleep(2_000);
    const caps = (await emu.requests()).filter((r) => r.path === '/api/v1/get_server_capabilities');
    // One for Check Connection, one for the playground's model list: not four within milliseconds.
    assert.ok(caps.length <= 2, `${caps.length} get_server_capabilities calls after one switch`);
    assert.equal((await clientLines()) - linesBefore, 1, 'one server switch built more than one client');
  });

  it('MinT: Open Walkthrough from the palette opens "Get started with MinT" (trial #19)', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await ui.runFromPalette('MinT: Open Walkthrough');
    const page = await ui.waitFor(
      async () => {
        const t = (await ui.query('.part.editor')).join('\n');
        return t.includes('Get started with MinT') ? t : undefined;
      },
      10_000,
      'the MinT walkthrough',
    );
    assert.ok(page.includes('Sample your first text'), page.slice(0, 400));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('a stray failure inside a view command reaches the presenter instead of vanishing (the one safety net)', async () => {
    await clearNotifications();
    // A menu hands the command a node; a broken one makes the command itself throw.
    const result = await vscode.commands.executeCommand('mint.runs.copyRunId', { kind: 'run', run: null });
    assert.equal(result, undefined);
    const n = await ui.waitForNotification('Something unexpected went wrong in MinT');
    assert.ok(n.message.includes('training_run_id'), n.message);
    assert.deepEqual(n.actions, ['Show Log']);
    await clearNotifications();
  });

  it('MinT: Start Local Emulator runs the bundled emulator and points MinT at it; Stop switches back', async () => {
    await configure({ baseUrl: undefined });
    await ui.runFromPalette('MinT: Start Local Emulator');
    const started = await ui.waitForNotification('local emulator running at', 30_000);
    const url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(started.message)?.[1];
    assert.ok(url, started.message);
    assert.equal(api.services.clients.server()?.origin, 'emulator');
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    const ok = await ui.waitForNotification('MinT: connected to');
    assert.ok(ok.message.includes(url) && ok.message.includes('local emulator'), ok.message);
    await ui.waitFor(
      async () => (await ui.statusBar()).some((i) => i.text.includes('MinT: emulator')),
      5_000,
      'the status bar to say emulator',
    );
    const health = await fetch(`${url}/api/v1/healthz`);
    assert.equal(health.status, 200);

    await clearNotifications();
    await ui.runFromPalette('MinT: Stop Local Emulator');
    await ui.waitForNotification('local emulator stopped');
    await assert.rejects(fetch(`${url}/api/v1/healthz`), 'the emulator still answers after Stop');
    assert.equal(api.services.clients.server(), undefined);
  });

  it('with no server and no key, a request offers the local emulator, and its button starts it', async () => {
    await api.services.keys.clear();
    await configure({ baseUrl: undefined });
    await vscode.commands.executeCommand('mint.checkConnection');
    const n = await ui.waitForNotification('No MinT server is chosen yet');
    assert.deepEqual(n.actions, ['Start Local Emulator', 'Select Server']);
    await ui.clickNotificationAction('Start Local Emulator', 'No MinT server is chosen yet');
    await ui.waitForNotification('local emulator running at', 30_000);
    await vscode.commands.executeCommand('mint.stopEmulator');
    await sleep(100);
  });

  it('a 401 to a request sent without a key says no key is set (not that the key was rejected), and Check Connection words a keyless local server plainly', async () => {
    // Cleared first: the views' own requests may raise this toast before Check Connection does
    // (then it counts as a repeat), and a clear right after would sweep it away.
    await clearNotifications();
    await api.services.keys.clear();
    await configure({ baseUrl: emu.url });
    await vscode.commands.executeCommand('mint.checkConnection');
    const n = await ui.waitForNotification('No API key is set');
    assert.ok(!n.message.includes('did not accept'), n.message);
    assert.equal(n.actions[0], 'Set API Key');
    await clearNotifications();
    // A local server without key checking: the toast says no key was sent, not "key from nowhere".
    await vscode.commands.executeCommand('mint.startEmulator');
    await ui.waitForNotification('local emulator running at', 30_000);
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    const ok = await ui.waitForNotification('MinT: connected to');
    assert.ok(ok.message.includes('no API key sent (a local server needs none)') && !ok.message.includes('nowhere'), ok.message);
    await vscode.commands.executeCommand('mint.stopEmulator');
    await clearNotifications();
  });

  // Trial #2: one local emulator per user, its data kept, and never stopped behind anyone's back.
  it('Start Local Emulator uses an emulator already running for this user (npm start, another window) and never stops it', async () => {
    await configure({ baseUrl: undefined });
    const theirs = spawn(
      process.execPath,
      [join(api.services.context.extensionPath, 'dist', 'emulator.js'), '--port', '0', '--register', '--quiet'],
      { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      const theirUrl = await new Promise<string>((res, rej) => {
        theirs.stdout!.on('data', (d: Buffer) => {
          const m = /listening on (http:\/\/\S+)/.exec(String(d));
          if (m) res(m[1]!);
        });
        theirs.once('exit', (c) => rej(new Error(`the emulator exited (${c})`)));
      });
      await clearNotifications();
      await ui.runFromPalette('MinT: Start Local Emulator');
      const n = await ui.waitForNotification('local emulator running at', 30_000);
      assert.ok(n.message.includes(theirUrl) && n.message.includes('already running'), n.message);
      assert.equal(api.services.clients.server()?.url, theirUrl);
      await clearNotifications();
      await ui.runFromPalette('MinT: Stop Local Emulator');
      const released = await ui.waitForNotification('no longer using the local emulator');
      assert.ok(released.message.includes('keeps running'), released.message);
      assert.equal((await fetch(`${theirUrl}/api/v1/healthz`)).status, 200, 'Stop stopped an emulator this window did not start');
    } finally {
      theirs.kill('SIGTERM');
      await new Promise((r) => theirs.once('exit', r));
    }
    await clearNotifications();
  });

  it("the window's own emulator is registered for others, keeps its checkpoints across a restart, and Stop warns when it holds runs", async () => {
    await configure({ baseUrl: undefined });
    await clearNotifications();
    await vscode.commands.executeCommand('mint.startEmulator');
    const first = api.services.emulator.url!;
    assert.ok(api.services.emulator.owned, 'no other emulator runs, so this window starts its own');
    // What another window (or a second Start) finds: this same emulator.
    assert.equal((await findRunningEmulator())?.url, first);
    await vscode.commands.executeCommand('mint.startEmulator');
    assert.equal(api.services.emulator.url, first, 'a second start started another emulator');

    const { client } = await api.services.clients.getClient();
    const training = await client.createLoraTrainingClient({ base_model: 'Qwen/Qwen3-0.6B', rank: 4 });
    await training.saveWeightsForSampler('kept');
    const runIds = async (url: string) =>
      ((await (await fetch(`${url}/api/v1/training_runs`)).json()) as { training_runs: { training_run_id: string }[] }).training_runs.map(
        (r) => r.training_run_id,
      );
    const made = await runIds(first);
    assert.ok(made.length >= 1, 'the run was not created');

    await clearNotifications();
    // The workbench clears asynchronously: a toast raised at once could be swept away with the rest.
    await sleep(500);
    const stopping = vscode.commands.executeCommand('mint.stopEmulator');
    const warn = await ui.waitForNotification('holds');
    assert.match(
      warn.message,
      /holds \d+ training runs?\. Stopping it ends (its session|their sessions): saved checkpoints are kept in .*emulator-data/,
    );
    assert.deepEqual(warn.actions, ['Stop Emulator', 'Keep Running']);
    await ui.clickNotificationAction('Stop Emulator', 'holds');
    await stopping;
    await assert.rejects(fetch(`${first}/api/v1/healthz`), 'the emulator still answers after Stop');

    await vscode.commands.executeCommand('mint.startEmulator');
    const second = api.services.emulator.url!;
    assert.notEqual(second, first);
    // The run and its checkpoint are back after the restart (the emulator lists restored runs).
    assert.ok((await runIds(second)).includes(training.model_id), 'the run is gone from the listing after a restart');
    const kept = (await (await fetch(`${second}/api/v1/training_runs/${training.model_id}/checkpoints`)).json()) as {
      checkpoints?: { checkpoint_id: string }[];
    };
    assert.ok(
      kept.checkpoints?.some((c) => c.checkpoint_id === 'sampler_weights/kept'),
      `the checkpoint did not survive the restart: ${JSON.stringify(kept)}`,
    );

    // Select Server → Local emulator reaches the same one.
    const pickServer = async (label: string) => {
      await ui.runFromPalette('MinT: Select Server');
      await ui.waitFor(
        async () => (await ui.query('.quick-input-list .monaco-list-row')).some((r) => r.includes(label)),
        5_000,
        'the server list',
      );
      await ui.type(label);
      await ui.pressKeys('Enter');
    };
    await clearNotifications();
    await pickServer('Local emulator');
    const same = await ui.waitForNotification('local emulator running at', 30_000);
    assert.ok(same.message.includes(second), same.message);

    // Choosing another server stops this window's emulator (it holds no live session now, so silently).
    await clearNotifications();
    await pickServer('Custom URL');
    try {
      await typeCustomServerUrl(emu.url);
      await ui.waitFor(
        () =>
          fetch(`${second}/api/v1/healthz`).then(
            () => undefined,
            () => true,
          ),
        10_000,
        "this window's emulator to stop",
      );
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    }
    await assert.rejects(fetch(`${second}/api/v1/healthz`), 'the emulator still answers after choosing another server');
    await clearNotifications();
  });
});
