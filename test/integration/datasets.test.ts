// Training datasets in a real VS Code: the linter runs in its worker thread on a seeded bad SFT
// file, its findings are diagnostics at exact ranges, a mechanical Quick Fix repairs the row and
// the diagnostic goes, the status bar summarises the file, an eval file is checked against its
// sibling train file, and a prompt file (rows without answers) is left to the batch lenses.
import * as assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { ui } from './bridge';
import { extensionApi, sleep } from './mintHarness';
import type { MintExtensionApi } from '../../src/extension';

const chat = (user: string, answer: string) =>
  JSON.stringify({
    messages: [
      { role: 'user', content: user },
      { role: 'assistant', content: answer },
    ],
  });

async function lintedDiagnostics(
  api: MintExtensionApi,
  uri: vscode.Uri,
  want: (d: vscode.Diagnostic[]) => boolean,
): Promise<vscode.Diagnostic[]> {
  for (let i = 0; i < 200; i++) {
    const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'MinT dataset');
    if ((await api.jsonl.datasets()).linted(uri) && want(d)) return d;
    await sleep(100);
  }
  throw new Error(
    `the dataset linter did not answer as expected for ${uri.fsPath}: ${JSON.stringify(vscode.languages.getDiagnostics(uri).map((d) => d.message))}`,
  );
}

describe('datasets: the linter on training files', function () {
  this.timeout(60_000);
  let api: MintExtensionApi;
  let dir: vscode.Uri;

  before(async () => {
    api = await extensionApi();
    dir = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'data');
    await vscode.workspace.fs.createDirectory(dir);
  });

  after(() => rmSync(dir.fsPath, { recursive: true, force: true }));

  it('a seeded bad SFT file: each problem at its exact range, a Quick Fix repairs a stray </think>, and the status bar sums the file up', async () => {
    const uri = vscode.Uri.joinPath(dir, 'train.jsonl');
    const rows = [
      chat('What is 2+2?', '4'),
      '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},]}',
      JSON.stringify({
        messages: [
          { role: 'robot', content: 'beep' },
          { role: 'assistant', content: 'ok' },
        ],
      }),
      JSON.stringify({ messages: [{ role: 'user', content: 'Only a question' }] }),
      JSON.stringify({
        messages: [
          { role: 'user', content: 'Think?' },
          { role: 'assistant', content: 'Sure</think> here it is' },
        ],
      }),
      chat('Capital of France?', 'Paris'),
    ];
    writeFileSync(uri.fsPath, rows.join('\n') + '\n');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diags = await lintedDiagnostics(api, uri, (d) => d.length >= 4);
    const byLine = (line: number) => diags.filter((d) => d.range.start.line === line);
    const json = byLine(1).find((d) => d.code === 'json-syntax');
    assert.ok(json, JSON.stringify(diags.map((d) => [d.range.start.line, d.code])));
    assert.equal(json.range.start.character, rows[1]!.indexOf(',]') + 1, 'the JSON error points at the character after the trailing comma');
    assert.ok(byLine(2).some((d) => d.code === 'unknown-role'));
    assert.ok(byLine(3).some((d) => d.code === 'no-assistant'));
    const stray = byLine(4).find((d) => d.code === 'stray-think-close');
    assert.ok(stray, JSON.stringify(byLine(4).map((d) => d.code)));
    assert.equal(byLine(0).length + byLine(5).length, 0, 'clean rows have no findings');

    if (ui.available) {
      await vscode.commands.executeCommand('workbench.actions.view.problems');
      await sleep(500);
      await ui.screenshot('dataset-lint');
    }
    const fixes = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, stray.range);
    const fix = fixes.find((f) => f.edit && /think/i.test(f.title));
    assert.ok(fix, fixes.map((f) => f.title).join(' | '));
    assert.ok(await vscode.workspace.applyEdit(fix.edit!));
    await lintedDiagnostics(api, uri, (d) => !d.some((x) => x.code === 'stray-think-close'));
    assert.ok(!doc.lineAt(4).text.includes('Sure</think> here'), doc.lineAt(4).text);

    const summary = (await api.jsonl.datasets()).linted(uri)?.summary;
    assert.ok(summary && /6 rows/.test(summary.status), summary?.status);
    if (ui.available) {
      const item = await ui.waitFor(
        async () => (await ui.statusBar()).find((i) => i.text.includes('6 rows')),
        10_000,
        'the dataset status bar item',
      );
      assert.match(item.text, /error/);
    }
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('an eval file beside its train file: rows also in train are flagged', async () => {
    const train = vscode.Uri.joinPath(dir, 'sft_train.jsonl');
    const evalFile = vscode.Uri.joinPath(dir, 'sft_eval.jsonl');
    writeFileSync(train.fsPath, [chat('a?', 'A'), chat('b?', 'B'), chat('c?', 'C')].join('\n') + '\n');
    writeFileSync(evalFile.fsPath, [chat('x?', 'X'), chat('b?', 'B')].join('\n') + '\n');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(evalFile));
    const diags = await lintedDiagnostics(api, evalFile, (d) => d.some((x) => x.code === 'train-eval-overlap'));
    const overlap = diags.find((x) => x.code === 'train-eval-overlap')!;
    assert.equal(overlap.range.start.line, 1);
    assert.match(overlap.message, /sft_train\.jsonl/);
  });

  it('a prompt file (questions without answers) is not linted as a dataset', async () => {
    const uri = vscode.Uri.joinPath(dir, 'questions.jsonl');
    writeFileSync(
      uri.fsPath,
      [1, 2, 3].map((i) => JSON.stringify({ messages: [{ role: 'user', content: `Question ${i}?` }] })).join('\n') + '\n',
    );
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    for (let i = 0; i < 100 && !(await api.jsonl.datasets()).linted(uri); i++) await sleep(100);
    assert.equal((await api.jsonl.datasets()).linted(uri)?.kind, 'prompts');
    assert.equal(vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'MinT dataset').length, 0);
  });
});
