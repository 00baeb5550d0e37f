/**
 * Fine-tuning against the emulator in this process, over real HTTP: a 40-row chat dataset trains to
 * completion with its loss falling; a cancel and a failure both resume from the last saved state
 * with no step lost or duplicated in the books; the run folder is tinker-cookbook's layout.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MintTokenizer } from '../../../src/mint/tokenizer';
import type { ServiceClient } from '../../../src/mint/index';
import { FineTuneDataError, FineTuneResumeMismatchError, fineTune, type FineTuneProgress } from '../../../src/finetune/train';
import { RunFolderBusyError, finalMetricsView, parseJsonLines, readRunFolder, type MetricsRow } from '../../../src/finetune/runFolder';
import type { FineTuneConfig } from '../../../src/finetune/config';
import { useTestServer, type TestServer } from '../client/support';
import { BASE_MODEL, chatRows, qwen3 } from './support';

// 40 rows, batch 8, 4 epochs: 20 steps; state every 5.
const CONFIG: FineTuneConfig = {
  baseModel: BASE_MODEL,
  loraRank: 8,
  batchSize: 8,
  epochs: 4,
  learningRate: 1e-2,
  lrSchedule: 'constant',
  checkpointEvery: 5,
  seed: 3,
};

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('finetune against the emulator', function () {
  this.timeout(60_000);
  let server: TestServer;
  let client: ServiceClient;
  let tok: MintTokenizer;
  let runDir: string;
  useTestServer((t) => ({ server, client } = t));
  before(async function () {
    tok = await qwen3();
  });
  beforeEach(function () {
    runDir = join(mkdtempSync(join(tmpdir(), 'mint-ft-')), 'run');
  });
  afterEach(function () {
    rmSync(join(runDir, '..'), { recursive: true, force: true });
  });

  const steps = (rows: readonly MetricsRow[]) => rows.map((r) => r.step);
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

  it('fine-tunes a 40-row chat dataset to completion: loss falls, checkpoints at the interval and a final sampler checkpoint the emulator samples', async function () {
    const rows = chatRows(40);
    const progress: FineTuneProgress[] = [];
    const res = await fineTune({
      service: client,
      tokenizer: tok,
      rows,
      config: CONFIG,
      runDir,
      dataset: { path: '/data/capitals.jsonl', sha256: 'f'.repeat(64) },
      onProgress: (p) => progress.push(p),
    });
    assert.equal(res.status, 'completed', JSON.stringify(res.error));
    assert.equal(res.steps, 20);
    assert.equal(res.totalSteps, 20);
    assert.equal(res.resumedFrom, undefined);
    assert.deepEqual(res.data?.train.skipped, {});

    const { config, run, metrics, checkpoints } = await readRunFolder(runDir);
    // metrics.jsonl: one row per step, the cookbook's SL keys.
    assert.deepEqual(steps(metrics), range(1, 20));
    for (const key of [
      'step',
      'epoch',
      'train_mean_nll',
      'learning_rate',
      'num_sequences',
      'num_tokens',
      'num_loss_tokens',
      'progress',
      'step_time_seconds',
      'tokens_per_second',
    ]) {
      assert.ok(
        metrics.every((m) => typeof m[key] === 'number' && Number.isFinite(m[key])),
        `${key} missing or not finite`,
      );
    }
    assert.deepEqual([metrics[0]!.epoch, metrics[4]!.epoch, metrics[5]!.epoch, metrics[19]!.epoch], [0, 0, 1, 3]);
    assert.equal(metrics[19]!.progress, 1);
    assert.ok(metrics.every((m) => m.num_sequences === 8 && m.num_loss_tokens > 0 && m.num_loss_tokens < m.num_tokens));
    const first = mean(metrics.slice(0, 3).map((m) => m.train_mean_nll!));
    const last = mean(metrics.slice(-3).map((m) => m.train_mean_nll!));
    assert.ok(last < first * 0.85, `loss did not fall: first steps ${first.toFixed(3)}, last steps ${last.toFixed(3)}`);

    // checkpoints.jsonl: states at 5, 10, 15, then final with a sampler path.
    assert.deepEqual(
      checkpoints.map((c) => [c.name, c.step, c.final]),
      [
        ['000005', 5, false],
        ['000010', 10, false],
        ['000015', 15, false],
        ['final', 20, true],
      ],
    );
    assert.ok(checkpoints.every((c) => /^mint:\/\/.+\/weights\//.test(c.state_path!)));
    const final = checkpoints[3]!;
    assert.match(final.sampler_path!, /^mint:\/\/.+\/sampler_weights\/final$/);
    assert.equal(res.lastSamplerPath, final.sampler_path);
    const sampler = await client.createSamplingClient({ model_path: final.sampler_path! });
    const prompt = tok.encode(tok.renderChat([{ role: 'user', content: 'What is the capital of Peru?' }]), { addSpecialTokens: false });
    const out = await sampler.sample({
      prompt: { chunks: [{ type: 'encoded_text', tokens: prompt }] },
      sampling_params: { max_tokens: 8, seed: 1 },
    });
    assert.ok(out.sequences[0]!.tokens.length > 0);

    // config.json and run.json.
    assert.equal(config!.base_model, BASE_MODEL);
    assert.equal(config!.lora_rank, 8);
    assert.equal(config!.batch_size, 8);
    assert.equal(config!.total_steps, 20);
    assert.deepEqual(config!.dataset, { path: '/data/capitals.jsonl', sha256: 'f'.repeat(64), rows: 40, train_rows: 40, eval_rows: 0 });
    assert.equal(config!.server_url, new URL(server.url).toString());
    assert.ok(!JSON.stringify(config).includes('SECRET'), 'config.json must not hold the key');
    assert.equal(run!.status, 'completed');
    assert.equal(run!.base_model, BASE_MODEL);
    assert.equal(run!.step, 20);
    assert.equal(run!.training_run_id, res.trainingRunId);
    assert.ok(run!.started_at && run!.updated_at && run!.finished_at);
    assert.ok(!existsSync(join(runDir, 'run.lock')), 'the lock is released');

    // Progress: every step once, in order, ending with done.
    assert.deepEqual(
      progress.filter((p) => p.phase === 'training').map((p) => p.step),
      range(1, 20),
    );
    assert.equal(progress[progress.length - 1]!.phase, 'done');
    assert.match(progress[progress.length - 1]!.message, /Compare with the base model in the Playground/);

    // A second call on the completed folder does nothing.
    await server.clearRequests();
    const again = await fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    assert.equal(again.status, 'completed');
    assert.equal(again.lastSamplerPath, final.sampler_path);
    assert.equal((await server.requestsTo('forward_backward')).length, 0);
  });

  it('holds out an eval split and logs test/nll at the interval and at the end', async function () {
    const res = await fineTune({
      service: client,
      tokenizer: tok,
      rows: chatRows(48),
      config: { ...CONFIG, evalSplit: 8, evalEvery: 4, epochs: 2, checkpointEvery: 0 },
      runDir,
    });
    assert.equal(res.status, 'completed', JSON.stringify(res.error));
    assert.equal(res.data?.eval.examples, 8);
    const { metrics, checkpoints, config } = await readRunFolder(runDir);
    assert.deepEqual(steps(metrics), range(1, 10));
    assert.deepEqual(
      metrics.filter((m) => m['test/nll'] !== undefined).map((m) => m.step),
      [4, 8, 10],
    );
    const t = metrics.filter((m) => m['test/nll'] !== undefined).map((m) => m['test/nll']!);
    assert.ok(t[2]! < t[0]!, `test NLL did not fall: ${t.join(', ')}`);
    assert.deepEqual((config!.dataset as { eval_rows: number }).eval_rows, 8);
    assert.deepEqual(
      checkpoints.map((c) => c.name),
      ['final'],
    );
    // forward (no backward) for eval: three evaluations of 8 rows.
    const fwd = await server.requestsTo('/api/v1/forward');
    assert.equal(fwd.length, 3);
  });

  it('cancel after step 7, then resume: continues from the saved step 7 with its optimizer state, no step duplicated, 20 in all', async function () {
    const rows = chatRows(40);
    const ac = new AbortController();
    const res = await fineTune({
      service: client,
      tokenizer: tok,
      rows,
      config: CONFIG,
      runDir,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'training' && p.step === 7) ac.abort();
      },
    });
    assert.equal(res.status, 'cancelled');
    assert.equal(res.steps, 7);
    let folder = await readRunFolder(runDir);
    assert.equal(folder.run!.status, 'cancelled');
    assert.deepEqual(steps(folder.metrics), range(1, 7));
    // The cancel saved what ran since the step-5 checkpoint, so a resume loses nothing.
    assert.deepEqual(
      folder.checkpoints.map((c) => [c.name, c.step]),
      [
        ['000005', 5],
        ['000007', 7],
      ],
    );
    const saved7 = folder.checkpoints[1]!.state_path!;

    await server.clearRequests();
    const resumed = await fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    assert.equal(resumed.status, 'completed', JSON.stringify(resumed.error));
    assert.equal(resumed.resumedFrom, 7);
    assert.equal(resumed.steps, 20);
    const loads = await server.requestsTo('load_weights');
    assert.equal(loads.length, 1);
    assert.deepEqual([(loads[0]!.body as any).path, (loads[0]!.body as any).optimizer], [saved7, true]);
    assert.equal((await server.requestsTo('forward_backward')).length, 13, 'steps 8..20 only');

    folder = await readRunFolder(runDir);
    const raw = parseJsonLines<MetricsRow>(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8'));
    assert.deepEqual(steps(raw), range(1, 20), 'metrics.jsonl itself has each step once');
    assert.deepEqual(steps(finalMetricsView(raw)), range(1, 20));
    assert.equal(raw[7]!.resumed_from, 7);
    assert.equal(raw.filter((r) => r.resumed_from !== undefined).length, 1);
    assert.equal(folder.run!.status, 'completed');
    assert.equal(folder.run!.resumed_from!.step, 7);
    assert.deepEqual(folder.run!.resumed_from!.superseded_steps, []);
    assert.equal(folder.run!.resumed_from!.previous_status, 'cancelled');
    assert.equal(folder.run!.training_run_ids!.length, 2, 'the resume trained in a new run from the saved state');
    assert.deepEqual(
      folder.checkpoints.map((c) => [c.name, c.step, c.final]),
      [
        ['000005', 5, false],
        ['000007', 7, false],
        ['000010', 10, false],
        ['000015', 15, false],
        ['final', 20, true],
      ],
    );
    assert.ok(!existsSync(join(runDir, 'metrics.superseded.jsonl')));
  });

  it('a forward_backward that may have been applied is not resent: run.json says failed with class and request id; the resume redoes the unsaved steps from the saved state', async function () {
    const rows = chatRows(40);
    // Step 7's forward_backward gets a 500: MinT may or may not have run it.
    await server.fault({ route: '/api/v1/forward_backward', method: 'POST', skip: 6, times: 1, status: 500 });
    const res = await fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    assert.equal(res.status, 'failed');
    assert.equal(res.steps, 6);
    assert.equal((await server.requestsTo('forward_backward')).length, 7, 'the ambiguous op was not resent');
    const failed = await readRunFolder(runDir);
    assert.equal(failed.run!.status, 'failed');
    assert.equal(failed.run!.error!.class, 'InternalServerError');
    assert.match(failed.run!.error!.request_id!, /^[0-9a-f]{16,}$/);
    assert.equal(failed.run!.error!.may_have_been_applied, true);
    assert.equal(failed.run!.error!.training_op, 'forward_backward');
    assert.equal(failed.run!.error!.step, 7);
    assert.deepEqual(steps(failed.metrics), range(1, 6));
    assert.deepEqual(
      failed.checkpoints.map((c) => c.step),
      [5],
      'nothing is saved after an ambiguous failure',
    );

    await server.clearRequests();
    const resumed = await fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    assert.equal(resumed.status, 'completed', JSON.stringify(resumed.error));
    assert.equal(resumed.resumedFrom, 5);
    assert.equal((await server.requestsTo('forward_backward')).length, 15, 'steps 6..20');
    const done = await readRunFolder(runDir);
    const raw = parseJsonLines<MetricsRow>(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8'));
    assert.deepEqual(steps(raw), range(1, 20), 'no step twice');
    assert.deepEqual(done.run!.resumed_from!.superseded_steps, [6], "step 6's row was superseded: it is redone from step 5's weights");
    assert.equal(done.run!.resumed_from!.previous_status, 'failed');
    assert.equal(done.run!.error, undefined, 'the error belongs to the earlier attempt');
    const aside = parseJsonLines<MetricsRow>(readFileSync(join(runDir, 'metrics.superseded.jsonl'), 'utf8'));
    assert.deepEqual(steps(aside), [6]);
    assert.equal(raw[5]!.resumed_from, 5);
  });

  it('a dropped reply (the op ran, the answer was lost) fails as APIConnectionError and also resumes', async function () {
    const rows = chatRows(40);
    await server.fault({ route: '/api/v1/optim_step', method: 'POST', skip: 11, times: 1, drop: 'after-handling' });
    const res = await fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    assert.equal(res.status, 'failed');
    assert.equal(res.error!.class, 'APIConnectionError');
    assert.equal(res.error!.training_op, 'optim_step');
    assert.equal(res.error!.step, 12);
    const resumed = await fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.resumedFrom, 10);
    assert.deepEqual(steps((await readRunFolder(runDir)).metrics), range(1, 20));
  });

  it('a window reload mid-run (run.json still "running", a dead process lock, a torn metrics line) resumes from the last saved state', async function () {
    const rows = chatRows(40);
    const ac = new AbortController();
    await fineTune({
      service: client,
      tokenizer: tok,
      rows,
      config: CONFIG,
      runDir,
      signal: ac.signal,
      onProgress: (p) => p.phase === 'training' && p.step === 8 && ac.abort(),
    });
    // Make it look like the extension host died after step 8, before any cancel save.
    const ckpts = readFileSync(join(runDir, 'checkpoints.jsonl'), 'utf8').split('\n');
    writeFileSync(join(runDir, 'checkpoints.jsonl'), `${ckpts[0]}\n`); // only step 5's state
    appendFileSync(join(runDir, 'metrics.jsonl'), '{"step": 9, "train_mean');
    const run = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ ...run, status: 'running' }));
    writeFileSync(join(runDir, 'run.lock'), JSON.stringify({ pid: 2 ** 22 + 4321, at: 'before the reload' }));

    const resumed = await fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    assert.equal(resumed.status, 'completed', JSON.stringify(resumed.error));
    assert.equal(resumed.resumedFrom, 5);
    const done = await readRunFolder(runDir);
    assert.deepEqual(done.run!.resumed_from!.superseded_steps, [6, 7, 8]);
    assert.equal(done.run!.resumed_from!.previous_status, 'running');
    const raw = parseJsonLines<MetricsRow>(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8'));
    assert.deepEqual(steps(raw), range(1, 20));
    assert.ok(
      readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
        .split('\n')
        .every((l) => l === '' || l.endsWith('}')),
    );
  });

  it('a cancel before any state was saved resumes from the base model', async function () {
    const rows = chatRows(40);
    const ac = new AbortController();
    const res = await fineTune({
      service: client,
      tokenizer: tok,
      rows,
      config: { ...CONFIG, checkpointEvery: 0 },
      runDir,
      signal: ac.signal,
      onProgress: (p) => p.phase === 'starting' && ac.abort(),
    });
    assert.equal(res.status, 'cancelled');
    assert.equal(res.steps, 0);
    assert.equal((await readRunFolder(runDir)).run!.status, 'cancelled');
    const resumed = await fineTune({ service: client, tokenizer: tok, rows, config: { ...CONFIG, checkpointEvery: 0 }, runDir });
    assert.equal(resumed.status, 'completed');
    assert.equal(resumed.resumedFrom, 0);
    assert.equal((await server.requestsTo('load_weights')).length, 0);
  });

  it('a row that only fails when rendered (its reply past maxLength) is left out of its batch, counted and logged', async function () {
    const rows: unknown[] = chatRows(40);
    const long = (i: number) => ({
      messages: [
        { role: 'user', content: `Summarise this: ${'lorem ipsum dolor sit amet '.repeat(40)}` },
        { role: 'assistant', content: `Summary ${i}.` },
      ],
    });
    rows[3] = long(3);
    rows[17] = long(17);
    rows[30] = long(30);
    const logs: string[] = [];
    const res = await fineTune({
      service: client,
      tokenizer: tok,
      rows,
      config: { ...CONFIG, epochs: 2, maxLength: 128, checkpointEvery: 0 },
      runDir,
      onLog: (l) => logs.push(l),
    });
    assert.equal(res.status, 'completed', JSON.stringify(res.error));
    assert.equal(res.steps, 10, 'the plan is over the 40 rows that pass the cheap check');
    const { metrics, run } = await readRunFolder(runDir);
    assert.equal(
      metrics.reduce((a, m) => a + m.num_sequences, 0),
      2 * 37,
    );
    assert.ok(metrics.some((m) => m.num_sequences === 7));
    const reason = 'no assistant tokens within the first 128 tokens';
    assert.equal(res.data!.train.skipped[reason]!.count, 3, 'each row is rendered once, whatever the epochs');
    assert.deepEqual(
      [...(run!.data as any).train.skipped[reason].rows].sort((a: number, b: number) => a - b),
      [3, 17, 30],
      'run.json keeps the data stats',
    );
    assert.ok(logs.some((l) => /Step \d+: 1 row\(s\) of its batch could not be trained/.test(l)));

    // A batch with nothing trainable left is a skipped step: no update, a row saying so.
    const dir2 = `${runDir}-2`;
    const tiny = await fineTune({
      service: client,
      tokenizer: tok,
      rows: [...chatRows(3), long(9)],
      config: { ...CONFIG, batchSize: 1, epochs: 1, maxLength: 128, checkpointEvery: 0 },
      runDir: dir2,
    });
    assert.equal(tiny.status, 'completed', JSON.stringify(tiny.error));
    const m2 = (await readRunFolder(dir2)).metrics;
    assert.deepEqual(steps(m2), [1, 2, 3, 4]);
    const skipped = m2.filter((m) => m.num_sequences === 0);
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0]!.train_mean_nll, null);
    rmSync(dir2, { recursive: true, force: true });
  });

  it('refuses to resume a folder holding other data or settings, and a folder in use', async function () {
    const rows = chatRows(40);
    const ac = new AbortController();
    const first = await fineTune({
      service: client,
      tokenizer: tok,
      rows,
      config: CONFIG,
      runDir,
      signal: ac.signal,
      onProgress: (p) => p.step === 1 && ac.abort(),
    });
    assert.equal(first.status, 'cancelled');
    await assert.rejects(
      fineTune({ service: client, tokenizer: tok, rows, config: { ...CONFIG, batchSize: 4 }, runDir }),
      (e: unknown) => e instanceof FineTuneResumeMismatchError && /batch_size: 8 then, 4 now/.test(e.message),
    );
    await assert.rejects(
      fineTune({ service: client, tokenizer: tok, rows: rows.slice(1), config: CONFIG, runDir }),
      (e: unknown) => e instanceof FineTuneResumeMismatchError && /the rows changed/.test(e.message),
    );
    const running = fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir });
    await assert.rejects(fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir }), RunFolderBusyError);
    assert.equal((await running).status, 'completed');
  });

  it('refuses rows that give no full batch, before creating anything', async function () {
    const rows = [...chatRows(5), { messages: [{ role: 'user', content: 'no reply' }] }];
    await assert.rejects(
      fineTune({ service: client, tokenizer: tok, rows, config: CONFIG, runDir }),
      (e: unknown) =>
        e instanceof FineTuneDataError && /Only 5 of 6 training rows can be trained, fewer than one batch of 8/.test(e.message),
    );
    assert.equal((await server.requestsTo('create_model')).length, 0);
    assert.ok(!existsSync(join(runDir, 'run.json')));
  });
});
