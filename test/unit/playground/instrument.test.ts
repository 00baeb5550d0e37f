/**
 * The playground as an instrument, host side, against the real emulator over loopback: fan-out,
 * generated-token alternatives (the server's topk_sample_logprobs, its feature detection, and the
 * scoring request that stands in where a server lacks it), branches, and scored completions.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ModelInput, type ServiceClient } from '../../../src/mint/index';
import { loadTokenizer, type MintTokenizer } from '../../../src/mint/tokenizer';
import { prepareNative, sampleTarget, addAlternatives, type TargetJob } from '../../../src/vscode/playground/sampler';
import { branchSample, scoreCompletion } from '../../../src/vscode/playground/instrument';
import type { OperationTracker } from '../../../src/vscode/operations';
import type { TokenizerLookup } from '../../../src/vscode/playground/tokenizers';
import type { ModelInfo } from '../../../src/shared/playground';
import { BASE_MODEL, TestServer, clientFor } from '../client/support';

const bundledDir = join(process.cwd(), 'dist/tokenizers');
const MODELS: ModelInfo[] = [{ model_name: BASE_MODEL, max_context_length: 32768 }];
const tokenizers = {
  async get(model: string): Promise<TokenizerLookup> {
    return { tokenizer: await loadTokenizer(model, { bundledDir, hub: false }) };
  },
};

function tracker(): OperationTracker & { ids: string[] } {
  const ids: string[] = [];
  return {
    signal: new AbortController().signal,
    ids,
    requestId: (id) => void (id && ids.push(id)),
    onQueueState: () => undefined,
    onRetryWait: () => undefined,
  };
}

type Body = {
  prompt: { chunks: Array<{ tokens: number[] }> };
  num_samples: number;
  sampling_params: { max_tokens: number };
  topk_sample_logprobs?: number;
  topk_prompt_logprobs?: number;
  prompt_logprobs?: boolean;
};

describe('playground instrument against the emulator', function () {
  this.timeout(60_000);
  let server: TestServer;
  let client: ServiceClient;
  let tok: MintTokenizer;

  before(async () => {
    server = await TestServer.start();
    tok = await loadTokenizer(BASE_MODEL, { bundledDir, hub: false });
  });
  after(async () => server.close());
  beforeEach(async () => {
    await server.reset();
    ({ client } = clientFor(server));
  });
  afterEach(async () => client.close());

  const job = (over: Partial<TargetJob['params']> = {}): TargetJob => ({
    target: { base_model: BASE_MODEL },
    prompt: { mode: 'raw', text: 'The quick brown fox' },
    params: { max_tokens: 12, temperature: 1, seed: 11, num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0, ...over },
    models: MODELS,
    checkpoints: [],
    tokenizers,
    onQueue: () => undefined,
  });
  const samples = async (): Promise<Body[]> => (await server.requestsTo('/api/v1/asample')).map((r) => r.body as Body);

  it('fans out 32 samples in one request (MinT sets no cap), each with its own tokens', async () => {
    const o = await sampleTarget(client, tracker(), job({ num_samples: 32 }));
    assert.equal(o.status, 'done');
    assert.equal(o.samples!.length, 32);
    const sent = await samples();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.num_samples, 32);
    assert.ok(new Set(o.samples!.map((s) => s.text)).size > 1, 'all 32 samples are the same');
  });

  it('a fan-out in text mode (no tokenizer) sends its requests a few at a time and keeps every sample', async () => {
    const noTok = { get: async (m: string): Promise<TokenizerLookup> => ({ problem: `no tokenizer for ${m} here` }) };
    await server.config({ latencyMs: 0 });
    const o = await sampleTarget(client, tracker(), { ...job({ num_samples: 9, seed: undefined }), tokenizers: noTok });
    assert.equal(o.via, 'openai');
    assert.equal(o.samples!.length, 9);
    assert.ok(o.samples!.every((s) => typeof s.text === 'string' && s.stop_reason));
    assert.equal((await server.requestsTo('/oai/api/v1/completions')).length, 9);
  });

  it("uses the server's topk_sample_logprobs for generated tokens when it has them: no scoring request", async () => {
    const o = await sampleTarget(client, tracker(), job({ topk_sample_logprobs: 4 }));
    const s = o.samples![0]!;
    assert.equal(s.alts, 'server');
    assert.equal((await samples()).length, 1);
    assert.equal((await samples())[0]!.topk_sample_logprobs, 4);
    const t = s.tokens!;
    assert.equal(t.topk!.length, t.ids.length);
    for (let i = 0; i < t.ids.length; i++) {
      const row = t.topk![i]!;
      assert.equal(row.length, 4);
      // The sampled token's own logprob matches its entry when it is listed.
      const mine = row.find(([id]) => id === t.ids[i]);
      if (mine) assert.ok(Math.abs(mine[2] - t.logprobs![i]!) < 1e-9);
      assert.equal(row[0]![1], tok.decode([row[0]![0]]));
    }
  });

  it('a server that refuses topk_sample_logprobs (422): retried once without, remembered, and the alternatives come from one scoring request', async () => {
    await server.fault({
      route: '/api/v1/asample',
      status: 422,
      body: { detail: [{ loc: ['body', 'topk_sample_logprobs'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' }] },
      times: 1,
    });
    const t = tracker();
    const o = await sampleTarget(client, t, job({ topk_sample_logprobs: 3 }));
    const s = o.samples![0]!;
    assert.equal(s.alts, 'scored');
    const sent = await samples();
    // The refused POST, the same request without the field, then the scoring request.
    assert.equal(sent.length, 3);
    assert.equal(sent[0]!.topk_sample_logprobs, 3);
    assert.equal(sent[1]!.topk_sample_logprobs, undefined);
    const scoring = sent[2]!;
    assert.equal(scoring.sampling_params.max_tokens, 1);
    assert.equal(scoring.topk_prompt_logprobs, 3);
    const promptIds = tok.encode('The quick brown fox');
    assert.deepEqual(scoring.prompt.chunks[0]!.tokens, [...promptIds, ...s.tokens!.ids]);
    assert.equal(s.score_request_id, t.ids.at(-1));
    assert.equal(s.tokens!.topk!.length, s.tokens!.ids.length);
    // The scored logprob of each generated token is the one the sampler reported for it.
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    const again = await sampler.sample({
      prompt: ModelInput.fromInts([...promptIds, ...s.tokens!.ids]),
      sampling_params: { max_tokens: 1 },
      prompt_logprobs: true,
    });
    for (let i = 0; i < s.tokens!.ids.length; i++) {
      assert.ok(Math.abs(again.prompt_logprobs![promptIds.length + i]! - s.tokens!.logprobs![i]!) < 1e-9, `token ${i}`);
    }
    // Remembered: the next sample on this client does not send the field again.
    await server.clearRequests();
    await sampleTarget(client, tracker(), job({ topk_sample_logprobs: 3 }));
    assert.equal((await samples())[0]!.topk_sample_logprobs, undefined);
  });

  it('a 400 that is not about the field (the retry without it fails too) is thrown, and the field is still sent next time', async () => {
    await server.fault({ route: '/api/v1/asample', status: 400, body: { detail: 'Prompt too long' }, times: 2 });
    await assert.rejects(sampleTarget(client, tracker(), job({ topk_sample_logprobs: 2 })), /Prompt too long/);
    const sent = await samples();
    assert.equal(sent.length, 2);
    assert.equal(sent[0]!.topk_sample_logprobs, 2);
    assert.equal(sent[1]!.topk_sample_logprobs, undefined);
    await server.clearRequests();
    const o = await sampleTarget(client, tracker(), job({ topk_sample_logprobs: 2 }));
    assert.equal(o.samples![0]!.alts, 'server');
    assert.equal((await samples())[0]!.topk_sample_logprobs, 2);
  });

  it('alternatives on demand: one scoring request fills top-k and the token ranks', async () => {
    const o = await sampleTarget(client, tracker(), job());
    const s = o.samples![0]!;
    assert.equal(s.tokens!.topk, undefined);
    const prep = await prepareNative(client, tracker(), job(), 100);
    assert.ok('native' in prep);
    await addAlternatives(prep.native, tracker(), s, 5);
    assert.equal(s.alts, 'scored');
    assert.equal(s.tokens!.topk!.length, s.tokens!.ids.length);
    assert.ok(s.tokens!.topk!.every((row) => row!.length === 5));
  });

  it('a branch keeps the prefix exactly, puts the chosen token at its place, and continues from there', async () => {
    const o = await sampleTarget(client, tracker(), job({ max_tokens: 10, topk_sample_logprobs: 3 }));
    const parent = o.samples![0]!.tokens!;
    const at = 3;
    const alt = parent.topk![at]!.find(([id]) => id !== parent.ids[at])!;
    await server.clearRequests();
    const r = await branchSample(client, tracker(), job({ max_tokens: 10 }), { parent, at, token: { id: alt[0] } });
    assert.ok('sample' in r, JSON.stringify(r));
    const ids = r.sample.tokens!.ids;
    assert.deepEqual(ids.slice(0, at), parent.ids.slice(0, at));
    assert.equal(ids[at], alt[0]);
    const sent = await samples();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]!.prompt.chunks[0]!.tokens, [...tok.encode('The quick brown fox'), ...parent.ids.slice(0, at), alt[0]]);
    assert.equal(sent[0]!.sampling_params.max_tokens, 10 - at - 1);
    // The chosen token's logprob is the one its alternative listed.
    assert.ok(Math.abs(r.sample.tokens!.logprobs![at]! - alt[2]) < 1e-12);
    // A typed token goes through the tokenizer.
    const typed = await branchSample(client, tracker(), job({ max_tokens: 10 }), { parent, at: 1, token: { text: ' banana' } });
    assert.ok('sample' in typed);
    assert.deepEqual(typed.sample.tokens!.ids.slice(0, 1 + tok.encode(' banana').length), [parent.ids[0], ...tok.encode(' banana')]);
  });

  it("scores a completion: per-token logprobs equal the emulator's prompt logprobs, with total and mean", async () => {
    const completion = ' jumps over the lazy dog.';
    const o = await scoreCompletion(client, tracker(), job(), completion);
    assert.equal(o.status, 'done');
    const t = o.samples![0]!.tokens!;
    const ids = tok.encode(completion, { addSpecialTokens: false });
    assert.deepEqual(t.ids, ids);
    const promptIds = tok.encode('The quick brown fox');
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    const ref = await sampler.sample({
      prompt: ModelInput.fromInts([...promptIds, ...ids]),
      sampling_params: { max_tokens: 1 },
      prompt_logprobs: true,
    });
    const expected = ids.map((_, i) => ref.prompt_logprobs![promptIds.length + i]!);
    t.logprobs!.forEach((lp, i) => assert.ok(Math.abs(lp! - expected[i]!) < 1e-9, `token ${i}`));
    const total = expected.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(o.score!.total - total) < 1e-9);
    assert.ok(Math.abs(o.score!.mean - total / ids.length) < 1e-9);
    assert.equal(o.score!.tokens, ids.length);
  });
});
