// Prompt files in a real VS Code against a real emulator: the CodeLenses, problems on malformed
// rows, Run all over 200 rows with injected faults (429, 5xx, a dropped connection, failed
// futures), every row ending with a result or a recorded error, failed rows as diagnostics with
// Copy request_id and Retry row, and a "window reload" mid-run followed by Run remaining that
// completes without sending a finished row again.
import * as assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { ui } from './bridge';
import { TEST_KEY, configure, extensionApi, sleep, startTestEmulator, type TestEmulator } from './mintHarness';
import type { MintExtensionApi } from '../../src/extension';
import type { ResultRecord } from '../../src/batch/results';
import type { BatchSummary } from '../../src/batch/runner';

const MODEL = 'Qwen/Qwen3-0.6B';

function readResults(path: string): ResultRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as ResultRecord];
      } catch {
        return [];
      }
    });
}

function promptRows(n: number, prefix: string): string {
  return Array.from({ length: n }, (_, i) =>
    i % 2
      ? JSON.stringify({ id: `${prefix}-${i}`, prompt: `Story ${i}: once upon a time` })
      : JSON.stringify({ id: `${prefix}-${i}`, messages: [{ role: 'user', content: `Question ${i}?` }] }),
  ).join('\n');
}

describe('batch: sampling a prompt file', function () {
  this.timeout(120_000);
  let emu: TestEmulator;
  let api: MintExtensionApi;
  let dir: vscode.Uri;

  before(async function () {
    this.timeout(60_000);
    emu = await startTestEmulator();
    api = await extensionApi();
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: emu.url, maxRetries: 0, notificationLevel: 'none', 'batch.concurrency': 8 });
    dir = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'batch');
    await vscode.workspace.fs.createDirectory(dir);
  });

  afterEach(async () => {
    await emu.clearFaults();
    await emu.config({ latencyMs: 0 });
  });

  after(async () => {
    await configure({ baseUrl: undefined, maxRetries: undefined, notificationLevel: undefined, 'batch.concurrency': undefined });
    await emu?.close();
    rmSync(dir.fsPath, { recursive: true, force: true });
  });

  it("shows Run all / Run remaining / model / Compare lenses, Sample on each row, and a problem at a malformed row's exact position", async () => {
    const uri = vscode.Uri.joinPath(dir, 'lenses.jsonl');
    writeFileSync(uri.fsPath, `${promptRows(3, 'l')}\n{"prompt": "bad", "params": {"temprature": 1}}\n`);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.includes('$(run-all) Run all (3)'), titles.join(' | '));
    assert.ok(titles.includes('$(run) Run remaining (3)'), titles.join(' | '));
    assert.equal(titles.filter((t) => t === '$(play) Sample').length, 3);
    const problem = await (async () => {
      for (let i = 0; i < 50; i++) {
        const d = vscode.languages.getDiagnostics(uri).find((x) => x.code === 'prompt-row');
        if (d) return d;
        await sleep(100);
      }
      return undefined;
    })();
    assert.ok(problem, 'the malformed row has a problem');
    assert.equal(problem.range.start.line, 3);
    assert.equal(problem.range.start.character, '{"prompt": "bad", "params": {'.length);
    assert.match(problem.message, /"params\.temprature" is not a sampling parameter.*This row is skipped\./);
  });

  it('Run all over 200 rows with 429s, 5xx, a dropped connection and failed futures: every row has a result or a recorded error, failures are diagnostics with Copy request_id and Retry row', async () => {
    const uri = vscode.Uri.joinPath(dir, 'faults.jsonl');
    writeFileSync(uri.fsPath, promptRows(200, 'f') + '\n');
    await vscode.commands.executeCommand('mint.batch.configure', uri, {
      target: { base_model: MODEL },
      params: { max_tokens: 4, temperature: 0 },
    });
    await emu.fault({
      route: '/api/v1/asample',
      skip: 10,
      status: 429,
      body: { detail: 'Too many concurrent requests' },
      headers: { 'Retry-After': '0' },
      times: 6,
    });
    await emu.fault({
      route: '/api/v1/asample',
      skip: 40,
      status: 503,
      body: { detail: 'An unexpected error occurred. Log ID: 11111111-2222-4333-8444-555555555555' },
      times: 4,
    });
    await emu.fault({ route: '/api/v1/asample', skip: 80, drop: 'before-headers', times: 1 });
    await emu.fault({
      route: '/api/v1/asample',
      skip: 120,
      futureError: { error: 'Sampler crashed: CUDA out of memory', category: 'server' },
      times: 3,
    });

    const summary = await vscode.commands.executeCommand<BatchSummary>('mint.batch.runAll', uri);
    assert.equal(summary.ok + summary.failed, 200, JSON.stringify(summary));
    assert.equal(summary.notRun, 0);
    assert.ok(summary.failed >= 10, `the faults failed rows: ${JSON.stringify(summary)}`);

    const results = readResults(uri.fsPath.replace(/\.jsonl$/, '.results.jsonl'));
    assert.equal(results.length, 200, 'one line per row after the run');
    assert.equal(new Set(results.map((r) => r.row)).size, 200, 'no row twice');
    for (const r of results) {
      if (r.status === 'ok') assert.ok(typeof r.output === 'string' && r.request_id && r.tokens! > 0, JSON.stringify(r));
      else assert.ok(r.error?.class && r.error.message, JSON.stringify(r));
    }
    const classes = new Set(results.filter((r) => r.status === 'error').map((r) => r.error!.class));
    for (const c of ['RateLimitError', 'InternalServerError', 'APIConnectionError', 'RequestFailedError'])
      assert.ok(classes.has(c), `${c} in ${[...classes].join(', ')}`);
    const failedFuture = results.find((r) => r.error?.class === 'RequestFailedError')!;
    assert.ok(failedFuture.error!.request_id, 'a failed future keeps its request id');

    const diags = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'MinT' && d.code !== 'prompt-row');
    assert.equal(diags.length, summary.failed, 'each failed row is a diagnostic');
    const d = diags.find((x) => x.code === 'RequestFailedError')!;
    assert.equal(d.range.start.line, failedFuture.line);
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range);
    const titles = fixes.map((f) => f.title);
    assert.ok(titles.includes(`Copy request_id ${failedFuture.error!.request_id}`), titles.join(' | '));
    assert.ok(titles.includes('Retry row'), titles.join(' | '));
    assert.ok(!readFileSync(uri.fsPath.replace(/\.jsonl$/, '.results.jsonl'), 'utf8').includes(TEST_KEY), 'the key is not in the results');

    // Retry row: the row now succeeds, and its diagnostic goes.
    const retry = fixes.find((f) => f.title === 'Retry row')!;
    await vscode.commands.executeCommand(retry.command!.command, ...(retry.command!.arguments ?? []));
    for (
      let i = 0;
      i < 100 && vscode.languages.getDiagnostics(uri).some((x) => x.range.start.line === failedFuture.line && x.source === 'MinT');
      i++
    )
      await sleep(100);
    assert.ok(!vscode.languages.getDiagnostics(uri).some((x) => x.range.start.line === failedFuture.line && x.source === 'MinT'));

    if (ui.available) {
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      editor.revealRange(new vscode.Range(failedFuture.line, 0, failedFuture.line, 0), vscode.TextEditorRevealType.InCenter);
      await sleep(800);
      await ui.screenshot('batch-prompt-file');
    }
    const hover = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(failedFuture.line, 2),
    );
    const text = hover.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.ok(text.includes(MODEL) && /\d+ tokens · stop: /.test(text), text);
  });

  it("Compare: two targets' results for the same file open side by side", async () => {
    const uri = vscode.Uri.joinPath(dir, 'compare.jsonl');
    writeFileSync(uri.fsPath, promptRows(4, 'c') + '\n');
    const other = 'Qwen/Qwen3-4B-Instruct-2507';
    for (const model of [MODEL, other]) {
      await vscode.commands.executeCommand('mint.batch.configure', uri, {
        target: { base_model: model },
        params: { max_tokens: 4, temperature: 0 },
      });
      const s = await vscode.commands.executeCommand<BatchSummary>('mint.batch.runAll', uri);
      assert.equal(s.ok, 4);
    }
    const results = readResults(uri.fsPath.replace(/\.jsonl$/, '.results.jsonl'));
    assert.equal(results.length, 8, 'one line per (row, target)');
    await vscode.commands.executeCommand('mint.batch.compare', uri, { base_model: MODEL }, { base_model: other });
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, `a diff editor is open (${tab?.label})`);
    assert.equal(tab.label, `${MODEL} ↔ ${other}`);
    const left = await vscode.workspace.openTextDocument(tab.input.original);
    assert.match(left.getText(), /### c-0\n/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('a window reload mid-run, then Run remaining: finishes every row without sending a finished row again', async () => {
    const uri = vscode.Uri.joinPath(dir, 'reload.jsonl');
    const resultsPath = uri.fsPath.replace(/\.jsonl$/, '.results.jsonl');
    writeFileSync(uri.fsPath, promptRows(200, 'r') + '\n');
    await vscode.commands.executeCommand('mint.batch.configure', uri, {
      target: { base_model: MODEL },
      params: { max_tokens: 4, temperature: 0 },
    });
    await emu.config({ latencyMs: 40 });
    const controller = await (await api.jsonl.batch()).controller();
    const first = vscode.commands.executeCommand<BatchSummary>('mint.batch.runAll', uri);
    for (let i = 0; i < 300 && readResults(resultsPath).length < 60; i++) await sleep(50);
    // What a reload does to a run: the extension host is gone, rows in flight get no result, and
    // the last line may be half written.
    controller.abandonAll();
    await first;
    appendFileSync(resultsPath, '{"row": "id:r-199", "label": "r-1');
    const afterCrash = readResults(resultsPath);
    const done = new Set(afterCrash.filter((r) => r.status === 'ok').map((r) => r.row));
    assert.ok(done.size >= 60 && done.size < 200, `the run was stopped part-way (${done.size} done)`);
    await emu.config({ latencyMs: 0 });
    // Requests the abort cut off may still be arriving: let them land before counting anew.
    await sleep(500);
    await emu.clearRequests();

    const summary = await vscode.commands.executeCommand<BatchSummary>('mint.batch.runRemaining', uri);
    assert.equal(summary.ok, 200 - done.size, JSON.stringify(summary));
    assert.equal(summary.failed, 0);
    const sent = await emu.requestsTo('/api/v1/asample');
    assert.equal(sent.length, 200 - done.size, 'only the rows without a result were sent');
    const final = readResults(resultsPath);
    assert.equal(final.length, 200);
    assert.equal(new Set(final.map((r) => r.row)).size, 200);
    assert.ok(final.every((r) => r.status === 'ok'));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
    assert.ok(
      lenses.some((l) => l.command?.title === '$(run) Run remaining (0)'),
      lenses.map((l) => l.command?.title).join(' | '),
    );
  });
});
