import assert from 'node:assert/strict';
import type { Emulator } from '../../../src/emulator/index';
import { loadQwen3Tokenizer } from '../../../src/emulator/tokenizer';
import { SeqCounter, datum, op, post, sample, samplingSession, session, trainingModel, withEmulator } from './helpers';

const encode = (s: string) => loadQwen3Tokenizer().tokenizer.encode(s, { add_special_tokens: false }).ids;
const SFT_TEXT = [
  'The copper kettle whistles when the water boils in the small kitchen.',
  'A copper kettle on the stove sings a high note every morning.',
  'When the copper kettle whistles, the tea is nearly ready.',
];

describe('emulator: training', function () {
  let emu: Emulator;
  let base: string;
  before(async () => {
    emu = await withEmulator();
    base = emu.url;
  });
  after(() => emu.close());

  it('create_model answers a future whose model_id is <session>_<seq>, and get_info names the tokenizer', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s, 3);
    assert.equal(id, `${s}_3`);
    const info = await post(base, '/api/v1/get_info', { model_id: id, type: 'get_info' });
    assert.equal(info.status, 200);
    assert.equal(info.json.model_data.tokenizer_id, 'Qwen/Qwen3-0.6B');
    assert.equal(info.json.model_data.arch, 'transformer');
    assert.equal(info.json.lora_rank, 8);
  });

  it('rejects rank above 64 with 400, an unknown base model with 400, and an unknown model_id with 404', async () => {
    const s = await session(base);
    const big = await post(base, '/api/v1/create_model', {
      session_id: s,
      model_seq_id: 0,
      base_model: 'Qwen/Qwen3-0.6B',
      lora_config: { rank: 65 },
    });
    assert.equal(big.status, 400);
    assert.match(big.json.detail, /rank 65.*maximum of 64/);
    const unknown = await post(base, '/api/v1/create_model', { session_id: s, model_seq_id: 1, base_model: 'acme/nope' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.detail, /^Unsupported base_model: 'acme\/nope'\. Not present in MODEL_CONFIGS.*Qwen\/Qwen3-0\.6B/);
    const missing = await post(base, '/api/v1/get_info', { model_id: 'nope_0' });
    assert.equal(missing.status, 404);
    assert.match(missing.json.detail, /^Model 'nope_0' not found\. Create a training client/);
  });

  it('enforces MinT datum rules: weights required by forward_backward (422), shape required (422), lengths must align (400)', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    const d = datum([1, 2, 3, 4]);
    delete (d.loss_fn_inputs as Record<string, unknown>)['weights'];
    const noWeights = await post(base, '/api/v1/forward_backward', {
      model_id: id,
      forward_backward_input: { data: [datum([1, 2, 3]), d], loss_fn: 'cross_entropy' },
    });
    assert.equal(noWeights.status, 422);
    assert.equal(noWeights.json.detail, 'Item 1 missing loss_mask/mask/weights');

    const noShape = datum([1, 2, 3]);
    delete (noShape.loss_fn_inputs['target_tokens'] as Record<string, unknown>)['shape'];
    const r2 = await post(base, '/api/v1/forward', { model_id: id, forward_input: { data: [noShape], loss_fn: 'cross_entropy' } });
    assert.equal(r2.status, 422);
    assert.deepEqual(r2.json.detail[0].loc, ['body', 'forward_input', 'data', 0, 'loss_fn_inputs', 'target_tokens', 'shape']);
    assert.equal(r2.json.detail[0].type, 'missing');

    const bad = datum([1, 2, 3], {}, [1]);
    const r3 = await post(base, '/api/v1/forward', { model_id: id, forward_input: { data: [bad], loss_fn: 'cross_entropy' } });
    assert.equal(r3.status, 400);
    assert.match(r3.json.detail, /weights has 1 values but model_input has 2 tokens/);
  });

  it('SFT with cross_entropy lowers the loss over 10 steps, and the sampler checkpoint samples differently from the base', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s, 0, 16, 11);
    const data = SFT_TEXT.map((t) => datum(encode(t)));
    const seq = new SeqCounter();
    const losses: number[] = [];
    for (let step = 0; step < 10; step++) {
      const fb = await op(base, 'forward_backward', {
        model_id: id,
        seq_id: seq.next(),
        forward_backward_input: { data, loss_fn: 'cross_entropy' },
      });
      losses.push(fb.metrics['loss:mean']);
      assert.equal(fb.metrics['num_samples:sum'], 3);
      assert.equal(fb.loss_fn_outputs.length, 3);
      assert.equal(fb.loss_fn_outputs[0].logprobs.shape[0], encode(SFT_TEXT[0]!).length - 1);
      const opt = await op(base, 'optim_step', {
        model_id: id,
        seq_id: seq.next(),
        adam_params: { learning_rate: 0.02, beta1: 0.9, beta2: 0.95, eps: 1e-8 },
        type: 'optim_step',
      });
      assert.ok(opt.metrics['grad_norm:mean'] > 0);
    }
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses[9]! < losses[0]! * 0.7, `loss should fall clearly: ${losses.map((l) => l.toFixed(3)).join(' ')}`);

    const saved = await op(base, 'save_weights_for_sampler', {
      model_id: id,
      seq_id: seq.next(),
      path: 'sft-final',
      type: 'save_weights_for_sampler',
    });
    assert.equal(saved.path, `mint://${id}/sampler_weights/sft-final`);

    const probe = encode('The copper');
    const params = { max_tokens: 12, seed: 1234, temperature: 1 };
    const baseSampler = await samplingSession(base, s, 100, { base_model: 'Qwen/Qwen3-0.6B' });
    const tunedSampler = await samplingSession(base, s, 101, { model_path: saved.path });
    const a = await sample(base, {
      sampling_session_id: baseSampler,
      prompt: { chunks: [{ type: 'encoded_text', tokens: probe }] },
      sampling_params: params,
      prompt_logprobs: true,
    });
    const b = await sample(base, {
      sampling_session_id: tunedSampler,
      prompt: { chunks: [{ type: 'encoded_text', tokens: probe }] },
      sampling_params: params,
      prompt_logprobs: true,
    });
    assert.notDeepEqual(a.sequences[0].tokens, b.sequences[0].tokens);
    assert.ok(b.prompt_logprobs[1] > a.prompt_logprobs[1], 'the trained pair "The copper" must be likelier after SFT');
  });

  it("forward computes logprobs without changing the model, and they equal the sampler's logprobs", async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    const sampler = await samplingSession(base, s, 0, { base_model: 'Qwen/Qwen3-0.6B' });
    const p = encode('The train');
    const out = await sample(base, {
      sampling_session_id: sampler,
      prompt: { chunks: [{ type: 'encoded_text', tokens: p }] },
      sampling_params: { max_tokens: 8, seed: 5 },
    });
    const full = [...p, ...out.sequences[0].tokens];
    const d = datum(full);
    const f1 = await op(base, 'forward', { model_id: id, forward_input: { data: [d], loss_fn: 'cross_entropy' } });
    const f2 = await op(base, 'forward', { model_id: id, forward_input: { data: [d], loss_fn: 'cross_entropy' } });
    assert.deepEqual(f1.loss_fn_outputs[0].logprobs.data, f2.loss_fn_outputs[0].logprobs.data);
    const fromForward = f1.loss_fn_outputs[0].logprobs.data.slice(p.length - 1);
    fromForward.forEach((lp: number, i: number) => assert.ok(Math.abs(lp - out.sequences[0].logprobs[i]) < 1e-9));
  });

  for (const lossFn of ['importance_sampling', 'ppo', 'cispo', 'dro'] as const) {
    it(`${lossFn}: finite loss, and one step moves the logprobs of rewarded tokens up`, async () => {
      const s = await session(base);
      const id = await trainingModel(base, s, 0, 8, 3);
      const tokens = encode('The gardener watches the weather and the trains.');
      const fwd = await op(base, 'forward', { model_id: id, forward_input: { data: [datum(tokens)], loss_fn: 'cross_entropy' } });
      const q: number[] = fwd.loss_fn_outputs[0].logprobs.data;
      const adv = q.map(() => 1);
      const seq = new SeqCounter();
      const fb = await op(base, 'forward_backward', {
        model_id: id,
        seq_id: seq.next(),
        forward_backward_input: {
          data: [datum(tokens, { logprobs: q, advantages: adv })],
          loss_fn: lossFn,
          loss_fn_config: lossFn === 'dro' ? { beta: 0.05 } : { clip_low_threshold: 0.8, clip_high_threshold: 1.2 },
        },
      });
      assert.equal(fb.loss_fn_output_type, `${lossFn}_loss`);
      assert.ok(Number.isFinite(fb.metrics['loss:mean']));
      assert.ok(Number.isFinite(fb.loss_fn_outputs[0].loss.data[0]));
      await op(base, 'optim_step', { model_id: id, seq_id: seq.next(), adam_params: { learning_rate: 0.01 } });
      const after = await op(base, 'forward', {
        model_id: id,
        seq_id: seq.next(),
        forward_input: { data: [datum(tokens)], loss_fn: 'cross_entropy' },
      });
      const sumBefore = q.reduce((a, b) => a + b, 0);
      const sumAfter = (after.loss_fn_outputs[0].logprobs.data as number[]).reduce((a, b) => a + b, 0);
      assert.ok(sumAfter > sumBefore + 1e-3, `positive advantages must raise logprobs: ${sumBefore} -> ${sumAfter}`);
    });
  }

  it('refuses a batch whose loss overflows with a future error naming the cause, and keeps the weights', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    const tokens = encode('The night train is slower.');
    const ref = await op(base, 'forward', { model_id: id, forward_input: { data: [datum(tokens)], loss_fn: 'cross_entropy' } });
    const q = (ref.loss_fn_outputs[0].logprobs.data as number[]).map(() => -1e6);
    const sub = await post(base, '/api/v1/forward_backward', {
      model_id: id,
      seq_id: 1,
      forward_backward_input: { data: [datum(tokens, { logprobs: q, advantages: q.map(() => 1) })], loss_fn: 'importance_sampling' },
    });
    const { result } = await import('./helpers');
    const failed = await result(base, sub.json.request_id);
    assert.equal(failed.category, 'system');
    assert.match(failed.error, /importance_sampling loss is not finite.*sampler logprob/);
    await op(base, 'optim_step', { model_id: id, seq_id: 2, adam_params: { learning_rate: 0.05 } });
    const after = await op(base, 'forward', { model_id: id, forward_input: { data: [datum(tokens)], loss_fn: 'cross_entropy' } });
    assert.deepEqual(after.loss_fn_outputs[0].logprobs.data, ref.loss_fn_outputs[0].logprobs.data);
  });

  it('save_weights then load_weights into a fresh model restores the same logprobs; weights_info describes it', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s, 0, 8, 21);
    const data = [datum(encode('Fog lifts from the river by ten.'))];
    const seq = new SeqCounter();
    await op(base, 'forward_backward', { model_id: id, seq_id: seq.next(), forward_backward_input: { data, loss_fn: 'cross_entropy' } });
    await op(base, 'optim_step', { model_id: id, seq_id: seq.next(), adam_params: { learning_rate: 0.05 } });
    const saved = await op(base, 'save_state', { model_id: id, seq_id: seq.next(), path: 'ckpt1', type: 'save_weights' });
    assert.equal(saved.path, `mint://${id}/weights/ckpt1`);
    const ref = await op(base, 'forward', { model_id: id, forward_input: { data, loss_fn: 'cross_entropy' } });

    const other = await trainingModel(base, s, 1, 8, 99);
    await op(base, 'load_state', { model_id: other, seq_id: 1, path: saved.path, optimizer: true, type: 'load_weights' });
    const got = await op(base, 'forward', { model_id: other, forward_input: { data, loss_fn: 'cross_entropy' } });
    assert.deepEqual(got.loss_fn_outputs[0].logprobs.data, ref.loss_fn_outputs[0].logprobs.data);

    const info = await post(base, '/api/v1/weights_info', { tinker_path: saved.path.replace('mint://', 'tinker://') });
    assert.equal(info.status, 200);
    assert.deepEqual(info.json, {
      base_model: 'Qwen/Qwen3-0.6B',
      is_lora: true,
      lora_rank: 8,
      train_mlp: true,
      train_attn: true,
      train_unembed: true,
    });

    const asSampler = await post(base, '/api/v1/create_sampling_session', {
      session_id: s,
      sampling_session_seq_id: 9,
      model_path: saved.path,
    });
    assert.equal(asSampler.status, 400);
    assert.match(asSampler.json.detail, /training checkpoint \(weights\/\).*save_weights_for_sampler/);
  });

  it('load_weights restores the Adam state only when optimizer is true', async () => {
    const s = await session(base);
    const src = await trainingModel(base, s, 0, 4, 5);
    const data = [datum(encode('Wind dries the soil faster than the sun.'))];
    for (let seq = 1; seq <= 6; seq += 2) {
      await op(base, 'forward_backward', { model_id: src, seq_id: seq, forward_backward_input: { data, loss_fn: 'cross_entropy' } });
      await op(base, 'optim_step', { model_id: src, seq_id: seq + 1, adam_params: { learning_rate: 0.02 } });
    }
    const saved = await op(base, 'save_weights', { model_id: src, seq_id: 7, path: 'with-adam' });
    const stepAfterLoad = async (modelSeq: number, optimizer: boolean) => {
      const m = await trainingModel(base, s, modelSeq, 4, 5);
      await op(base, 'load_weights', { model_id: m, seq_id: 1, path: saved.path, optimizer });
      await op(base, 'forward_backward', { model_id: m, seq_id: 2, forward_backward_input: { data, loss_fn: 'cross_entropy' } });
      const o = await op(base, 'optim_step', { model_id: m, seq_id: 3, adam_params: { learning_rate: 0.02 } });
      const f = await op(base, 'forward', { model_id: m, forward_input: { data, loss_fn: 'cross_entropy' } });
      return { step: o.metrics['step:max'], logprobs: f.loss_fn_outputs[0].logprobs.data as number[] };
    };
    const withState = await stepAfterLoad(1, true);
    const fresh = await stepAfterLoad(2, false);
    assert.equal(withState.step, 4, 'Adam continues from step 3');
    assert.equal(fresh.step, 1, 'Adam starts over');
    assert.notDeepEqual(withState.logprobs, fresh.logprobs);
  });

  it('unnamed save_weights_for_sampler returns a sampling_session_id that samples the trained adapter', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    const r = await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: 1, sampling_session_seq_id: 4 });
    assert.equal(r.sampling_session_id, `${s}:sample:4`);
    assert.equal(r.path, null);
    const out = await sample(base, {
      sampling_session_id: r.sampling_session_id,
      seq_id: 0,
      prompt: { chunks: [{ type: 'encoded_text', tokens: encode('Rain') }] },
      sampling_params: { max_tokens: 4, seed: 1 },
    });
    assert.equal(out.sequences[0].tokens.length, 4);
  });

  it('speaks tinker:// to the Tinker SDK and rewrites tinker:// inputs to mint://', async () => {
    const s = await session(base);
    const id = await trainingModel(base, s);
    const r = await post(
      base,
      '/api/v1/save_weights_for_sampler',
      { model_id: id, seq_id: 1, path: 'ua' },
      { 'user-agent': 'AsyncTinker/Python 0.15.0' },
    );
    const { result } = await import('./helpers');
    const res = await result(base, r.json.request_id);
    assert.equal(res.path, `tinker://${id}/sampler_weights/ua`);
    const sess = await post(base, '/api/v1/create_sampling_session', { session_id: s, sampling_session_seq_id: 1, model_path: res.path });
    assert.equal(sess.status, 200);
    const info = await post(base, '/api/v1/weights_info', { tinker_path: res.path });
    assert.deepEqual([info.status, info.json], [400, { detail: 'Sampler checkpoint cannot recreate a training client' }]);
  });
});
