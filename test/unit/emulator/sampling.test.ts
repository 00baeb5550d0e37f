import assert from 'node:assert/strict';
import type { Emulator } from '../../../src/emulator/index';
import { loadQwen3Tokenizer } from '../../../src/emulator/tokenizer';
import { post, prompt, result, sample, samplingSession, session, withEmulator } from './helpers';

const tok = () => loadQwen3Tokenizer().tokenizer;
const encode = (s: string) => tok().encode(s, { add_special_tokens: false }).ids;

describe('emulator: sampling', function () {
  let emu: Emulator;
  let base: string;
  let s: string;
  let sampler: string;
  const run = (params: Record<string, unknown>, extra: Record<string, unknown> = {}, tokens = encode('The morning train')) =>
    sample(base, { sampling_session_id: sampler, prompt: prompt(tokens), sampling_params: params, ...extra });

  before(async () => {
    emu = await withEmulator();
    base = emu.url;
    s = await session(base);
    sampler = await samplingSession(base, s, 0, { base_model: 'Qwen/Qwen3-0.6B' });
  });
  after(() => emu.close());

  it('requires max_tokens and num_samples (422 missing items with the field path and input)', async () => {
    const r = await post(base, '/api/v1/asample', {
      sampling_session_id: sampler,
      prompt: prompt([1, 2]),
      sampling_params: { temperature: 1 },
    });
    assert.equal(r.status, 422);
    assert.deepEqual(r.json.detail, [
      {
        type: 'missing',
        loc: ['body', 'num_samples'],
        msg: 'Field required',
        input: { sampling_session_id: sampler, prompt: prompt([1, 2]), sampling_params: { temperature: 1 } },
      },
      { type: 'missing', loc: ['body', 'sampling_params', 'max_tokens'], msg: 'Field required', input: { temperature: 1 } },
    ]);
    const typed = await post(base, '/api/v1/asample', {
      num_samples: 'two',
      sampling_session_id: sampler,
      prompt: prompt([1]),
      sampling_params: { max_tokens: 1.5 },
    });
    assert.deepEqual(
      typed.json.detail.map((d: { type: string; loc: unknown[] }) => [d.type, d.loc.join('.')]),
      [
        ['int_parsing', 'body.num_samples'],
        ['int_from_float', 'body.sampling_params.max_tokens'],
      ],
    );
  });

  it('takes any num_samples (no 128 cap); num_samples 0, max_tokens 0 or a bad temperature/top_p fail the future, not the POST', async () => {
    const many = await run({ max_tokens: 1, seed: 1 }, { num_samples: 130 });
    assert.equal(many.sequences.length, 130);
    for (const [extra, params, message] of [
      [{ num_samples: 0 }, { max_tokens: 2 }, 'num_samples must be >= 1 (got 0)'],
      [{}, { max_tokens: 0 }, 'max_tokens must be at least 1, got 0.'],
      [{}, { max_tokens: 2, temperature: -1 }, 'temperature must be non-negative, got -1.'],
      [{}, { max_tokens: 2, top_p: 0 }, 'top_p must be in (0, 1], got 0.'],
    ] as const) {
      const sub = await post(base, '/api/v1/asample', {
        num_samples: 1,
        sampling_session_id: sampler,
        prompt: prompt([785]),
        sampling_params: params,
        ...extra,
      });
      assert.equal(sub.status, 200, sub.text);
      const res = await result(base, sub.json.request_id);
      assert.equal(res.error, message);
    }
  });

  it('enforces the selector rules as a model validator: 422 value_error at the body', async () => {
    const both = await post(base, '/api/v1/asample', {
      num_samples: 1,
      sampling_session_id: sampler,
      base_model: 'Qwen/Qwen3-0.6B',
      prompt: prompt([1]),
      sampling_params: { max_tokens: 1 },
    });
    assert.equal(both.status, 422);
    assert.equal(both.json.detail[0].type, 'value_error');
    assert.deepEqual(both.json.detail[0].loc, ['body']);
    assert.equal(
      both.json.detail[0].msg,
      'Value error, Exactly one selector must be provided: sampling_session_id/model_id, base_model, or model_path',
    );
    assert.deepEqual(both.json.detail[0].ctx, { error: {} });
    const seqless = await post(base, '/api/v1/asample', {
      num_samples: 1,
      seq_id: 3,
      base_model: 'Qwen/Qwen3-0.6B',
      prompt: prompt([1]),
      sampling_params: { max_tokens: 1 },
    });
    assert.equal(seqless.json.detail[0].msg, 'Value error, seq_id requires sampling_session_id or model_id');
    const byModelId = await post(base, '/api/v1/asample', {
      num_samples: 1,
      model_id: sampler,
      prompt: prompt([785]),
      sampling_params: { max_tokens: 2 },
    });
    assert.equal(byModelId.status, 200, 'model_id is an alias of sampling_session_id');
  });

  it('rejects prompt + max_tokens above the context length with 400 naming both numbers', async () => {
    const long = new Array(32760).fill(785);
    const r = await post(base, '/api/v1/asample', {
      num_samples: 1,
      sampling_session_id: sampler,
      prompt: prompt(long),
      sampling_params: { max_tokens: 100 },
    });
    assert.equal(r.status, 400);
    assert.match(r.json.detail, /32760 tokens.*max_tokens \(100\).*32768/);
  });

  it('gives the same tokens and logprobs for the same seed, and different ones for another seed', async () => {
    const a = await run({ max_tokens: 24, seed: 42 });
    const b = await run({ max_tokens: 24, seed: 42 });
    const c = await run({ max_tokens: 24, seed: 43 });
    assert.deepEqual(a.sequences, b.sequences);
    assert.notDeepEqual(a.sequences[0].tokens, c.sequences[0].tokens);
    const seq = a.sequences[0];
    assert.equal(seq.tokens.length, seq.logprobs.length);
    assert.ok(seq.logprobs.every((lp: number) => Number.isFinite(lp) && lp <= 0));
  });

  it('num_samples gives independent sequences; temperature 0 is greedy and seed-independent', async () => {
    const many = await run({ max_tokens: 12, seed: 7 }, { num_samples: 4 });
    assert.equal(many.sequences.length, 4);
    assert.ok(new Set(many.sequences.map((x: { tokens: number[] }) => x.tokens.join())).size > 1);
    const g1 = await run({ max_tokens: 12, temperature: 0, seed: 1 });
    const g2 = await run({ max_tokens: 12, temperature: 0, seed: 999 });
    assert.deepEqual(g1.sequences[0].tokens, g2.sequences[0].tokens);
    // Greedy means each chosen token is the top-1 of its context.
    const p = encode('The morning train');
    const full = [...p, ...g1.sequences[0].tokens];
    const check = await run({ max_tokens: 1 }, { topk_prompt_logprobs: 1 }, full);
    for (let i = p.length; i < full.length; i++) assert.equal(check.topk_prompt_logprobs[i][0][0], full[i]);
    const k1 = await run({ max_tokens: 12, top_k: 1, seed: 5 });
    assert.deepEqual(k1.sequences[0].tokens, g1.sequences[0].tokens, 'top_k=1 is greedy too');
  });

  it('top_p near 0 keeps only the most likely token; high temperature spreads the choice', async () => {
    const narrow = await run({ max_tokens: 10, top_p: 1e-6, seed: 3 });
    const greedy = await run({ max_tokens: 10, temperature: 0 });
    assert.deepEqual(narrow.sequences[0].tokens, greedy.sequences[0].tokens);
    const hot = await run({ max_tokens: 10, temperature: 5, seed: 3 }, { num_samples: 8 });
    const firsts = new Set(hot.sequences.map((x: { tokens: number[] }) => x.tokens[0]));
    assert.ok(firsts.size >= 4, `temperature 5 should vary the first token (${firsts.size} distinct)`);
  });

  it('stops on a stop string matched in decoded text, on a stop token id, and at max_tokens', async () => {
    const free = await run({ max_tokens: 40, seed: 11 });
    const text = tok().decode(free.sequences[0].tokens);
    const word = text.trim().split(/\s+/)[2]!;
    const stopped = await run({ max_tokens: 40, seed: 11, stop: [word] });
    const got: number[] = stopped.sequences[0].tokens;
    assert.equal(stopped.sequences[0].stop_reason, 'stop');
    assert.deepEqual(got, free.sequences[0].tokens.slice(0, got.length), 'same seed, same tokens up to the stop');
    assert.ok(tok().decode(got).includes(word), 'the stop string is in the text');
    assert.ok(!tok().decode(got.slice(0, -1)).includes(word), 'generation stopped at the token that completed it');

    const stopId = free.sequences[0].tokens[1];
    const byId = await run({ max_tokens: 40, seed: 11, stop: [stopId] });
    assert.deepEqual(byId.sequences[0].tokens, free.sequences[0].tokens.slice(0, 2));
    assert.equal(byId.sequences[0].stop_reason, 'stop');

    const capped = await run({ max_tokens: 3, seed: 11 });
    assert.deepEqual([capped.sequences[0].tokens.length, capped.sequences[0].stop_reason], [3, 'length']);
  });

  it('returns prompt_logprobs (first null) and topk_prompt_logprobs ([[id, logprob]], first null)', async () => {
    const p = encode('Rain came in from the west');
    const r = await run({ max_tokens: 1 }, { prompt_logprobs: true, topk_prompt_logprobs: 3 }, p);
    assert.equal(r.prompt_logprobs.length, p.length);
    assert.equal(r.prompt_logprobs[0], null);
    assert.ok(r.prompt_logprobs.slice(1).every((x: number) => Number.isFinite(x) && x < 0));
    assert.equal(r.topk_prompt_logprobs[0], null);
    for (const row of r.topk_prompt_logprobs.slice(1)) {
      assert.equal(row.length, 3);
      assert.ok(row[0][1] >= row[1][1] && row[1][1] >= row[2][1]);
    }
    // "came in from the west" is corpus text, so each step's truth sits near the top.
    assert.ok(r.prompt_logprobs[3] > -3);
  });

  it('dedupes a repeated seq_id with the same payload and answers 409 for a different one', async () => {
    const body = {
      num_samples: 1,
      sampling_session_id: sampler,
      seq_id: 77,
      prompt: prompt([785]),
      sampling_params: { max_tokens: 3, seed: 1 },
    };
    const a = await post(base, '/api/v1/asample', body);
    const b = await post(base, '/api/v1/asample', body);
    assert.equal(a.json.request_id, b.json.request_id);
    assert.match(a.json.request_id, /^sample_[0-9a-f]{32}$/);
    const c = await post(base, '/api/v1/asample', { ...body, sampling_params: { max_tokens: 4 } });
    assert.equal(c.status, 409);
    assert.match(c.json.detail, /seq_id 77/);
    assert.equal((await result(base, a.json.request_id)).sequences[0].tokens.length, 3);
  });

  it('answers 429 backpressure when the header is sent and too many samples are in flight', async () => {
    await post(base, '/_emulator/config', { latencyMs: 2_000, samplingBackpressureLimit: 2 });
    try {
      const body = { num_samples: 1, sampling_session_id: sampler, prompt: prompt([785]), sampling_params: { max_tokens: 1 } };
      const h = { 'X-Tinker-Sampling-Backpressure': '1' };
      assert.equal((await post(base, '/api/v1/asample', body, h)).status, 200);
      assert.equal((await post(base, '/api/v1/asample', body, h)).status, 200);
      const third = await post(base, '/api/v1/asample', body, h);
      assert.deepEqual([third.status, third.json], [429, { detail: 'Sampling backpressure: server overloaded' }]);
      assert.equal((await post(base, '/api/v1/asample', body)).status, 200, 'without the header MinT does not push back');
    } finally {
      await post(base, '/_emulator/config', { latencyMs: 0, samplingBackpressureLimit: 64 });
    }
  });

  it('explains unknown sessions (404), bad paths (400/404), out-of-vocabulary ids and image chunks (400), and 409 on a reused session id', async () => {
    const unknown = await post(base, '/api/v1/asample', {
      num_samples: 1,
      sampling_session_id: 'nope:sample:1',
      prompt: prompt([1]),
      sampling_params: { max_tokens: 1 },
    });
    assert.equal(unknown.status, 404);
    assert.match(unknown.json.detail, /create_sampling_session/);
    const weights = await post(base, '/api/v1/create_sampling_session', {
      session_id: s,
      sampling_session_seq_id: 5,
      model_path: 'mint://run_0/weights/x',
    });
    assert.equal(weights.status, 400);
    assert.match(weights.json.detail, /sampler_weights/);
    const missing = await post(base, '/api/v1/create_sampling_session', {
      session_id: s,
      sampling_session_seq_id: 6,
      model_path: 'mint://run_0/sampler_weights/x',
    });
    assert.equal(missing.status, 404);
    assert.match(missing.json.detail, /Checkpoint not found: mint:\/\/run_0\/sampler_weights\/x/);
    const garbage = await post(base, '/api/v1/create_sampling_session', { session_id: s, sampling_session_seq_id: 7, model_path: 'hello' });
    assert.equal(garbage.status, 400);
    const oov = await post(base, '/api/v1/asample', {
      num_samples: 1,
      sampling_session_id: sampler,
      prompt: prompt([999_999]),
      sampling_params: { max_tokens: 1 },
    });
    assert.equal(oov.status, 400);
    assert.match(oov.json.detail, /outside the vocabulary/);
    const image = await post(base, '/api/v1/asample', {
      num_samples: 1,
      sampling_session_id: sampler,
      prompt: { chunks: [{ type: 'image', data: 'AAAA', format: 'png' }] },
      sampling_params: { max_tokens: 1 },
    });
    assert.equal(image.status, 400);
    const clash = await post(base, '/api/v1/create_sampling_session', {
      session_id: s,
      sampling_session_seq_id: 0,
      base_model: 'Qwen/Qwen3-4B-Instruct-2507',
    });
    assert.equal(clash.status, 409);
  });

  it('samples directly by base_model without a session', async () => {
    const r = await sample(base, {
      base_model: 'Qwen/Qwen3-4B-Instruct-2507',
      prompt: prompt(encode('Snow')),
      sampling_params: { max_tokens: 5, seed: 2 },
    });
    const n = r.sequences[0].tokens.length;
    assert.ok(n >= 1 && n <= 5);
  });
});
