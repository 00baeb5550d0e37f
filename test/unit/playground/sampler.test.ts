/**
 * The playground's sampling path (prompt -> tokens -> /asample -> token view) against the real
 * emulator over loopback: no VS Code needed for this part, so it is tested here in plain Node.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CancelledError, Datum, RequestFailedError, type RetryWaitEvent, type ServiceClient } from '../../../src/mint/index';
import { loadTokenizer, type MintTokenizer } from '../../../src/mint/tokenizer';
import { promptTokens, sampleTarget, type TargetJob } from '../../../src/vscode/playground/sampler';
import { toQueueInfo } from '../../../src/vscode/playground/convert';
import type { OperationTracker } from '../../../src/vscode/operations';
import type { TokenizerLookup } from '../../../src/vscode/playground/tokenizers';
import type { ModelInfo, QueueInfo } from '../../../src/shared/playground';
import { API_KEY, BASE_MODEL, TestServer, assertNoKey, clientFor } from '../client/support';

const bundledDir = join(process.cwd(), 'dist/tokenizers');
const MODELS: ModelInfo[] = [{ model_name: BASE_MODEL, max_context_length: 32768 }];

const tokenizers = {
  async get(model: string): Promise<TokenizerLookup> {
    return { tokenizer: await loadTokenizer(model, { bundledDir, hub: false }) };
  },
};
const noTokenizers = { get: async (model: string): Promise<TokenizerLookup> => ({ problem: `no tokenizer for ${model} in this test` }) };

function tracker(signal = new AbortController().signal): OperationTracker & { ids: string[]; waits: RetryWaitEvent[] } {
  const ids: string[] = [];
  const waits: RetryWaitEvent[] = [];
  return {
    signal,
    ids,
    waits,
    requestId: (id) => void (id && ids.push(id)),
    onQueueState: () => undefined,
    onRetryWait: (e) => waits.push(e),
  };
}

describe('playground sampling against the emulator', function () {
  this.timeout(40_000);
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

  const job = (over: Partial<TargetJob>): TargetJob => ({
    target: { base_model: BASE_MODEL },
    prompt: { mode: 'raw', text: 'The quick brown fox' },
    params: { max_tokens: 16, temperature: 0.8, seed: 3, num_samples: 2, prompt_logprobs: false, topk_prompt_logprobs: 0 },
    models: MODELS,
    checkpoints: [],
    tokenizers,
    onQueue: () => undefined,
    ...over,
  });

  it('a rate limit while sampling: shown in the column and the tracker as it happens; the wait is not generation time', async () => {
    await server.fault({ route: '/api/v1/asample', status: 429, times: 2, headers: { 'retry-after-ms': '700' } });
    const t = tracker();
    const queue: QueueInfo[] = [];
    const out = await sampleTarget(client, t, job({ onQueue: (q) => queue.push(q) }));
    assert.equal(out.status, 'done');
    assert.deepEqual(
      t.waits.map((w) => [w.reason, w.delayMs, w.status]),
      [
        ['rate_limited', 700, 429],
        ['rate_limited', 700, 429],
      ],
    );
    const waits = queue.filter((q) => q.retry_in_ms !== undefined);
    assert.deepEqual(
      waits.map((q) => [q.retry_reason, q.retry_in_ms]),
      [
        ['rate limited', 700],
        ['rate limited', 700],
      ],
    );
    assert.ok(out.latency_ms! >= 1_400, `latency ${out.latency_ms}`);
    assert.ok(out.wait_ms! >= 1_400 && out.wait_ms! <= out.latency_ms!, `wait ${out.wait_ms} of ${out.latency_ms}`);
    assert.ok(out.latency_ms! - out.wait_ms! < 1_000, 'the generating part holds the rate-limit wait');
  });

  it('raw mode: sends the tokenized text and shows each sampled token with its logprob', async () => {
    const t = tracker();
    const o = await sampleTarget(client, t, job({}));
    assert.equal(o.status, 'done');
    assert.equal(o.via, 'native');
    assert.ok(o.request_id && t.ids.includes(o.request_id));
    assert.equal(o.prompt_tokens, tok.encode('The quick brown fox').length);
    assert.equal(o.samples?.length, 2);
    for (const s of o.samples!) {
      const v = s.tokens!;
      assert.ok(v.ids.length > 0 && v.ids.length <= 16);
      assert.equal(v.pieces.length, v.ids.length);
      assert.equal(v.pieces.join(''), tok.decode(v.ids));
      assert.equal(v.logprobs?.length, v.ids.length);
      assert.ok(
        v.logprobs!.every((lp) => lp !== null && lp <= 0),
        'logprobs are log-probabilities',
      );
      assert.ok(['stop', 'length', 'eos'].includes(s.stop_reason));
    }
    const [sent] = await server.requestsTo('/api/v1/asample');
    assert.deepEqual(
      (sent!.body as { prompt: { chunks: Array<{ tokens: number[] }> } }).prompt.chunks[0]!.tokens,
      tok.encode('The quick brown fox'),
    );
  });

  it('chat mode: renders the template, and returns prompt logprobs with top-k alternatives', async () => {
    const prompt = {
      mode: 'chat' as const,
      messages: [
        { role: 'system' as const, content: 'Be brief.' },
        { role: 'user' as const, content: 'Hello there' },
      ],
    };
    const o = await sampleTarget(
      client,
      tracker(),
      job({ prompt, params: { max_tokens: 8, num_samples: 1, prompt_logprobs: true, topk_prompt_logprobs: 3 } }),
    );
    assert.equal(o.status, 'done');
    const ids = promptTokens(tok, prompt);
    assert.equal(
      tok.decode(ids),
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n',
    );
    assert.deepEqual(o.prompt?.ids, ids);
    assert.equal(o.prompt?.logprobs?.length, ids.length);
    assert.equal(o.prompt?.logprobs?.[0], null, 'the first prompt token has no logprob');
    assert.equal(o.prompt?.topk?.length, ids.length);
    const row = o.prompt!.topk!.find((r) => r && r.length);
    assert.ok(row && row.length <= 3 && typeof row[0]![1] === 'string');
  });

  it('stops before sending when prompt + max_tokens exceed the context length', async () => {
    const o = await sampleTarget(client, tracker(), job({ models: [{ model_name: BASE_MODEL, max_context_length: 10 }] }));
    assert.equal(o.status, 'failed');
    assert.equal(o.error?.kind, 'ContextLengthExceeded');
    assert.match(o.error!.message, /over Qwen\/Qwen3-0\.6B's context length of 10\. Shorten the prompt or lower Max tokens/);
    assert.equal((await server.requestsTo('/api/v1/asample')).length, 0);
  });

  it('flags a weights/ path with the fix and sends nothing', async () => {
    const o = await sampleTarget(client, tracker(), job({ target: { model_path: 'mint://run-1/weights/step-10' } }));
    assert.equal(o.error?.kind, 'CheckpointPathError');
    assert.match(o.error!.message, /mint:\/\/run-1\/sampler_weights\/step-10/);
    assert.equal((await server.requests()).length, 0);
  });

  it('samples a trained LoRA checkpoint, resolving its base model for the tokenizer', async () => {
    const trainer = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4, seed: 1 });
    const ids = tok.encode(' fox fox fox fox fox fox fox fox');
    const d = Datum.from({ model_input: ids.slice(0, -1), loss_fn_inputs: { target_tokens: ids.slice(1) } });
    await Promise.all([trainer.forwardBackward([d], 'cross_entropy'), trainer.optimStep({ learning_rate: 0.05 })]);
    const saved = await trainer.saveWeightsForSampler('pg-test');
    const o = await sampleTarget(client, tracker(), job({ target: { model_path: saved.path } }));
    assert.equal(o.status, 'done', JSON.stringify(o.error));
    assert.equal(o.via, 'native');
    assert.ok((await server.requestsTo(`/training_runs/${trainer.model_id}`)).length >= 1, 'base model looked up through the REST run');
  });

  it('reports queue state while pending', async () => {
    await server.fault({ route: '/api/v1/asample', futurePendingPolls: 2, times: 1 });
    const seen: QueueInfo[] = [];
    const o = await sampleTarget(client, tracker(), job({ onQueue: (q) => seen.push(q) }));
    assert.equal(o.status, 'done');
    assert.ok(seen.length >= 1, 'no queue state reached the playground');
    assert.ok(seen[0]!.queue_state.length > 0);
  });

  it('cancel aborts the HTTP request promptly', async () => {
    await server.fault({ route: '/api/v1/asample', delayMs: 5_000, times: 1 });
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 200);
    await assert.rejects(sampleTarget(client, tracker(ac.signal), job({})), (e: unknown) => e instanceof CancelledError);
    assert.ok(Date.now() - t0 < 2_000, `cancel took ${Date.now() - t0} ms`);
  });

  it('a failed future surfaces as RequestFailedError with its request id, and no key', async () => {
    await server.fault({ route: '/api/v1/asample', futureError: { error: 'sampler crashed', category: 'system' }, times: 1 });
    const err = await sampleTarget(client, tracker(), job({})).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RequestFailedError);
    assert.ok(err.request_id.length > 0);
    assertNoKey(err);
  });

  it('without a tokenizer, falls back to text mode and says logprobs are unavailable', async () => {
    const o = await sampleTarget(
      client,
      tracker(),
      job({ tokenizers: noTokenizers, params: { max_tokens: 8, num_samples: 2, prompt_logprobs: false, topk_prompt_logprobs: 0 } }),
    );
    assert.equal(o.status, 'done');
    assert.equal(o.via, 'openai');
    assert.equal(o.samples?.length, 2);
    assert.ok(o.samples!.every((s) => s.tokens === undefined && typeof s.text === 'string'));
    assert.match(o.note ?? '', /no token ids or logprobs/);
    assert.equal((await server.requestsTo('/oai/api/v1/completions')).length, 2);
    assert.ok(!JSON.stringify(o).includes(API_KEY));
  });

  it("sends the parameters the form set; text mode leaves out what MinT's OpenAI routes refuse (top_k, seed) and says so", async () => {
    const params = {
      max_tokens: 6,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 20,
      seed: 11,
      stop: ['\n\n'],
      num_samples: 1,
      prompt_logprobs: false,
      topk_prompt_logprobs: 0,
    };
    assert.equal((await sampleTarget(client, tracker(), job({ params }))).status, 'done');
    const o = await sampleTarget(client, tracker(), job({ params, tokenizers: noTokenizers }));
    assert.equal(o.status, 'done', JSON.stringify(o.error));
    assert.match(o.note ?? '', /seed was not applied/);
    const [native] = await server.requestsTo('/api/v1/asample');
    assert.deepEqual((native!.body as { sampling_params: unknown }).sampling_params, {
      max_tokens: 6,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 20,
      seed: 11,
      stop: ['\n\n'],
    });
    const [text] = await server.requestsTo('/oai/api/v1/completions');
    const body = text!.body as Record<string, unknown>;
    assert.deepEqual([body.max_tokens, body.temperature, body.top_p, body.stop], [6, 0.5, 0.9, ['\n\n']]);
    assert.ok(!('top_k' in body) && !('seed' in body), `text mode sent a field MinT refuses: ${JSON.stringify(body)}`);
  });
});

describe('playground queue line from a queue-state event', function () {
  it("shows MinT's stage and progress, and never turns Retry-After into an ETA", function () {
    const q = toQueueInfo({
      request_id: 'r',
      queue_state: 'active',
      status: 'decode',
      retry_after_s: 1,
      progress: { tokens_generated: 3, max_tokens: 16 },
    });
    assert.deepEqual(q, { queue_state: 'active', stage: 'decode', tokens_generated: 3, max_tokens: 16 });
    const older = toQueueInfo({
      request_id: 'r',
      queue_state: 'paused_capacity',
      stage: 'queued',
      queue_position: 2,
      queue_depth: 5,
      eta_s: 4,
    });
    assert.deepEqual(older, { queue_state: 'paused_capacity', stage: 'queued', queue_position: 2, queue_depth: 5, eta_s: 4 });
  });
});
