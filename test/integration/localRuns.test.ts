// Local run folders in a real VS Code: the Local Runs view finds a run folder with its status and
// checkpoints, the dashboard charts it, rows another process appends reach the dashboard within
// a second, and a checkpoint marker opens the playground beside the run's base model.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ui } from './bridge';
import { TEST_KEY, configure, extensionApi, sleep, startTestEmulator, type TestEmulator } from './mintHarness';
import type { MintExtensionApi } from '../../src/extension';
import type { HostToDashboard } from '../../src/shared/dashboard';

const MODEL = 'Qwen/Qwen3-0.6B';
const SAMPLER = 'mint://3f2a9c1e-aaaa-bbbb-cccc-0123456789ab:train:0/sampler_weights/step-20';

function row(step: number): string {
  return JSON.stringify({
    step,
    epoch: 0,
    train_mean_nll: 3 / (1 + step / 10),
    learning_rate: 1e-4,
    num_tokens: 512,
    progress: step / 100,
  });
}

describe('local runs: run folders and their dashboard', function () {
  this.timeout(90_000);
  let emu: TestEmulator;
  let api: MintExtensionApi;
  let draftBefore: Awaited<ReturnType<MintExtensionApi['playground']>>['currentDraft'];
  let runDir: string;
  let cookbookDir: string;

  before(async function () {
    this.timeout(60_000);
    emu = await startTestEmulator();
    api = await extensionApi();
    draftBefore = (await api.playground()).currentDraft;
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: emu.url });
    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    runDir = join(ws, 'runs', 'demo-sft');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({ base_model: MODEL, lora_rank: 8, learning_rate: 1e-4 }));
    writeFileSync(join(runDir, 'metrics.jsonl'), Array.from({ length: 30 }, (_, i) => row(i + 1)).join('\n') + '\n');
    writeFileSync(
      join(runDir, 'checkpoints.jsonl'),
      [
        JSON.stringify({
          name: 'step-10',
          step: 10,
          epoch: 0,
          state_path: 'mint://3f2a9c1e-aaaa-bbbb-cccc-0123456789ab:train:0/weights/step-10',
        }),
        JSON.stringify({ name: 'step-20', step: 20, epoch: 0, sampler_path: SAMPLER, final: false }),
      ].join('\n') + '\n',
    );
    // A mint-cookbook run beside it: run.json, train/metrics.jsonl and eval/periodic.jsonl.
    cookbookDir = join(ws, 'runs', 'artifacts', 'runs', 'sft-colours-qwen3-20261201-101500');
    mkdirSync(join(cookbookDir, 'train'), { recursive: true });
    mkdirSync(join(cookbookDir, 'eval'), { recursive: true });
    writeFileSync(
      join(cookbookDir, 'run.json'),
      JSON.stringify({ status: 'completed', args: { base_model: MODEL, learning_rate: 2e-4 }, command: 'uv run train.py' }),
    );
    writeFileSync(join(cookbookDir, 'train', 'metrics.jsonl'), Array.from({ length: 10 }, (_, i) => row(i + 1)).join('\n') + '\n');
    writeFileSync(
      join(cookbookDir, 'eval', 'periodic.jsonl'),
      JSON.stringify({
        step: 10,
        eval_accuracy: 0.5,
        samples: [
          { id: 'q1', prediction: 'Paris', expected: 'Paris', correct: true },
          { id: 'q2', prediction: 'Lyon', expected: 'Marseille', correct: false },
        ],
      }) + '\n',
    );
  });

  after(async () => {
    // The playground's form is shared by every suite: put back the targets these tests added.
    await (await api.playground()).restoreDraft(draftBefore);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    rmSync(join(runDir, '..'), { recursive: true, force: true });
    await configure({ baseUrl: undefined });
    await emu?.close();
  });

  it('Local Runs lists the folder with its status and checkpoints', async () => {
    (await api.localRuns.provider()).refresh();
    const runs = await (await api.localRuns.provider()).getChildren();
    const node = runs.find((n) => n.kind === 'run' && n.run.path === runDir);
    assert.ok(node && node.kind === 'run', JSON.stringify(runs.map((r) => (r.kind === 'run' ? r.run.name : r.kind))));
    assert.equal(node.run.layout, 'tinker-cookbook');
    const item = (await api.localRuns.provider()).getTreeItem(node);
    assert.match(String(item.description), /running|stopped\?/);
    const checkpoints = await (await api.localRuns.provider()).getChildren(node);
    assert.deepEqual(
      checkpoints.map((c) => (c.kind === 'checkpoint' ? [c.checkpoint.name, c.checkpoint.samplerPath ?? null] : null)),
      [
        ['step-10', null],
        ['step-20', SAMPLER],
      ],
    );
  });

  it('the dashboard charts the run, and rows another process appends reach it within a second', async () => {
    const dashboard = await api.localRuns.dashboard();
    const posted: { at: number; msg: HostToDashboard }[] = [];
    const sub = dashboard.onDidPost((msg) => posted.push({ at: Date.now(), msg }));
    try {
      await vscode.commands.executeCommand('mint.openRunDashboard', runDir);
      for (let i = 0; i < 100 && !posted.some((p) => p.msg.type === 'series' && p.msg.key === 'train_mean_nll'); i++) await sleep(100);
      const series = posted.find((p) => p.msg.type === 'series' && p.msg.key === 'train_mean_nll')?.msg;
      assert.ok(series && series.type === 'series', 'the loss series was sent');
      assert.equal(series.x.length, 30);
      if (ui.available) {
        await ui.waitFor(
          async () => (await ui.webviewQuery('.chart[data-key="train_mean_nll"]', { frameContains: 'Smoothing' })).length > 0,
          20_000,
          'the loss chart',
        );
      }

      // A real second process appends five rows, 200 ms apart, printing when it wrote each.
      const writer = spawn(
        process.execPath,
        [
          '-e',
          `const fs=require('fs');let s=31;const t=setInterval(()=>{fs.appendFileSync(${JSON.stringify(join(runDir, 'metrics.jsonl'))}, JSON.stringify({step:s,train_mean_nll:0.5,learning_rate:1e-4,progress:s/100})+'\\n');console.log(s+' '+Date.now());if(++s>35){clearInterval(t);}},200);`,
        ],
        { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const written = new Map<number, number>();
      writer.stdout!.on('data', (d: Buffer) => {
        for (const line of d.toString().trim().split('\n')) {
          const [step, at] = line.split(' ').map(Number);
          written.set(step!, at!);
        }
      });
      await new Promise((r) => writer.once('exit', r));
      const arrived = new Map<number, number>();
      for (let i = 0; i < 40 && arrived.size < 5; i++) {
        for (const p of posted)
          if (p.msg.type === 'append') for (const r of p.msg.rows) if (r.x >= 31 && !arrived.has(r.x)) arrived.set(r.x, p.at);
        await sleep(100);
      }
      assert.deepEqual([...arrived.keys()].sort(), [31, 32, 33, 34, 35], 'every appended row reached the dashboard once');
      const delays = [...arrived].map(([step, at]) => at - written.get(step)!);
      assert.ok(
        delays.every((d) => d < 1000),
        `each row reached the dashboard within a second (delays ${delays.join(', ')} ms)`,
      );
      assert.ok(
        !posted.some((p) => p.msg.type === 'series' && p.msg.reset && p.at > Math.min(...written.values())),
        'no re-read of the file',
      );
      if (ui.available) await ui.screenshot('run-dashboard');
    } finally {
      sub.dispose();
    }
  });

  it('a mint-cookbook run: listed as completed from its run.json, and its eval samples show per step', async function () {
    const provider = await api.localRuns.provider();
    provider.refresh();
    const runs = await provider.list();
    const run = runs.find((r) => r.path === cookbookDir);
    assert.ok(run, runs.map((r) => r.name).join(', '));
    assert.equal(run.layout, 'mint-cookbook');
    assert.equal(run.status, 'completed');
    assert.equal(run.statusFrom, 'run.json');
    if (!ui.available) return;
    await (await api.localRuns.dashboard()).show([cookbookDir]);
    await ui.webviewClick('[data-tab="samples"]', { frameContains: 'Smoothing' });
    const rows = await ui.waitFor(
      async () => {
        const r = await ui.webviewQuery('.sample-row', { frameContains: 'Smoothing' });
        return r.length === 2 ? r : undefined;
      },
      15_000,
      'the two eval samples',
    );
    assert.ok(
      rows.some((t) => t.includes('q2') && t.includes('Lyon') && t.includes('Marseille')),
      rows.join(' | '),
    );
    await ui.webviewClick('[data-tab="charts"]', { frameContains: 'Smoothing' });
    await (await api.localRuns.dashboard()).show([runDir]);
  });

  it("a sampler checkpoint marker opens the playground beside the run's base model", async function () {
    // Clicking a marker inside the webview needs the UI bridge (code-server runs have it; a bare
    // @vscode/test-electron run does not).
    if (!ui.available) this.skip();
    await ui.waitFor(
      async () => (await ui.webviewQuery('.ckpt.sampler', { frameContains: 'Smoothing' })).length > 0,
      20_000,
      'the checkpoint marker',
    );
    await ui.webviewClick('.ckpt.sampler', { frameContains: 'Smoothing' });
    const session = await api.playground();
    const targets = await ui.waitFor(
      () => {
        const t = session.currentDraft?.targets ?? [];
        return t.some((x) => 'model_path' in x && x.model_path === SAMPLER) ? t : undefined;
      },
      15_000,
      'the checkpoint in the playground',
    );
    assert.ok(
      targets.some((x) => 'base_model' in x && x.base_model === MODEL),
      JSON.stringify(targets),
    );
  });
});
