// MinT: Fine-tune on This Dataset in a real VS Code against the emulator: a 40-row chat dataset
// trains to completion with a falling loss, its run is on the server (Training Runs) and in the
// workspace (Local Runs), its final checkpoint opens in the playground beside the base model; a
// cancel part-way and a resume complete with every step once; a bad file is refused with why.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { TEST_KEY, configure, extensionApi, sleep, startTestEmulator, type TestEmulator } from './mintHarness';
import type { MintExtensionApi } from '../../src/extension';
import type { FineTuneResult } from '../../src/finetune/index';

const MODEL = 'Qwen/Qwen3-0.6B';

function dataset(n: number): string {
  const pairs = [
    ['What colour is the sky?', 'The sky is blue.'],
    ['What colour is grass?', 'Grass is green.'],
    ['What colour is snow?', 'Snow is white.'],
    ['What colour is coal?', 'Coal is black.'],
  ];
  return Array.from({ length: n }, (_, i) => {
    const [q, a] = pairs[i % pairs.length]!;
    return JSON.stringify({
      messages: [
        { role: 'user', content: q },
        { role: 'assistant', content: a },
      ],
    });
  }).join('\n');
}

function metricsRows(runDir: string): { step: number; train_mean_nll?: number }[] {
  return readFileSync(`${runDir}/metrics.jsonl`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { step: number; train_mean_nll?: number });
}

describe('fine-tune: a dataset trained from the editor', function () {
  this.timeout(180_000);
  let emu: TestEmulator;
  let api: MintExtensionApi;
  let draftBefore: Awaited<ReturnType<MintExtensionApi['playground']>>['currentDraft'];
  let dir: vscode.Uri;
  const config = { baseModel: MODEL, loraRank: 8, learningRate: 0.01, lrSchedule: 'constant', batchSize: 4, epochs: 2, checkpointEvery: 5 };

  before(async function () {
    this.timeout(60_000);
    emu = await startTestEmulator();
    api = await extensionApi();
    draftBefore = (await api.playground()).currentDraft;
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: emu.url, notificationLevel: 'none' });
    dir = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'ft');
    await vscode.workspace.fs.createDirectory(dir);
  });

  after(async () => {
    // The playground's form is shared by every suite: put back the targets these tests added.
    await (await api.playground()).restoreDraft(draftBefore);
    await configure({ baseUrl: undefined, notificationLevel: undefined });
    await emu?.close();
    rmSync(dir.fsPath, { recursive: true, force: true });
    rmSync(vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0]!.uri, 'runs').fsPath, { recursive: true, force: true });
  });

  it('a 40-row dataset trains to completion: loss falls, the run is listed on the server and locally, and its checkpoint opens beside the base model', async () => {
    const uri = vscode.Uri.joinPath(dir, 'colours.jsonl');
    writeFileSync(uri.fsPath, dataset(40) + '\n');
    const lenses = await (async () => {
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      for (let i = 0; i < 100; i++) {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
        if (l.some((x) => x.command?.command === 'mint.fineTune')) return l;
        await sleep(100);
      }
      return [];
    })();
    assert.ok(
      lenses.some((x) => x.command?.title === '$(rocket) Fine-tune on this dataset'),
      'the dataset offers Fine-tune',
    );

    const result = await vscode.commands.executeCommand<FineTuneResult>('mint.fineTune', uri, { config, compare: true });
    assert.ok(result, 'the fine-tune ran');
    assert.equal(result.status, 'completed', JSON.stringify(result.error));
    assert.equal(result.steps, 20, '40 rows, batch 4, 2 epochs');
    const rows = metricsRows(result.runDir);
    const nll = rows.map((r) => r.train_mean_nll!).filter((x) => typeof x === 'number');
    const head = (nll[0]! + nll[1]! + nll[2]!) / 3;
    const tail = (nll.at(-1)! + nll.at(-2)! + nll.at(-3)!) / 3;
    assert.ok(tail < head, `the loss falls (first steps ${head.toFixed(3)}, last steps ${tail.toFixed(3)})`);
    const checkpoints = readFileSync(`${result.runDir}/checkpoints.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { final?: boolean; sampler_path?: string; step: number });
    assert.ok(
      checkpoints.some((c) => c.step === 5 && !c.final),
      'a checkpoint every 5 steps',
    );
    const final = checkpoints.find((c) => c.final);
    assert.equal(final?.sampler_path, result.lastSamplerPath);

    const { client } = await api.services.clients.getClient();
    const runs = await client.createRestClient().listTrainingRuns();
    assert.ok(
      runs.training_runs.some((r) => r.training_run_id === result.trainingRunId),
      'the run is on the server (Training Runs)',
    );
    (await api.localRuns.provider()).refresh();
    const local = await (await api.localRuns.provider()).list();
    const mine = local.find((r) => r.path === result.runDir);
    assert.ok(mine, `the run folder is in Local Runs: ${local.map((r) => r.name).join(', ')}`);
    assert.equal(mine.status, 'completed');

    const targets = (await api.playground()).currentDraft?.targets ?? [];
    assert.ok(
      targets.some((t) => 'base_model' in t && t.base_model === MODEL),
      JSON.stringify(targets),
    );
    assert.ok(
      targets.some((t) => 'model_path' in t && t.model_path === result.lastSamplerPath),
      JSON.stringify(targets),
    );
  });

  it('a cancel part-way, then Resume: completes with every step once and continues from the saved state', async () => {
    const uri = vscode.Uri.joinPath(dir, 'colours-resume.jsonl');
    writeFileSync(uri.fsPath, dataset(40) + '\n');
    await emu.config({ latencyMs: 40 });
    const first = vscode.commands.executeCommand<FineTuneResult>('mint.fineTune', uri, { config, resume: false });
    let runDir: string | undefined;
    for (let i = 0; i < 300; i++) {
      const last = api.services.context.workspaceState.get<Record<string, string>>('mint.fineTune.lastRun', {})[uri.toString()];
      if (last && existsSync(`${last}/metrics.jsonl`) && metricsRows(last).length >= 7) {
        runDir = last;
        break;
      }
      await sleep(100);
    }
    assert.ok(runDir, 'the run got going');
    assert.equal(await vscode.commands.executeCommand('mint.fineTune.cancel', uri), true);
    const cancelled = await first;
    assert.equal(cancelled?.status, 'cancelled');
    assert.ok(cancelled.steps >= 7 && cancelled.steps < 20, `stopped part-way (${cancelled.steps})`);
    await emu.config({ latencyMs: 0 });

    const resumed = await vscode.commands.executeCommand<FineTuneResult>('mint.fineTune', uri, { config, resume: true });
    assert.equal(resumed?.status, 'completed', JSON.stringify(resumed?.error));
    assert.equal(resumed.runDir, runDir, 'the same run folder was resumed');
    assert.ok(
      resumed.resumedFrom !== undefined && resumed.resumedFrom <= cancelled.steps,
      `resumed from the saved state (${resumed.resumedFrom})`,
    );
    const { readRunFolder } = await import('../../src/finetune/index');
    const state = await readRunFolder(runDir);
    assert.deepEqual(
      state.metrics.map((r) => r.step),
      Array.from({ length: 20 }, (_, i) => i + 1),
      'the final view has every step exactly once',
    );
    assert.equal(state.run?.status, 'completed');
  });

  it('a file that would fail on MinT is refused, saying why, and nothing is sent', async () => {
    const uri = vscode.Uri.joinPath(dir, 'prefs.jsonl');
    writeFileSync(
      uri.fsPath,
      Array.from({ length: 10 }, (_, i) => JSON.stringify({ prompt: `Q${i}`, chosen: 'good', rejected: 'bad' })).join('\n') + '\n',
    );
    await emu.clearRequests();
    const result = await vscode.commands.executeCommand<FineTuneResult | undefined>('mint.fineTune', uri, { config });
    assert.equal(result, undefined);
    assert.equal((await emu.requestsTo('/api/v1/create_model')).length, 0, 'no training run was created');
    const log = readFileSync(vscode.Uri.joinPath(api.services.context.logUri, 'MinT.log').fsPath, 'utf8');
    assert.match(log, /prefs\.jsonl refused: .*(DPO|preference|not .*SFT)/i);
  });
});
