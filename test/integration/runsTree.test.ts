// The Training Runs view in a real VS Code, read back from the workbench DOM through the UI
// bridge, against a real emulator (child process, fault injection on) whose runs and checkpoints
// were made by training a tiny LoRA through the MinT client.
import * as assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import * as vscode from 'vscode';
import { Datum, ServiceClient } from '../../src/mint/index';
import { shortRunId } from '../../src/vscode/trees/format';
import type { MintExtensionApi } from '../../src/extension';
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

const BASE = 'Qwen/Qwen3-0.6B';
const ROWS = '.part.sidebar .monaco-list-row';
const rows = () => ui.query(ROWS);
const rowWith = (text: string) => async () => (await rows()).find((r) => r.includes(text));
const noRowWith = (text: string) => async () => !(await rows()).some((r) => r.includes(text));
/** Clicks a row as a person does; the item commands then act on the view's selection. */
async function select(text: string): Promise<void> {
  await ui.click(ROWS, text);
  await ui.waitFor(async () => (await ui.query(`${ROWS}.selected`)).some((r) => r.includes(text)), 5_000, `the row ${text} to be selected`);
  // The workbench shows the selection before the extension host hears of it.
  await sleep(400);
}
// "Parameters" is a heading only the playground's page shows: it picks that webview among others.
const PLAYGROUND = { frameContains: 'Parameters' };

describe('runs tree: training runs and checkpoints in the MinT sidebar (real VS Code, emulator)', function () {
  this.timeout(120_000);
  let emu: TestEmulator;
  let api: MintExtensionApi;
  let previousKey: string | undefined;
  let runId = '';
  let emptyRunId = '';
  let samplerPath = '';
  let statePath = '';

  before(async function () {
    // These tests read the screen through the UI bridge, which only the code-server runner provides
    // (smoke.test.ts fails that run if the bridge is missing, so this never skips there silently).
    if (!ui.available) this.skip();
    emu = await startTestEmulator();
    api = await extensionApi();
    previousKey = await api.services.context.secrets.get('mint.apiKey');
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: emu.url, maxRetries: 0 });

    const client = new ServiceClient({ baseUrl: emu.url, apiKey: TEST_KEY, heartbeatIntervalMs: 0, env: {} });
    try {
      // A run without checkpoints first, so the trained run is the newest and sits on top.
      const empty = await client.createLoraTrainingClient({ base_model: BASE, rank: 8 });
      emptyRunId = empty.model_id;
      const trainer = await client.createLoraTrainingClient({ base_model: BASE, rank: 4, seed: 3 });
      const ids = [11, 12, 13, 14, 15, 16, 17, 18];
      const d = Datum.from({ model_input: ids.slice(0, -1), loss_fn_inputs: { target_tokens: ids.slice(1) } });
      await Promise.all([trainer.forwardBackward([d], 'cross_entropy'), trainer.optimStep({ learning_rate: 0.05 })]);
      statePath = (await trainer.saveState('rt-state')).path;
      samplerPath = (await trainer.saveWeightsForSampler('rt-sampler')).path;
      runId = samplerPath.split('/')[2]!;
    } finally {
      await client.close();
    }
  });

  after(async () => {
    await clearNotifications();
    if (api) {
      if (previousKey) await api.services.keys.store(previousKey);
      else await api.services.keys.clear();
    }
    await configure({ baseUrl: undefined, maxRetries: undefined });
    await emu?.clearFaults();
    await emu?.close();
  });

  beforeEach(async () => {
    await clearNotifications();
  });

  it('lists the run (short id, base model, LoRA rank, relative time) and its checkpoints', async () => {
    await vscode.commands.executeCommand('mint.runs.focus');
    await vscode.commands.executeCommand('mint.runs.refresh');
    const short = shortRunId(runId);
    const row = await ui.waitFor(rowWith(short), 15_000, `the run ${short} in the tree`);
    assert.ok(row.includes(BASE) && row.includes('Rank 4') && row.includes('just now'), row);
    assert.ok(await ui.waitFor(rowWith(shortRunId(emptyRunId)), 5_000, 'the empty run'));

    await ui.click(ROWS, short);
    const sampler = await ui.waitFor(rowWith('rt-sampler'), 10_000, 'the sampler checkpoint under the run');
    assert.ok(sampler.includes('sampler') && /\d+(\.\d)? (B|KB|MB)/.test(sampler), sampler);
    const state = await ui.waitFor(rowWith('rt-state'), 5_000, 'the training checkpoint under the run');
    assert.ok(state.includes('training'), state);
    // Sampler vs training checkpoints carry different codicons.
    assert.equal((await ui.query(`${ROWS} .codicon-package`)).length, 1);
    assert.equal((await ui.query(`${ROWS} .codicon-save`)).length, 1);

    await ui.click(ROWS, shortRunId(emptyRunId));
    await ui.waitFor(rowWith('No checkpoints'), 10_000, 'the "No checkpoints" placeholder under the empty run');
    const shot = await ui.screenshot('runs-tree');
    assert.ok(shot.endsWith('runs-tree.png') && statSync(shot).size > 5_000, shot);
    assert.deepEqual([...readFileSync(shot).subarray(1, 4)], [0x50, 0x4e, 0x47], `${shot} is not a PNG`);
  });

  it('Copy Checkpoint Path puts the mint:// path of the selected checkpoint on the clipboard', async () => {
    await vscode.env.clipboard.writeText('nothing yet');
    await select('rt-sampler');
    await vscode.commands.executeCommand('mint.runs.copyPath');
    assert.match(samplerPath, /^mint:\/\/.+\/sampler_weights\/rt-sampler$/);
    assert.equal(await vscode.env.clipboard.readText(), samplerPath);
    await vscode.commands.executeCommand('mint.runs.copyRunId');
    assert.equal(await vscode.env.clipboard.readText(), runId);
  });

  it('Sample in Playground is in the menu of a sampler checkpoint only (trial #13)', async () => {
    const menuOf = async (row: string): Promise<string[]> => {
      await select(row);
      await ui.pressKeys('Shift+F10');
      const items = await ui.waitFor(
        async () => {
          const r = (await ui.query('.monaco-menu .action-label')).filter((t) => t.trim());
          return r.length ? r : undefined;
        },
        5_000,
        `the context menu of ${row}`,
      );
      await ui.pressKeys('Escape');
      await sleep(200);
      return items;
    };
    const onSampler = await menuOf('rt-sampler');
    assert.ok(onSampler.includes('Sample in Playground') && onSampler.includes('Copy Checkpoint Path'), onSampler.join(' | '));
    const onState = await menuOf('rt-state');
    assert.ok(onState.includes('Copy Checkpoint Path'), onState.join(' | '));
    assert.ok(!onState.includes('Sample in Playground'), `offered on a training checkpoint: ${onState.join(' | ')}`);
  });

  it('Sample in Playground adds the sampler checkpoint as a compare column next to the model there; a training checkpoint is refused with the fix', async () => {
    const session = await api.playground();
    // What is there before: Model 1 a base model (an earlier suite may have left compare columns after it).
    await session.select({ base_model: BASE });
    const before = session.currentDraft?.targets ?? [];
    await vscode.commands.executeCommand('mint.runs.focus');
    await select('rt-sampler');
    await vscode.commands.executeCommand('mint.runs.sampleCheckpoint');
    const after = session.currentDraft?.targets ?? [];
    assert.deepEqual(after, [...before.slice(0, 3), { model_path: samplerPath }], 'not added as the last column, after what was there');
    const col = after.length - 1;
    // What the person sees: Model 1 kept, the new last picker shows the checkpoint by run and name, Sample compares.
    await ui.waitFor(
      async () =>
        (await ui.webviewQuery(`vscode-single-select[data-target="${col}"] .select-face .text`, PLAYGROUND)).some((t) =>
          t.includes('rt-sampler'),
        ),
      20_000,
      'the new playground model picker to show rt-sampler',
    );
    assert.ok(
      (await ui.webviewQuery('vscode-single-select[data-target="0"] .select-face .text', PLAYGROUND)).some((t) => t.includes(BASE)),
      'Model 1 was replaced on the page',
    );
    assert.ok((await ui.webviewQuery('[data-action="sample"]', PLAYGROUND)).some((t) => t.includes(`Compare ${after.length}`)));
    // Twice on the same checkpoint does not add a third column.
    await vscode.commands.executeCommand('mint.runs.focus');
    await select('rt-sampler');
    await vscode.commands.executeCommand('mint.runs.sampleCheckpoint');
    assert.deepEqual(session.currentDraft?.targets, after);

    await vscode.commands.executeCommand('mint.runs.focus');
    await select('rt-state');
    await vscode.commands.executeCommand('mint.runs.sampleCheckpoint');
    const refusal = await ui.waitForNotification('is a training checkpoint');
    assert.ok(refusal.message.includes(statePath) && refusal.message.includes('save_weights_for_sampler'), refusal.message);
    assert.deepEqual(session.currentDraft?.targets, after, 'the refused checkpoint must not be selected');
  });

  it('Delete Checkpoint asks in a modal dialog naming the path, then deletes it and the tree drops it', async () => {
    await select('rt-state');
    const deleting = vscode.commands.executeCommand('mint.runs.deleteCheckpoint');
    const dialog = await ui.waitFor(
      async () => (await ui.query('.monaco-dialog-box')).find((t) => t.includes(statePath)),
      10_000,
      'the modal confirmation',
    );
    assert.ok(dialog.includes('cannot be undone'), dialog);
    await ui.click('.monaco-dialog-box .monaco-button', 'Delete');
    await deleting;
    await ui.waitFor(noRowWith('rt-state'), 15_000, 'rt-state to leave the tree');
    assert.ok(await rowWith('rt-sampler')(), 'the other checkpoint stays');
    const deletes = (await emu.requests(100)).filter((r) => r.method === 'DELETE' && r.path.includes('/checkpoints/weights/rt-state'));
    assert.equal(deletes.length, 1);
    assert.equal(deletes[0]!.status, 200);
  });

  it('a server without the runs route gets an explanatory item; the toast only on an explicit refresh', async () => {
    await emu.fault({ route: '/api/v1/training_runs', method: 'GET', status: 404, body: { detail: 'Not Found' }, times: -1 });
    try {
      await vscode.commands.executeCommand('mint.runs.refresh');
      const item = await ui.waitFor(rowWith('does not support listing training runs'), 10_000, 'the not-supported item');
      assert.ok(item.includes('the rest keeps working'), item);
      assert.ok(await noRowWith('rt-sampler')(), 'the runs of the last load must not stay listed as if current');
      await ui.waitForNotification('does not support listing training runs');

      // A background reload (the client was rebuilt) logs, but raises no notification.
      await clearNotifications();
      const before = (await emu.requests(200)).filter((r) => r.path === '/api/v1/training_runs').length;
      api.services.clients.invalidate('runs tree test');
      await ui.waitFor(
        async () => (await emu.requests(200)).filter((r) => r.path === '/api/v1/training_runs').length > before,
        10_000,
        'the background reload',
      );
      await ui.waitFor(rowWith('does not support listing training runs'), 10_000, 'the not-supported item again');
      await sleep(800);
      assert.deepEqual(
        (await ui.notifications()).map((n) => n.message),
        [],
      );
      assert.ok((await readMintLog(api)).includes('training runs view: listing training runs'), 'the background failure is logged');
    } finally {
      await emu.clearFaults();
    }
  });

  it('an unreachable server and no server at all each say what to do', async () => {
    await configure({ baseUrl: 'http://127.0.0.1:9' });
    const offline = await ui.waitFor(rowWith('offline or unreachable'), 15_000, 'the offline item');
    assert.ok(offline.includes('127.0.0.1:9'), offline);
    if (!process.env.MINT_BASE_URL && !process.env.TINKER_BASE_URL) {
      await configure({ baseUrl: undefined });
      await ui.waitFor(rowWith('No MinT server chosen'), 15_000, 'the no-server item');
    }
    // No toast check here: the playground, open in the same sidebar, reports its own failed reload.
    const log = await readMintLog(api);
    assert.ok(
      log.includes('training runs view: listing training runs from offset 0 failed (APIConnectionError)'),
      'the background failure is logged by the tree',
    );
    assert.ok(!log.includes(TEST_KEY), 'the key is in the log');

    await configure({ baseUrl: emu.url });
    await ui.waitFor(rowWith(shortRunId(runId)), 15_000, 'the runs back once the server is');
  });

  it('loads 20 runs at a time: "Load more…" fetches the next page', async () => {
    const client = new ServiceClient({ baseUrl: emu.url, apiKey: TEST_KEY, heartbeatIntervalMs: 0, env: {} });
    try {
      for (let i = 0; i < 20; i++) await client.createLoraTrainingClient({ base_model: BASE, rank: 1 });
    } finally {
      await client.close();
    }
    await vscode.commands.executeCommand('mint.runs.refresh');
    await vscode.commands.executeCommand('workbench.actions.treeView.mint.runs.collapseAll');
    // 22 runs and the pane holds fewer rows: go to the end as a person scrolls there. The refresh
    // loads asynchronously, so focus and End again until the list has arrived (once raced in CI).
    const more = await ui.waitFor(
      async () => {
        await vscode.commands.executeCommand('mint.runs.focus');
        await ui.pressKeys('End');
        return rowWith('Load more')();
      },
      15_000,
      'the "Load more…" row',
      500,
    );
    assert.ok(more.includes('20 of 22 shown'), more);
    // The oldest run is on the second page: not listed yet, though the list is at its end.
    assert.equal(await rowWith(shortRunId(emptyRunId))(), undefined);
    const pages = () => emu.requests(500).then((rs) => rs.filter((r) => r.path === '/api/v1/training_runs').length);
    const before = await pages();
    await ui.click(ROWS, 'Load more');
    await ui.waitFor(async () => (await pages()) > before, 10_000, 'the second page request');
    const oldest = rowWith(shortRunId(emptyRunId));
    await ui.waitFor(
      async () => {
        // The clicked row is gone with the new page, and focus with it: back to the list's end.
        await vscode.commands.executeCommand('mint.runs.focus');
        await ui.pressKeys('End');
        return oldest();
      },
      10_000,
      'the oldest run at the end of the list',
      500,
    );
    assert.ok(await noRowWith('Load more')(), '"Load more…" stays although all 22 runs are listed');
    const paged = (await emu.requests(500)).filter((r) => r.path === '/api/v1/training_runs').slice(-2);
    assert.ok(
      paged.every((r) => r.status === 200),
      JSON.stringify(paged),
    );
  });
});
