// Failures where they happen: a Python script in the test workspace (over a stand-in for the tinker
// SDK that keeps the real exception classes and message formats) talks to a real emulator over
// loopback; the emulator fails it for real (fault injection), and the failure must reach the user
// as they would meet it: a diagnostic on their own line, Copy request_id, a toast, no key anywhere.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { ui } from './bridge';
import {
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

const LOG_ID = '7d1c2a4e-0b6f-4a51-9d0e-2f3c4b5a6d7e';

function mintDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'MinT');
}

async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The 0-based line of the marked statement in a fixture script. */
function markedLine(uri: vscode.Uri): number {
  const lines = readFileSync(uri.fsPath, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes('MINT-FAILS-HERE'));
  assert.ok(i >= 0, 'the fixture marks its failing line');
  return i;
}

async function shellTerminal(name: string, cwd: vscode.Uri, env: Record<string, string>): Promise<vscode.Terminal> {
  const terminal = vscode.window.createTerminal({ name, cwd, env });
  terminal.show();
  await until('shell integration in the test terminal', () => terminal.shellIntegration !== undefined, 20_000);
  return terminal;
}

async function runInTerminal(terminal: vscode.Terminal, command: string): Promise<number | undefined> {
  const ended = new Promise<number | undefined>((resolve) => {
    const sub = vscode.window.onDidEndTerminalShellExecution((e) => {
      if (e.terminal !== terminal) return;
      sub.dispose();
      resolve(e.exitCode);
    });
  });
  terminal.shellIntegration!.executeCommand(command);
  return ended;
}

describe("python runs: MinT failures in the user's own Python scripts", function () {
  this.timeout(90_000);
  let emu: TestEmulator;
  let api: MintExtensionApi;
  let folder: vscode.WorkspaceFolder;
  let pyDir: vscode.Uri;
  let failing: vscode.Uri;
  let ok: vscode.Uri;
  const terminals: vscode.Terminal[] = [];

  before(async function () {
    this.timeout(60_000);
    emu = await startTestEmulator();
    api = await extensionApi();
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: emu.url, maxRetries: 0, notificationLevel: 'errors' });
    folder = vscode.workspace.workspaceFolders![0]!;
    pyDir = vscode.Uri.joinPath(folder.uri, 'python');
    failing = vscode.Uri.joinPath(pyDir, 'sample_fails.py');
    ok = vscode.Uri.joinPath(pyDir, 'sample_ok.py');
  });

  afterEach(async () => {
    await emu.config({ apiKey: TEST_KEY });
    await emu.clearFaults();
    await clearNotifications();
  });

  after(async () => {
    for (const t of terminals) t.dispose();
    await configure({ baseUrl: undefined, maxRetries: undefined, notificationLevel: undefined });
    await emu?.close();
  });

  it("a 500 with a Log ID in a terminal run becomes a diagnostic on the user's own line, with Copy request_id, Explain and Run again", async function () {
    await emu.fault({ route: '/api/v1/asample', status: 500, body: { detail: `An unexpected error occurred. Log ID: ${LOG_ID}` } });
    // A local emulator without a key, as a user runs one: the terminal gets the server's URL only.
    await emu.config({ apiKey: null });
    const terminal = await shellTerminal('MinT test: terminal run', pyDir, { MINT_BASE_URL: emu.url });
    terminals.push(terminal);
    const code = await runInTerminal(terminal, 'python3 sample_fails.py');
    assert.notEqual(code, 0, 'the script fails');

    const d = await until('a MinT diagnostic on sample_fails.py', () => mintDiagnostics(failing)[0]);
    assert.equal(d.range.start.line, markedLine(failing), "the diagnostic is on the user's deepest frame, not in site-packages");
    assert.equal(d.code, 'InternalServerError');
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(d.message, /server error \(HTTP 500\)/);
    assert.ok(d.message.includes(`(request id: ${LOG_ID})`), d.message);
    const vendor = vscode.Uri.joinPath(pyDir, 'vendor/dist-packages/tinker/__init__.py');
    assert.equal(mintDiagnostics(vendor).length, 0, 'nothing is put on the library');

    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', failing, d.range);
    const titles = fixes.map((f) => f.title);
    assert.ok(titles.includes(`Copy request_id ${LOG_ID}`), titles.join(' | '));
    assert.ok(titles.includes('Explain InternalServerError'), titles.join(' | '));
    assert.ok(titles.includes('Run again'), titles.join(' | '));
    const copy = fixes.find((f) => f.title.startsWith('Copy request_id'))!;
    await vscode.commands.executeCommand(copy.command!.command, ...(copy.command!.arguments ?? []));
    if (ui.available) assert.equal(await ui.clipboard(), LOG_ID);
    else assert.equal(await vscode.env.clipboard.readText(), LOG_ID);

    if (ui.available) {
      const toast = await ui.waitFor(
        async () => (await ui.notifications()).find((n) => n.message.includes('InternalServerError in sample_fails.py')),
        15_000,
        'the toast for the Python run',
      );
      assert.ok(toast.actions.includes('Copy request_id'), toast.actions.join(', '));
      assert.ok(toast.message.includes(LOG_ID));
      await ui.screenshot('python-terminal-failure');
    }

    // The same command succeeding clears its failure.
    const again = await runInTerminal(terminal, 'python3 sample_fails.py');
    assert.equal(again, 0, 'without the fault the script succeeds');
    await until('the diagnostic to clear after the same command succeeded', () => mintDiagnostics(failing).length === 0);
  });

  it('a failed future (RequestFailedError) in a terminal run names its request id; editing the line clears the diagnostic', async function () {
    await emu.fault({ route: '/api/v1/asample', futureError: { error: 'Sampler crashed: CUDA out of memory', category: 'server' } });
    await emu.config({ apiKey: null });
    const terminal = await shellTerminal('MinT test: failed future', pyDir, { MINT_BASE_URL: emu.url });
    terminals.push(terminal);
    await runInTerminal(terminal, 'python3 sample_fails.py');
    const d = await until('a RequestFailedError diagnostic', () => mintDiagnostics(failing).find((x) => x.code === 'RequestFailedError'));
    assert.equal(d.range.start.line, markedLine(failing));
    assert.match(d.message, /could not finish the request: Sampler crashed: CUDA out of memory/);
    const id = /\(request id: ([0-9a-f]{32})\)$/.exec(d.message)?.[1];
    assert.ok(id, `the request id is in the message: ${d.message}`);
    const logged = await emu.requestsTo('/api/v1/asample');
    assert.ok(logged.length > 0);

    const doc = await vscode.workspace.openTextDocument(failing);
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(d.range.start.line, d.range.end.character), ' '));
    await until('the diagnostic to clear after an edit on its line', () => mintDiagnostics(failing).length === 0);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('terminal links: a request id and a Log ID copy, a class name explains itself, a checkpoint path is offered to the playground', async function () {
    const provider = api.python.links;
    const terminal = vscode.window.activeTerminal ?? vscode.window.createTerminal('MinT test: links');
    const line = `tinker.InternalServerError: Error code: 500 - {'detail': 'An unexpected error occurred. Log ID: ${LOG_ID}'}`;
    const links = await provider.provideTerminalLinks({ line, terminal }, new vscode.CancellationTokenSource().token);
    const kinds = (links ?? []).map((l) => `${l.link.kind}:${line.substr(l.startIndex, l.length)}`);
    assert.ok(kinds.includes(`logId:${LOG_ID}`), kinds.join(' | '));
    assert.ok(
      kinds.some((k) => k.startsWith('exceptionClass:') && k.includes('InternalServerError')),
      kinds.join(' | '),
    );
    const idLink = links!.find((l) => l.link.kind === 'logId')!;
    await provider.handleTerminalLink(idLink);
    if (ui.available) assert.equal(await ui.clipboard(), LOG_ID);

    if (ui.available) {
      const cls = links!.find((l) => l.link.kind === 'exceptionClass')!;
      void provider.handleTerminalLink(cls);
      const explained = await ui.waitFor(
        async () => (await ui.notifications()).find((n) => n.message.startsWith('MinT InternalServerError: HTTP 5xx')),
        10_000,
        'the explanation of InternalServerError',
      );
      assert.ok(explained.message.includes(LOG_ID), explained.message);
      assert.ok(explained.actions.includes('Copy request_id'));
    }

    // A tinker-cookbook class (no twin in the TypeScript client) gets its own words too.
    if (ui.available) {
      const cookbookLine = "tinker_cookbook.exceptions.DataFormatError: row 12: 'messages' must be a list";
      const [cb] =
        (await provider.provideTerminalLinks({ line: cookbookLine, terminal }, new vscode.CancellationTokenSource().token)) ?? [];
      assert.ok(cb && cb.link.kind === 'exceptionClass', JSON.stringify(cb?.link));
      void provider.handleTerminalLink(cb);
      const said = await ui.waitFor(
        async () => (await ui.notifications()).find((n) => n.message.startsWith('MinT DataFormatError:')),
        10_000,
        'the explanation of DataFormatError',
      );
      assert.match(said.message, /tinker-cookbook rejected your training data: row 12: 'messages' must be a list/);
    }

    const path = 'tinker://3f2a9c1e-aaaa-bbbb-cccc-0123456789ab:train:0/sampler_weights/step-100';
    const cpLinks = await provider.provideTerminalLinks(
      { line: `Saved sampler weights to ${path}`, terminal },
      new vscode.CancellationTokenSource().token,
    );
    assert.ok(
      (cpLinks ?? []).some((l) => l.link.kind === 'checkpoint' && l.link.value === path),
      JSON.stringify(cpLinks?.map((l) => l.link)),
    );
  });

  it('Run Python File with MinT: the script samples through MINT_BASE_URL with the key from SecretStorage, and the key is nowhere else', async function () {
    const done = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.definition.type !== 'mint') return;
        sub.dispose();
        resolve(e.exitCode);
      });
    });
    await vscode.commands.executeCommand('mint.runPythonFile', ok);
    const tasks = await api.python.tasks();
    assert.equal(await done, 0, `the run succeeds: ${tasks.lastTranscript}`);
    const transcript = tasks.lastTranscript;
    assert.match(transcript, /sampled 4 tokens from \S+ at http:\/\/127\.0\.0\.1:\d+ \(MINT_API_KEY set\)/);
    assert.match(transcript, /\[MinT\] run started: .*MINT_BASE_URL=http:\/\/127\.0\.0\.1/);
    assert.ok(!transcript.includes(TEST_KEY), 'the key is not in the terminal');
    // The key went to that process only: not into VS Code's own environment, terminals or settings.
    assert.equal(process.env.MINT_API_KEY, undefined);
    for (const t of vscode.window.terminals) {
      const env = (t.creationOptions as vscode.TerminalOptions).env ?? {};
      assert.ok(!Object.values(env).includes(TEST_KEY), `terminal "${t.name}" has the key in its environment`);
    }
    assert.ok(!JSON.stringify(vscode.workspace.getConfiguration('mint')).includes(TEST_KEY));
    const log = await readMintLog(api);
    assert.ok(!log.includes(TEST_KEY), 'the key is not in the log');
    const sampled = await emu.requestsTo('/api/v1/asample');
    assert.ok(
      sampled.some((r) => r.status === 200),
      'the emulator (which wants the key) accepted the sample',
    );
  });

  it("a mint task that fails: the $mint-python problem matcher puts it on the user's line, with the request id", async function () {
    await emu.fault({ route: '/api/v1/asample', futureError: { error: 'Sampler crashed: CUDA out of memory', category: 'server' } });
    const done = new Promise<number | undefined>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution.task.definition.type !== 'mint') return;
        sub.dispose();
        resolve(e.exitCode);
      });
    });
    await vscode.commands.executeCommand('mint.runPythonFile', failing);
    assert.notEqual(await done, 0);
    const transcript = (await api.python.tasks()).lastTranscript;
    assert.match(transcript, /\[MinT\] error .*sample_fails\.py:\d+: RequestFailedError: /);
    const d = await until("the problem matcher's diagnostic", () =>
      vscode.languages.getDiagnostics(failing).find((x) => x.source === 'MinT' && x.code === 'RequestFailedError'),
    );
    assert.equal(d.range.start.line, markedLine(failing));
    const id = /\(request id: ([0-9a-f]{32})\)$/.exec(d.message)?.[1];
    assert.ok(id, d.message);
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', failing, d.range);
    assert.ok(
      fixes.some((f) => f.title === `Copy request_id ${id}`),
      fixes.map((f) => f.title).join(' | '),
    );
    assert.ok(!transcript.includes(TEST_KEY));
  });

  it('under the debugger (real debugpy): stopping on a MinT exception gives the same diagnostic', async function () {
    if (!existsSync('/usr/lib/python3/dist-packages/debugpy/__init__.py') || !existsSync('/usr/bin/python3')) {
      // scripts/install-test-deps.sh installs python3-debugpy; other machines may lack it.
      this.skip();
    }
    await emu.fault({ route: '/api/v1/asample', status: 500, body: { detail: `An unexpected error occurred. Log ID: ${LOG_ID}` } });
    await emu.config({ apiKey: null });
    const before = await api.python.failures();
    const reported = new Promise<void>((resolve) => {
      const sub = before.onDidReport((r) => {
        if (r.some((x) => x.className === 'InternalServerError')) {
          sub.dispose();
          resolve();
        }
      });
    });
    const started = await vscode.debug.startDebugging(folder, {
      type: 'mint-test-debugpy',
      name: 'MinT test: debug sample_fails.py',
      request: 'launch',
      program: failing.fsPath,
      cwd: pyDir.fsPath,
      python: '/usr/bin/python3',
      console: 'internalConsole',
      env: { MINT_BASE_URL: emu.url },
      justMyCode: false,
    });
    assert.ok(started, 'the debug session started');
    await Promise.race([reported, sleep(45_000).then(() => assert.fail('no MinT failure was reported from the debug session'))]);
    const d = await until("the debugger's diagnostic", () => mintDiagnostics(failing).find((x) => x.code === 'InternalServerError'));
    assert.equal(d.range.start.line, markedLine(failing));
    assert.ok(d.message.includes(LOG_ID));
    await vscode.debug.stopDebugging();
  });
});
