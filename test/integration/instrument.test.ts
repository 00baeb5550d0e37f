// The playground as an instrument in a real VS Code (code-server + Chromium), driven through its
// webview against a MinT emulator on 127.0.0.1: a fan-out of 32 per target with its outcome
// distribution, alternatives for generated tokens from one scoring request, a branch continued
// from an alternative token, a scored completion under two targets, and a shared run reopened.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { startEmulator } from '../../src/emulator/index';
import { EmulatorControl } from '../support/emulatorControl';
import { Datum, ModelInput, ServiceClient } from '../../src/mint/index';
import { loadTokenizer, type MintTokenizer } from '../../src/mint/tokenizer';
import { DEFAULT_PARAMS, type Draft, type HostReply, type Run } from '../../src/shared/playground';
import type { MintExtensionApi } from '../../src/extension';
import type { PlaygroundSession } from '../../src/vscode/playground/session';
import { readMintLog } from './mintHarness';
import { ui } from './bridge';

const root = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { publisher: string; name: string };
const KEY = 'sk-mint-instrument-SECRET-51c0ffee9a';
const BASE = 'Qwen/Qwen3-0.6B';
const W = { frameContains: 'Parameters' };
const q = (sel: string) => ui.webviewQuery(sel, W);
const click = (sel: string) => ui.webviewClick(sel, W);
const fill = (sel: string, value: string) => ui.webviewFill(sel, value, W);
const count = async (sel: string) => (await q(sel)).length;

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type SampleBody = {
  prompt: { chunks: Array<{ tokens: number[] }> };
  num_samples: number;
  sampling_params: { max_tokens: number };
  prompt_logprobs?: boolean;
  topk_prompt_logprobs?: number;
  model_path?: string;
  sampling_session_id?: string;
};

describe('playground as an instrument: fan-out, alternatives, branches, scores, sharing (real VS Code, emulator)', function () {
  this.timeout(180_000);
  let emu: Emulator;
  let ctl: EmulatorControl;
  let api: MintExtensionApi;
  let session: PlaygroundSession;
  let tok: MintTokenizer;
  let checkpoint: string;
  let previousKey: string | undefined;
  let draftBefore: Draft | undefined;
  const PROMPT = 'The sky is';

  const sampleBodies = async (): Promise<SampleBody[]> => (await ctl.requestsTo('/api/v1/asample')).map((r) => r.body as SampleBody);
  const latestRun = (): Run => session.snapshot().recent[0]!;
  const runDone = (id: string) => {
    const r = session.snapshot().recent.find((x) => x.id === id);
    return r && r.outcomes.every((o) => o.status === 'done') ? r : undefined;
  };

  before(async function () {
    // Every test here drives the playground page itself: without the UI bridge (a bare
    // @vscode/test-electron run) there is nothing to drive.
    if (!ui.available) this.skip();
    emu = await startEmulator({ host: '127.0.0.1', port: 0, faults: true, apiKey: KEY, log: () => undefined });
    ctl = new EmulatorControl(emu.url);
    const ext = vscode.extensions.getExtension(`${manifest.publisher}.${manifest.name}`);
    assert.ok(ext);
    api = (await ext.activate()) as MintExtensionApi;
    previousKey = await api.services.context.secrets.get('mint.apiKey');
    await api.services.keys.store(KEY);
    api.services.clients.useEmulator(emu.url);
    tok = await loadTokenizer(BASE, { bundledDir: join(root, 'dist/tokenizers'), hub: false });
    // A checkpoint that learned "The sky is green.": the fine-tune moved its probabilities.
    const client = new ServiceClient({ baseUrl: emu.url, apiKey: KEY, heartbeatIntervalMs: 0, env: {} });
    try {
      const trainer = await client.createLoraTrainingClient({ base_model: BASE, rank: 4, seed: 3 });
      const ids = tok.encode(' The sky is green. The sky is green. The sky is green.');
      const d = Datum.from({ model_input: ids.slice(0, -1), loss_fn_inputs: { target_tokens: ids.slice(1) } });
      for (let i = 0; i < 6; i++)
        await Promise.all([trainer.forwardBackward([d], 'cross_entropy'), trainer.optimStep({ learning_rate: 0.05 })]);
      checkpoint = (await trainer.saveWeightsForSampler('instrument')).path;
    } finally {
      await client.close();
    }
    session = await api.playground();
    draftBefore = session.currentDraft;
  });

  after(async () => {
    // The form as the next suite expects it: one base model, chat, default parameters, sections closed.
    for (const open of ['details.params-box[open] summary', 'details.score-box[open] summary']) {
      if (ui.available && (await count(open).catch(() => 0))) await click(open).catch(() => undefined);
    }
    if (session) {
      const restore: Draft = {
        targets: [{ base_model: BASE }],
        prompt: { mode: 'chat', messages: draftBefore?.prompt.messages ?? [], text: '' },
        params: { ...DEFAULT_PARAMS },
        paramText: { max_tokens: '64', temperature: '0.7', num_samples: '1', topk_prompt_logprobs: '0' },
      };
      await session.restoreDraft(restore);
    }
    if (api) {
      if (previousKey) await api.services.keys.store(previousKey);
      else await api.services.keys.clear();
    }
    api?.services.clients.useEmulator(undefined);
    await vscode.commands.executeCommand('notifications.clearAll');
    await emu?.close();
  });

  it('fans out 32 samples per target, side by side: the distribution groups match the samples', async () => {
    await vscode.commands.executeCommand('mint.openPlayground');
    await ui.waitFor(() => count('[data-action="sample"]'), 20_000, 'the playground webview to render');
    await ui.waitFor(() => session.snapshot().models.length > 0, 20_000, 'the model list');
    await session.select({ base_model: BASE });
    await session.addTarget({ model_path: checkpoint });
    await ui.waitFor(async () => (await q('[data-action="sample"]'))[0]?.includes('Compare 2'), 10_000, 'the Compare 2 button');
    await click('vscode-radio[data-mode="raw"]');
    await ui.waitFor(() => count('vscode-textarea[data-prompt="raw"]'), 5_000, 'the raw prompt box');
    await fill('vscode-textarea[data-prompt="raw"] textarea', PROMPT);
    await click('details.params-box summary');
    // One token per answer, so answers repeat and the groups are worth reading.
    await fill('vscode-textfield[data-param="max_tokens"] input', '1');
    await fill('vscode-textfield[data-param="temperature"] input', '1');
    await fill('vscode-textfield[data-param="num_samples"] input', '32');
    await ui.waitFor(() => session.currentDraft?.params.num_samples === 32, 5_000, 'the draft to hold 32 samples');
    await ctl.clearRequests();
    await click('[data-action="sample"]');
    const run = await ui.waitFor(() => runDone(latestRun().id), 60_000, 'both columns of the fan-out');
    assert.equal(run.params.num_samples, 32);
    // One request per target, num_samples 32 each (MinT sets no cap on num_samples).
    const bodies = await sampleBodies();
    assert.equal(bodies.length, 2);
    assert.deepEqual(
      bodies.map((b) => b.num_samples),
      [32, 32],
    );
    for (const o of run.outcomes) assert.equal(o.samples!.length, 32);
    await ui.waitFor(() => count(`[data-run="${run.id}"] .dist-row`), 10_000, 'the distribution chart');
    // What the chart says, row by row: per target "k/n · lo–hi".
    const rows = await q(`[data-run="${run.id}"] .dist-row`);
    const keys = await q(`[data-run="${run.id}"] .dist-row .dist-key`);
    const lines = await q(`[data-run="${run.id}"] .dist-row .bar-line`);
    assert.equal(lines.length, rows.length * 2, 'one bar per target in every row');
    const answers = run.outcomes.map((o) => o.samples!.map((s) => s.text.replace(/\s+/g, ' ').trim() || '(no match)'));
    const sums = [0, 0];
    rows.forEach((_, r) => {
      const key = keys[r]!;
      for (let c = 0; c < 2; c++) {
        const m = /(\d+)\/(\d+)/.exec(lines[r * 2 + c]!);
        assert.ok(m, `bar text: ${lines[r * 2 + c]}`);
        assert.equal(Number(m[2]), 32);
        sums[c]! += Number(m[1]);
        if (!/^\(\d+ other answers\)$/.test(key) && !key.endsWith('…')) {
          assert.equal(Number(m[1]), answers[c]!.filter((a) => a === key).length, `row "${key}", target ${c}`);
        }
      }
    });
    assert.deepEqual(sums, [32, 32], 'every sample is counted once per target');
    assert.equal(await count(`[data-run="${run.id}"] .columns > [data-col="0"] .card.compact`), 32);
    // The checkpoint's most common answer: a click on its bar lists exactly that group's samples in its column.
    const top = keys.map((key, r) => ({ key, r, n: answers[1]!.filter((a) => a === key).length })).sort((a, b) => b.n - a.n)[0]!;
    assert.ok(top.n > 0);
    await click(`[data-run="${run.id}"] .dist-row:nth-child(${top.r + 1}) .bar-line[data-bar-col="1"]`);
    await ui.waitFor(
      async () => (await count(`[data-run="${run.id}"] .columns > [data-col="1"] .card.compact`)) === top.n,
      5_000,
      `${top.n} cards answering ${JSON.stringify(top.key)}`,
    );
    const [line] = await q(`[data-run="${run.id}"] .columns > [data-col="1"] .focus-line`);
    assert.match(line!, new RegExp(`^${top.n} of 32 samples answering`));
    await ui.screenshot('instrument-fan-out');
  });

  it('shows top-k alternatives for a generated token after one scoring request, which is in the MinT log', async () => {
    await click('[aria-label="Remove model 2"]');
    await ui.waitFor(async () => (await q('[data-action="sample"]'))[0] === 'Sample', 5_000, 'one model');
    await fill('vscode-textfield[data-param="max_tokens"] input', '8');
    await fill('vscode-textfield[data-param="num_samples"] input', '1');
    await fill('vscode-textfield[data-param="seed"] input', '4');
    await ui.waitFor(
      () => session.currentDraft?.params.num_samples === 1 && session.currentDraft.params.max_tokens === 8,
      5_000,
      'the draft',
    );
    await click('[data-action="sample"]');
    const run = await ui.waitFor(() => (latestRun().params.max_tokens === 8 ? runDone(latestRun().id) : undefined), 30_000, 'the sample');
    const sample = run.outcomes[0]!.samples![0]!;
    assert.equal(sample.tokens!.topk, undefined, 'no alternatives before they are asked for');
    await ctl.clearRequests();
    await click(`[data-run="${run.id}"] [data-action="alternatives"]`);
    const scored = await ui.waitFor(
      () => {
        const r = session.snapshot().recent.find((x) => x.id === run.id);
        return r?.outcomes[0]?.samples?.[0]?.score_request_id ? r : undefined;
      },
      30_000,
      'the alternatives',
    );
    const s = scored.outcomes[0]!.samples![0]!;
    // The scoring request: prompt + the sample's tokens, max_tokens 1, top-k prompt logprobs.
    const [scoring] = await sampleBodies();
    assert.ok(scoring);
    assert.deepEqual(scoring.prompt.chunks[0]!.tokens, [...tok.encode(PROMPT), ...s.tokens!.ids]);
    assert.equal(scoring.sampling_params.max_tokens, 1);
    assert.equal(scoring.prompt_logprobs, true);
    assert.equal(scoring.topk_prompt_logprobs, 5);
    const log = await readMintLog(api);
    assert.ok(log.includes(`[request id ${s.score_request_id!}]`), `the scoring request ${s.score_request_id} is not in the MinT log`);
    assert.ok(log.includes(`scoring request ${s.score_request_id!}`), 'the log does not say what the request was for');
    // On the page: the card says where they came from, and a token's menu lists them with its rank.
    await ui.waitFor(() => count(`[data-run="${run.id}"] [data-alts="scored"]`), 10_000, 'the card to show scored alternatives');
    await click(`[data-run="${run.id}"] .card .tk[data-i="2"]`);
    const menu = await ui.waitFor(async () => (await q('.tk-menu'))[0], 5_000, 'the token menu');
    const row = s.tokens!.topk![2]!;
    assert.equal(row.length, 5);
    const rank = row.findIndex(([id]) => id === s.tokens!.ids[2]) + 1;
    assert.match(menu, rank ? new RegExp(`rank ${rank} of top 5`) : /not in of top 5/);
    const alts = await q('.tk-menu [data-alt]');
    assert.equal(alts.length, row.filter(([id]) => id !== s.tokens!.ids[2]).length);
    assert.ok(alts[0]!.includes(JSON.stringify(row.find(([id]) => id !== s.tokens!.ids[2])![1])), `${alts[0]} vs ${JSON.stringify(row)}`);
    await ui.screenshot('instrument-alternatives');
  });

  it('continues a branch from an alternative token: the prefix is exactly the original up to that token', async () => {
    const run = latestRun();
    const parent = run.outcomes[0]!.samples![0]!.tokens!;
    const at = 2;
    const alt = parent.topk![at]!.find(([id]) => id !== parent.ids[at])!;
    await ctl.clearRequests();
    // The menu is open on token 2 (previous test): choose the first alternative.
    await click('.tk-menu [data-alt]');
    const branch = await ui.waitFor(
      () => {
        const b = session.snapshot().recent.find((r) => r.id === run.id)?.outcomes[0]?.branches?.[0];
        return b && b.status !== 'pending' ? b : undefined;
      },
      30_000,
      'the branch',
    );
    assert.equal(branch.status, 'done', JSON.stringify(branch.error));
    assert.equal(branch.at, at);
    assert.equal(branch.token[0], alt[0]);
    const ids = branch.sample!.tokens!.ids;
    assert.deepEqual(ids.slice(0, at), parent.ids.slice(0, at), 'the kept prefix');
    assert.equal(ids[at], alt[0]);
    const [sent] = await sampleBodies();
    assert.deepEqual(sent!.prompt.chunks[0]!.tokens, [...tok.encode(PROMPT), ...parent.ids.slice(0, at), alt[0]]);
    // The page: the tree and the branch beside the original.
    await ui.waitFor(() => count(`[data-run="${run.id}"] .btree [data-branch]`), 10_000, 'the branch tree');
    const [now] = await q(`[data-run="${run.id}"] .branch-view [data-now]`);
    assert.equal(now, tok.decode(ids.slice(at)));
    assert.equal(await count(`[data-run="${run.id}"] .branch-view .tk.kept`), at);
    // Saved in the history with its run.
    await ui.waitFor(() => session.history.get(run.id)?.outcomes[0]?.branches?.[0]?.status === 'done', 5_000, 'the branch in the history');
    await ui.screenshot('instrument-branch');
  });

  it('a pending branch is cancelled from the tree: the request is aborted and the branch says so', async () => {
    const run = latestRun();
    await ctl.fault({ route: '/api/v1/asample', delayMs: 15_000, times: 1 });
    try {
      await click(`[data-run="${run.id}"] .card .tk[data-i="3"]`);
      await ui.waitFor(() => count('.tk-menu [data-branch-text]'), 5_000, 'the token menu');
      await fill('.tk-menu [data-branch-text]', ' sun');
      await click('.tk-menu [data-action="branch-text"]');
      await ui.waitFor(() => count(`[data-run="${run.id}"] [data-cancel-branch]`), 10_000, 'the pending branch with Cancel');
      const t0 = Date.now();
      await click(`[data-run="${run.id}"] [data-cancel-branch]`);
      const b = await ui.waitFor(
        () =>
          session
            .snapshot()
            .recent.find((r) => r.id === run.id)
            ?.outcomes[0]?.branches?.find((x) => x.token[1] === ' sun' && x.status !== 'pending'),
        10_000,
        'the branch to end',
      );
      assert.equal(b.status, 'cancelled');
      assert.ok(Date.now() - t0 < 8_000, `cancel took ${Date.now() - t0} ms`);
      await ui.waitFor(
        async () => (await q(`[data-run="${run.id}"] .btree`))[0]?.includes('cancelled'),
        5_000,
        'the tree to say cancelled',
      );
    } finally {
      await ctl.clearFaults();
    }
  });

  it("with Top-k generated set, uses the server's own generated-token top-k: no scoring request", async () => {
    await fill('vscode-textfield[data-param="topk_sample_logprobs"] input', '3');
    await ui.waitFor(() => session.currentDraft?.params.topk_sample_logprobs === 3, 5_000, 'the draft to hold Top-k generated 3');
    await ctl.clearRequests();
    const before = latestRun().id;
    await click('[data-action="sample"]');
    const run = await ui.waitFor(() => (latestRun().id !== before ? runDone(latestRun().id) : undefined), 30_000, 'the sample');
    const s = run.outcomes[0]!.samples![0]!;
    assert.equal(s.alts, 'server');
    assert.equal(s.tokens!.topk!.length, s.tokens!.ids.length);
    const bodies = (await ctl.requestsTo('/api/v1/asample')).map((r) => r.body as SampleBody & { topk_sample_logprobs?: number });
    assert.equal(bodies.length, 1, 'one request: the alternatives came with the sample');
    assert.equal(bodies[0]!.topk_sample_logprobs, 3);
    await ui.waitFor(() => count(`[data-run="${run.id}"] [data-alts="server"]`), 10_000, 'the card to say the server gave them');
    await fill('vscode-textfield[data-param="topk_sample_logprobs"] input', '');
  });

  it("scores a pasted completion under base and checkpoint: per-token values match the emulator's logprobs", async () => {
    await session.addTarget({ model_path: checkpoint });
    await ui.waitFor(async () => (await q('[data-action="sample"]'))[0]?.includes('Compare 2'), 10_000, 'Compare 2');
    const completion = ' green. The sky is green.';
    await click('details.score-box summary');
    await fill('[data-score-completion]', completion);
    await ctl.clearRequests();
    await click('[data-action="score"]');
    const run = await ui.waitFor(() => (latestRun().completion === completion ? runDone(latestRun().id) : undefined), 30_000, 'the scores');
    const ids = tok.encode(completion, { addSpecialTokens: false });
    const promptIds = tok.encode(PROMPT);
    // One scoring request per target, each max_tokens 1 over prompt + completion.
    const bodies = await sampleBodies();
    assert.equal(bodies.length, 2);
    for (const b of bodies) {
      assert.deepEqual(b.prompt.chunks[0]!.tokens, [...promptIds, ...ids]);
      assert.equal(b.sampling_params.max_tokens, 1);
    }
    // The emulator's own logprobs for the same tokens, asked directly for each target.
    const client = new ServiceClient({ baseUrl: emu.url, apiKey: KEY, heartbeatIntervalMs: 0, env: {} });
    try {
      for (const o of run.outcomes) {
        const sampler = await client.createSamplingClient(
          'base_model' in o.target ? { base_model: o.target.base_model } : { model_path: o.target.model_path },
        );
        const ref = await sampler.sample({
          prompt: ModelInput.fromInts([...promptIds, ...ids]),
          sampling_params: { max_tokens: 1 },
          prompt_logprobs: true,
        });
        const expected = ids.map((_, i) => ref.prompt_logprobs![promptIds.length + i]!);
        const got = o.samples![0]!.tokens!;
        assert.deepEqual(got.ids, ids);
        got.logprobs!.forEach((lp, i) =>
          assert.ok(Math.abs(lp! - expected[i]!) < 1e-9, `${JSON.stringify(o.target)} token ${i}: ${lp} vs ${expected[i]}`),
        );
        assert.ok(Math.abs(o.score!.total - expected.reduce((a, b) => a + b, 0)) < 1e-9);
      }
    } finally {
      await client.close();
    }
    // On the page: totals as computed, and the fine-tune's biggest moves listed.
    const totals = await ui.waitFor(
      async () => {
        const t = await q(`[data-run="${run.id}"] [data-score-total]`);
        return t.length === 2 ? t : undefined;
      },
      10_000,
      'the totals',
    );
    assert.deepEqual(
      totals,
      run.outcomes.map((o) => o.score!.total.toFixed(3)),
    );
    const spreads = (await q(`[data-run="${run.id}"] table[data-disagree] [data-spread]`)).map(Number);
    assert.ok(spreads.length > 0, 'no disagreement table');
    const lps = run.outcomes.map((o) => o.samples![0]!.tokens!.logprobs!);
    const maxSpread = Math.max(...ids.map((_, i) => Math.abs(lps[0]![i]! - lps[1]![i]!)));
    assert.equal(spreads[0]!.toFixed(3), maxSpread.toFixed(3));
    await ui.screenshot('instrument-score');
  });

  it('history: a search finds the branch text; a shared run reopens in a playground, with its branches, without the key', async () => {
    const branched = session.snapshot().recent.find((r) => r.outcomes[0]?.branches?.length)!;
    const branchText = branched.outcomes[0]!.branches![0]!.sample!.text;
    const word =
      branchText
        .split(/\s+/)
        .filter((w) => w.length >= 3)
        .pop() ?? branchText.trim();
    const hits = session.history.search(word).map((h) => h.id);
    assert.ok(hits.includes(branched.id), `searching "${word}" does not find the branched run`);
    await fill('[data-history-search]', word);
    await ui.waitFor(async () => (await q('[data-history-count]'))[0]?.includes('match'), 10_000, 'the search result count');
    await ui.waitFor(() => count(`.history-row[data-id="${branched.id}"]`), 5_000, 'the branched run in the results');
    await click(`.history-row[data-id="${branched.id}"] [data-act="pin"]`);
    await ui.waitFor(
      () => session.history.list()[0]?.id === branched.id && session.history.list()[0]?.pinned,
      5_000,
      'the run pinned on top',
    );
    await fill('[data-history-search]', '');

    const dir = mkdtempSync(join(tmpdir(), 'mint-share-'));
    try {
      const file = vscode.Uri.file(join(dir, 'shared.mint-run.json'));
      const replies: HostReply[] = [];
      await session.shareRun(branched.id, (m) => replies.push(m), file);
      const text = readFileSync(file.fsPath, 'utf8');
      assert.ok(!text.includes(KEY), 'the key is in the shared file');
      assert.ok(!text.includes(emu.url) && !text.includes('127.0.0.1'), 'the server URL is in the shared file');
      const opened = await session.importRun(file, (m) => replies.push(m));
      assert.ok(opened, JSON.stringify(replies));
      assert.notEqual(opened.id, branched.id);
      assert.deepEqual(opened.outcomes[0]!.branches, branched.outcomes[0]!.branches);
      await ui.waitFor(() => count(`[data-run="${opened.id}"] .btree [data-branch]`), 10_000, 'the opened run with its branch tree');
      // The same file through the palette command (Explorer: right-click a .mint-run.json).
      const before = session.history.list().length;
      await vscode.commands.executeCommand('mint.openSharedRun', file);
      assert.equal(session.history.list().length, before + 1, 'MinT: Open Shared Playground Run added the run to the history');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the heat scale is a setting: changing mint.playground.heatScale recolours every page, and the legend toggle writes it', async () => {
    const config = () => vscode.workspace.getConfiguration('mint');
    try {
      await config().update('playground.heatScale', 'surprisal', vscode.ConfigurationTarget.Global);
      await ui.waitFor(
        async () => (await count('[data-legend="surprisal"]')) > 0 && (await count('[data-legend="probability"]')) === 0,
        10_000,
        'every legend on surprisal',
      );
      await ui.webviewClick('[data-action="heat-scale"]', W);
      await ui.waitFor(() => config().get('playground.heatScale') === 'probability', 10_000, 'the toggle written to the setting');
      await ui.waitFor(
        async () => (await count('[data-legend="probability"]')) > 0 && (await count('[data-legend="surprisal"]')) === 0,
        10_000,
        'every legend back on probability',
      );
    } finally {
      await config().update('playground.heatScale', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
