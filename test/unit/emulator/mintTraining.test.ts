import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Emulator } from '../../../src/emulator/index';
import { datum, get, op, post, prompt, result, sample, samplingSession, session, trainingModel, withEmulator } from './helpers';

/** Rows 1-7, 19, 20 and 23 of mint-server-facts.md: training as the real MinT server runs it. */

const DATA = [datum([785, 5426, 374, 3309, 1573])];
const fb = (model_id: string, seq_id?: number, data: unknown[] = DATA, loss_fn = 'cross_entropy') => ({
  model_id,
  seq_id,
  forward_backward_input: { data, loss_fn },
});
const adam = { learning_rate: 0.02 };

async function submit(base: string, route: string, body: Record<string, unknown>): Promise<string> {
  const r = await post(base, `/api/v1/${route}`, body);
  assert.equal(r.status, 200, `${route}: ${r.text}`);
  return r.json.request_id as string;
}

describe('emulator: training as MinT runs it', function () {
  let emu: Emulator;
  let base: string;
  const config = (c: Record<string, unknown>) => post(base, '/_emulator/config', c);
  before(async () => {
    emu = await withEmulator();
    base = emu.url;
  });
  afterEach(() => config({ latencyMs: 0, longPollMs: 2_000, heartbeatStaleMs: 300_000, saveWeightsAsSampler: false }));
  after(() => emu.close());

  it('never waits on a seq_id gap: after a 422, a 404 and a cancel, the next op runs at once', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    const noWeights = datum([1, 2, 3]);
    delete (noWeights.loss_fn_inputs as Record<string, unknown>)['weights'];
    assert.equal((await post(base, '/api/v1/forward_backward', fb(id, 1, [noWeights]))).status, 422);
    assert.equal((await post(base, '/api/v1/forward_backward', fb(`${id}x`, 2))).status, 404);
    await config({ latencyMs: 200 });
    const running = await submit(base, 'forward_backward', fb(id, 3));
    const doomed = await submit(base, 'optim_step', { model_id: id, seq_id: 4, adam_params: adam });
    assert.equal((await post(base, '/api/v1/cancel_future', { request_id: doomed })).json.cancelled, true);
    // seq_ids 1, 2 and 4 never ran; 5 runs right after 3, as MinT's FIFO does.
    const next = await submit(base, 'optim_step', { model_id: id, seq_id: 5, adam_params: adam });
    const t0 = performance.now();
    const out = await result(base, next);
    assert.ok(performance.now() - t0 < 1_500, 'no wait for the missing seq_ids');
    assert.ok(out.metrics['grad_norm:mean'] > 0, 'it ran after forward_backward 3, so it saw its gradient');
    assert.ok((await result(base, running)).metrics['loss:mean'] > 0);
  });

  it("runs a model's ops in arrival order, whatever their seq_ids say", async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    await config({ latencyMs: 50 });
    // seq 2 arrives first and runs first: it finds no gradient yet.
    const step = await submit(base, 'optim_step', { model_id: id, seq_id: 2, adam_params: adam });
    const gradPost = await post(base, '/api/v1/forward_backward', fb(id, 1));
    assert.deepEqual(Object.keys(gradPost.json), ['request_id'], 'MinT answers {request_id} only');
    const grad = gradPost.json.request_id as string;
    assert.equal((await result(base, step)).metrics['grad_norm:mean'], 0);
    assert.ok((await result(base, grad)).metrics['loss:mean'] > 0);
  });

  it('does not deduplicate: a resent forward_backward runs again and doubles the gradient; old seq_ids are fine', async () => {
    const s = await session(base);
    const once = await trainingModel(base, s, 0, 8, 5);
    const twice = await trainingModel(base, s, 1, 8, 5);
    await op(base, 'forward_backward', fb(once, 1));
    const first = await submit(base, 'forward_backward', fb(twice, 1));
    const resent = await submit(base, 'forward_backward', fb(twice, 1));
    assert.notEqual(first, resent, 'each POST gets its own request id');
    await result(base, first);
    await result(base, resent);
    const n1 = (await op(base, 'optim_step', { model_id: once, seq_id: 2, adam_params: adam })).metrics['grad_norm:mean'];
    const n2 = (await op(base, 'optim_step', { model_id: twice, seq_id: 0, adam_params: adam })).metrics['grad_norm:mean'];
    assert.ok(Math.abs(n2 - 2 * n1) < 1e-9 * n1, `gradient applied twice: ${n1} vs ${n2}`);
  });

  it('validates as MinT does: 422 weights before 404 model; /forward needs no weights; loss_fn and RL inputs fail the future', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    const bare = datum([785, 5426, 374]);
    delete (bare.loss_fn_inputs as Record<string, unknown>)['weights'];
    const both = await post(base, '/api/v1/forward_backward', fb('no-such-model', 1, [bare]));
    assert.deepEqual([both.status, both.json], [422, { detail: 'Item 0 missing loss_mask/mask/weights' }]);
    const fwd = await op(base, 'forward', { model_id: id, forward_input: { data: [bare], loss_fn: 'cross_entropy' } });
    assert.equal(fwd.loss_fn_outputs[0].logprobs.data.length, 2);
    assert.equal(fwd.metrics['num_tokens:sum'], 2, 'without weights every position counts');

    const custom = await op(base, 'forward_backward', fb(id, 1, DATA, 'my_custom_loss'));
    assert.equal(custom.category, 'system');
    assert.match(
      custom.error,
      /^Unknown loss_fn 'my_custom_loss': this server implements cross_entropy, importance_sampling, ppo, cispo, dro/,
    );
    const rl = await op(base, 'forward_backward', fb(id, 2, DATA, 'ppo'));
    assert.match(rl.error, /Item 0: loss_fn 'ppo' needs logprobs \(from the sampler\) and advantages/);

    // dtype is any string and data may be a bare scalar; shape stays required.
    const scalar = {
      model_input: prompt([785]),
      loss_fn_inputs: { target_tokens: { data: 5426, dtype: 'int32', shape: [1] }, weights: { data: 1, dtype: 'bfloat16', shape: [] } },
    };
    const sc = await op(base, 'forward_backward', fb(id, 3, [scalar]));
    assert.equal(sc.metrics['num_tokens:sum'], 1, JSON.stringify(sc));
  });

  it('requires lora_config.rank; without lora_config a model is a full fine-tune (is_lora false, lora_rank null)', async () => {
    const s = await session(base);
    const noRank = await post(base, '/api/v1/create_model', {
      session_id: s,
      model_seq_id: 0,
      base_model: 'Qwen/Qwen3-0.6B',
      lora_config: {},
    });
    assert.equal(noRank.status, 422);
    assert.deepEqual([noRank.json.detail[0].type, noRank.json.detail[0].loc], ['missing', ['body', 'lora_config', 'rank']]);
    const full = await op(base, 'create_model', { session_id: s, model_seq_id: 1, base_model: 'Qwen/Qwen3-0.6B' });
    const info = await post(base, '/api/v1/get_info', { model_id: full.model_id });
    assert.deepEqual([info.json.is_lora, info.json.lora_rank], [false, null]);
    const saved = await op(base, 'save_state', { model_id: full.model_id, seq_id: 1, path: 'full' });
    const wi = await post(base, '/api/v1/weights_info', { tinker_path: saved.path });
    assert.deepEqual(wi.json, {
      base_model: 'Qwen/Qwen3-0.6B',
      is_lora: false,
      lora_rank: null,
      train_mlp: null,
      train_attn: null,
      train_unembed: null,
    });
  });

  it('reports conflicts as failed futures: a checkpoint name in use (no overwrite), a repeated create_model', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    await op(base, 'save_state', { model_id: id, seq_id: 1, path: 'same' });
    const again = await post(base, '/api/v1/save_state', { model_id: id, seq_id: 2, path: 'same', overwrite: true });
    assert.equal(again.status, 200);
    assert.deepEqual(await result(base, again.json.request_id), {
      error: `checkpoint already exists: ${id}/same/training`,
      category: 'system',
    });
    await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: 3, path: 'same' });
    assert.equal(
      (await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: 4, path: 'same' })).error,
      `checkpoint already exists: ${id}/same/sampler`,
    );
    const bad = await op(base, 'save_state', { model_id: id, seq_id: 5, path: '../up' });
    assert.match(bad.error, /^Invalid checkpoint name: '\.\.\/up'/);
    const dup = await post(base, '/api/v1/create_model', {
      session_id: s,
      model_seq_id: 0,
      base_model: 'Qwen/Qwen3-0.6B',
      lora_config: { rank: 8 },
    });
    assert.equal(dup.status, 200);
    assert.deepEqual(await result(base, dup.json.request_id), { error: `Model '${id}' already exists`, category: 'system' });
  });

  it('save_weights writes a resumable weights/ checkpoint by default, a sampler one with saveWeightsAsSampler; save_state always resumes', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s, 0, 4, 9);
    await op(base, 'forward_backward', fb(id, 1));
    await op(base, 'optim_step', { model_id: id, seq_id: 2, adam_params: adam });
    const w = await op(base, 'save_weights', { model_id: id, seq_id: 3, path: 'resume' });
    assert.deepEqual(
      [w.checkpoint_id, w.path, w.mint_path, w.tinker_path, w.checkpoint_type, w.type],
      ['resume', `mint://${id}/weights/resume`, `mint://${id}/resume`, `tinker://${id}/weights/resume`, 'training', 'save_weights'],
    );
    const fresh = await trainingModel(base, s, 1, 4, 9);
    await op(base, 'load_state', { model_id: fresh, seq_id: 1, path: w.path, optimizer: true });
    const step = await op(base, 'optim_step', { model_id: fresh, seq_id: 2, adam_params: adam });
    assert.equal(step.metrics['step:max'], 2, 'the optimizer state came back with the weights');

    await config({ saveWeightsAsSampler: true });
    const snap = await op(base, 'save_weights', { model_id: id, seq_id: 4, path: 'snap' });
    assert.deepEqual(
      [snap.path, snap.checkpoint_type, snap.tinker_path],
      [`mint://${id}/sampler_weights/snap`, 'sampler', `tinker://${id}/sampler_weights/snap`],
    );
    const refused = await op(base, 'load_state', { model_id: fresh, seq_id: 3, path: snap.path, optimizer: true });
    assert.match(refused.error, /^Optimizer restore requested, but checkpoint_type is not 'training'/);
    assert.equal((await op(base, 'load_state', { model_id: fresh, seq_id: 4, path: snap.path, optimizer: false })).error, undefined);
    const state = await op(base, 'save_state', { model_id: id, seq_id: 5, path: 'still-resumable' });
    assert.equal(state.checkpoint_type, 'training');
    const sampled = await sample(base, {
      sampling_session_id: await samplingSession(base, s, 0, { model_path: snap.path }),
      prompt: prompt([785]),
      sampling_params: { max_tokens: 2, seed: 1 },
    });
    assert.equal(sampled.sequences[0].tokens.length, 2);
  });

  it('train_step runs forward_backward and optim_step as one op and lowers the loss', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s, 0, 8, 4);
    const noWeights = datum([1, 2, 3]);
    delete (noWeights.loss_fn_inputs as Record<string, unknown>)['weights'];
    assert.equal((await post(base, '/api/v1/train_step', fb('no-such-model', 1, [noWeights]))).status, 422);
    const losses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const out = await op(base, 'train_step', { ...fb(id, i), adam_params: { learning_rate: 0.05 } });
      assert.equal(out.loss_fn_output_type, 'cross_entropy_loss');
      assert.equal(out.metrics['step:max'], i);
      assert.ok(out.metrics['grad_norm:mean'] > 0);
      losses.push(out.metrics['loss:mean']);
    }
    assert.ok(losses[4]! < losses[0]!, `loss falls: ${losses.join(' ')}`);
  });

  it('create_model_from_state resumes a training checkpoint with its optimizer; refuses sampler state with the optimizer', async () => {
    const s = await session(base);
    const src = await trainingModel(base, s, 0, 4, 2);
    await op(base, 'train_step', { ...fb(src, 1), adam_params: adam });
    const w = await op(base, 'save_state', { model_id: src, seq_id: 2, path: 'st' });
    const sp = await op(base, 'save_weights_for_sampler', { model_id: src, seq_id: 3, path: 'sp' });
    const ref = await op(base, 'forward', { model_id: src, forward_input: { data: DATA, loss_fn: 'cross_entropy' } });

    const made = await op(base, 'create_model_from_state', {
      session_id: s,
      model_seq_id: 1,
      base_model: 'Qwen/Qwen3-0.6B',
      state_path: w.path,
    });
    assert.equal(made.model_id, `${s}_1`);
    assert.equal(made.type, 'create_model_from_state');
    const got = await op(base, 'forward', { model_id: made.model_id, forward_input: { data: DATA, loss_fn: 'cross_entropy' } });
    assert.deepEqual(got.loss_fn_outputs[0].logprobs.data, ref.loss_fn_outputs[0].logprobs.data);
    assert.equal((await op(base, 'train_step', { ...fb(made.model_id, 1), adam_params: adam })).metrics['step:max'], 2);

    const withOpt = await post(base, '/api/v1/create_model_from_state', {
      session_id: s,
      model_seq_id: 2,
      base_model: 'Qwen/Qwen3-0.6B',
      state_path: sp.path,
    });
    assert.deepEqual([withOpt.status, withOpt.json.detail], [400, "Optimizer restore requested, but checkpoint_type is not 'training'"]);
    const missing = await post(base, '/api/v1/create_model_from_state', {
      session_id: s,
      model_seq_id: 2,
      base_model: 'Qwen/Qwen3-0.6B',
      state_path: `mint://${src}/weights/nope`,
    });
    assert.deepEqual([missing.status, missing.json.detail], [404, `Checkpoint not found: mint://${src}/weights/nope`]);
    const taken = await op(base, 'create_model_from_state', {
      session_id: s,
      model_seq_id: 1,
      base_model: 'Qwen/Qwen3-0.6B',
      state_path: w.path,
    });
    assert.equal(taken.error, `Model '${s}_1' already exists`);
  });

  it("compute_logprobs gives each token's logprob given the ones before (first null), as the sampler scores a prompt", async () => {
    const s = await session(base);
    const sampler = await samplingSession(base, s, 0, { base_model: 'Qwen/Qwen3-0.6B' });
    const tokens = [785, 5426, 374, 3309];
    const lp = await op(base, 'compute_logprobs', { sampling_session_id: sampler, seq_id: 0, sequence: prompt(tokens) });
    assert.equal(lp.type, 'compute_logprobs');
    const viaSample = await sample(base, {
      sampling_session_id: sampler,
      prompt: prompt(tokens),
      sampling_params: { max_tokens: 1, seed: 1 },
      prompt_logprobs: true,
    });
    assert.deepEqual(lp.logprobs, viaSample.prompt_logprobs);
    assert.equal(lp.logprobs[0], null);
    const unknown = await post(base, '/api/v1/compute_logprobs', { sampling_session_id: 'nope', seq_id: 0, sequence: prompt(tokens) });
    assert.deepEqual([unknown.status, unknown.json], [404, { detail: "Sampling session 'nope' not found" }]);
  });

  it('cancel_future takes a queued op out (its retrieve fails), leaves later ops alone, and says what it did', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    await config({ latencyMs: 150 });
    const first = await submit(base, 'forward_backward', fb(id, 1));
    const queued = await submit(base, 'optim_step', { model_id: id, seq_id: 2, adam_params: adam });
    const later = await submit(base, 'forward', { model_id: id, seq_id: 3, forward_input: { data: DATA, loss_fn: 'cross_entropy' } });
    const c = await post(base, '/api/v1/cancel_future', { request_id: queued, reason: 'user pressed stop' });
    assert.deepEqual(c.json, { ok: true, request_id: queued, was_terminal: false, reason: 'cancelled', cancelled: true });
    assert.deepEqual(await result(base, queued), { error: 'Model work request cancelled: user pressed stop', category: 'system' });
    assert.ok((await result(base, later)).loss_fn_outputs.length === 1);
    await result(base, first);
    const done = await post(base, '/api/v1/cancel_future', { request_id: first });
    assert.deepEqual([done.json.was_terminal, done.json.cancelled], [true, false]);
    assert.ok((await result(base, first)).metrics, 'a finished result stays');
    // The cancelled optim_step never ran: the gradient of op 1 is still there for the next step.
    assert.ok((await op(base, 'optim_step', { model_id: id, seq_id: 4, adam_params: adam })).metrics['grad_norm:mean'] > 0);
    const unknown = await post(base, '/api/v1/cancel_future', { request_id: 'never-issued' });
    assert.deepEqual([unknown.status, unknown.json], [404, { detail: 'Future not found' }]);
  });

  it('stops a model whose session went silent: its pending futures fail, later ops 404, the run leaves training_runs', async () => {
    await config({ heartbeatStaleMs: 300 });
    const busy = await session(base);
    const silent = await session(base);
    const active = await trainingModel(base, busy);
    const doomed = await trainingModel(base, silent);
    const orphan = await trainingModel(base, 'session-the-server-never-saw');
    await config({ latencyMs: 2_000 });
    const running = await submit(base, 'forward_backward', fb(doomed, 1));
    const queued = await submit(base, 'optim_step', { model_id: doomed, seq_id: 2, adam_params: adam });
    await config({ latencyMs: 0 });
    // The busy client never heartbeats, but each training op it enqueues counts as one.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await op(base, 'forward', { model_id: active, forward_input: { data: DATA, loss_fn: 'cross_entropy' } });
    }
    // Only polling: the background sweep, not a request touching the model, stops it.
    const stale = { error: 'Training session terminated due to stale heartbeat (> 0.3s)', category: 'system' };
    assert.deepEqual(await result(base, running), stale);
    assert.deepEqual(await result(base, queued), stale);
    const later = await post(base, '/api/v1/forward', { model_id: doomed, forward_input: { data: DATA, loss_fn: 'cross_entropy' } });
    assert.equal(later.status, 404);
    assert.match(
      later.json.detail,
      new RegExp(
        `^Model '${doomed}' not found: it was stopped because session ${silent} sent no heartbeat for [\\d.]+ s \\(limit 0\\.3 s\\)`,
      ),
    );
    assert.equal((await get(base, `/api/v1/training_runs/${doomed}`)).status, 404);
    assert.equal((await get(base, `/api/v1/training_runs/${active}`)).status, 200);
    assert.equal((await post(base, '/api/v1/get_info', { model_id: orphan })).status, 200, 'no heartbeat record, never stale');
  });

  it("refuses a training example longer than the model's context with MinT's 400 and words", async () => {
    const id = await trainingModel(base, await session(base));
    const tooLong = datum(Array.from({ length: 32_770 }, (_, i) => 100 + (i % 50)));
    const r = await post(base, '/api/v1/forward_backward', fb(id, 1, [tooLong]));
    assert.equal(r.status, 400);
    assert.match(r.json.detail, /^Input sequence length 32769 exceeds max_model_len 32768 for model Qwen\/Qwen3-0\.6B\./);
  });

  it('accepts the mintx routes it cannot run and fails their futures, naming them (a 5xx would be retried by the SDK for minutes)', async () => {
    for (const route of ['checkpoints/interpolate', 'forward_backward_reverse_kl']) {
      const r = await post(base, `/api/v1/mint/${route}`, {});
      assert.equal(r.status, 200);
      const done = await post(base, '/api/v1/retrieve_future', { request_id: r.json.request_id });
      assert.equal(done.status, 200);
      assert.equal(done.json.category, 'system');
      assert.match(done.json.error, new RegExp(`^/api/v1/mint/${route} is a MinT-only operation the local emulator cannot run`));
    }
  });
});

describe('emulator: the deployment flags on the command line', function () {
  it('--mask-errors, --save-weights-as-sampler and --legacy-queue-headers reach the live config', async () => {
    const bundle = join(__dirname, '../../../../dist/emulator.js');
    assert.ok(existsSync(bundle), `${bundle} is missing: build first`);
    const child = spawn(
      process.execPath,
      [bundle, '--port', '0', '--quiet', '--faults', '--mask-errors', '--save-weights-as-sampler', '--legacy-queue-headers'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no listening line within 15 s')), 15_000);
        createInterface({ input: child.stdout! }).once('line', (l) => {
          clearTimeout(timer);
          resolve(l);
        });
      });
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
      const c = (await post(url, '/_emulator/config', {})).json;
      assert.deepEqual([c.maskErrors, c.saveWeightsAsSampler, c.legacyQueueHeaders], [true, true, true]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
