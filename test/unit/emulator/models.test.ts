import assert from 'node:assert/strict';
import type { Emulator } from '../../../src/emulator/index';
import { loadQwen3Tokenizer } from '../../../src/emulator/tokenizer';
import { call, datum, get, op, post, result, session, trainingModel, withEmulator } from './helpers';

describe('emulator: MinT model routes (/api/v1/models, reset_expert_bias, upload)', function () {
  let emu: Emulator;
  let base: string;
  let s: string;
  let a: string;
  let b: string;
  before(async () => {
    emu = await withEmulator();
    base = emu.url;
    s = await session(base);
    b = await trainingModel(base, s, 1);
    a = await trainingModel(base, s, 0);
    await op(base, 'forward_backward', {
      model_id: a,
      seq_id: 1,
      forward_backward_input: { data: [datum([785, 5426, 374])], loss_fn: 'cross_entropy' },
    });
    await op(base, 'optim_step', { model_id: a, seq_id: 2, adam_params: { learning_rate: 0.01 } });
  });
  after(() => emu.close());

  it('lists live models by id with step and activity, and describes one', async () => {
    const list = await get(base, '/api/v1/models');
    assert.equal(list.json.total, 2);
    assert.deepEqual(
      list.json.models.map((m: { model_id: string }) => m.model_id),
      [a, b].sort(),
    );
    const one = await get(base, `/api/v1/models/${a}`);
    assert.equal(one.status, 200);
    assert.deepEqual(
      [one.json.model_id, one.json.session_id, one.json.model_seq_id, one.json.base_model, one.json.current_step, one.json.is_active],
      [a, s, 0, 'Qwen/Qwen3-0.6B', 1, true],
    );
    assert.deepEqual(one.json.lora_config, { rank: 8, seed: 7, train_mlp: true, train_attn: true, train_unembed: true });
    assert.deepEqual(one.json.user_metadata, {});
    assert.match(one.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.ok(one.json.idle_for_s >= 0);
    const none = await get(base, '/api/v1/models/nope');
    assert.deepEqual([none.status, none.json], [404, { detail: "Model 'nope' not found" }]);
  });

  it("gives tokenizer metadata (not a tokenize service) matching Qwen3's files", async () => {
    const r = await get(base, `/api/v1/models/${a}/tokenizer`);
    assert.equal(r.json.model_id, a);
    const tok = loadQwen3Tokenizer().tokenizer;
    assert.deepEqual(r.json.tokenizer, {
      vocab_size: 151643,
      model_max_length: 131072,
      pad_token: '<|endoftext|>',
      pad_token_id: tok.token_to_id('<|endoftext|>'),
      eos_token: '<|im_end|>',
      eos_token_id: tok.token_to_id('<|im_end|>'),
      bos_token: null,
      bos_token_id: null,
      unk_token: null,
      unk_token_id: null,
    });
    assert.equal((await get(base, '/api/v1/models/nope/tokenizer')).status, 404);
  });

  it('answers reset_expert_bias for a dense model with "not_applicable"', async () => {
    const r = await post(base, '/api/v1/reset_expert_bias', { model_id: a });
    assert.deepEqual(r.json, { model_id: a, modules_reset: 0, status: 'not_applicable' });
    assert.deepEqual((await post(base, '/api/v1/reset_expert_bias', { model_id: 'nope' })).json, { detail: "Model 'nope' not found" });
    assert.equal((await post(base, '/api/v1/reset_expert_bias', {})).status, 422);
  });

  it('says plainly that checkpoint upload is not implemented (501)', async () => {
    const r = await post(base, '/api/v1/checkpoints/upload', {});
    assert.equal(r.status, 501);
    assert.match(r.json.detail, /not implemented by the MinT emulator.*save_state\/load_state/);
  });

  it('deletes a model after its queued ops: it leaves the listings, later ops 404, its checkpoints stay', async () => {
    await op(base, 'save_weights_for_sampler', { model_id: b, seq_id: 1, path: 'keep' });
    const queued = await post(base, '/api/v1/forward_backward', {
      model_id: b,
      seq_id: 2,
      forward_backward_input: { data: [datum([785, 5426])], loss_fn: 'cross_entropy' },
    });
    const del = await call(base, 'DELETE', `/api/v1/models/${b}`);
    assert.deepEqual([del.status, del.json], [200, { model_id: b, status: 'deleted' }]);
    assert.equal((await result(base, queued.json.request_id)).error, undefined, 'the op queued before the delete ran');
    assert.deepEqual(
      (await get(base, '/api/v1/models')).json.models.map((m: { model_id: string }) => m.model_id),
      [a],
    );
    assert.equal((await get(base, `/api/v1/training_runs/${b}`)).status, 404);
    assert.deepEqual(
      (await get(base, '/api/v1/training_runs')).json.training_runs.map((r: { training_run_id: string }) => r.training_run_id),
      [a],
    );
    assert.equal((await post(base, '/api/v1/get_info', { model_id: b })).status, 404);
    const cps = await get(base, `/api/v1/training_runs/${b}/checkpoints`);
    assert.deepEqual(
      cps.json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id),
      ['sampler_weights/keep'],
    );
    assert.equal((await call(base, 'DELETE', `/api/v1/models/${b}`)).status, 404);
  });
});
