import assert from 'node:assert/strict';
import {
  Datum,
  ModelInput,
  chunkData,
  mergeMetrics,
  parseCheckpointPath,
  type ServiceClient,
  type TrainingClient,
} from '../../../src/mint/index';
import { BASE_MODEL, type TestServer, useTestServer, prompt } from './support';

describe('Datum helper, chunking and metric merging', () => {
  it('infers dtype from the key, always sets shape, and adds weights when missing', () => {
    const d = Datum.from({ model_input: [1, 2, 3], loss_fn_inputs: { target_tokens: [2, 3, 4], advantages: [0.5, 0, 1] } });
    assert.deepEqual(d.model_input, ModelInput.fromInts([1, 2, 3]));
    assert.deepEqual(d.loss_fn_inputs.target_tokens, { data: [2, 3, 4], dtype: 'int64', shape: [3] });
    assert.deepEqual(d.loss_fn_inputs.advantages, { data: [0.5, 0, 1], dtype: 'float32', shape: [3] });
    assert.deepEqual(d.loss_fn_inputs.weights, { data: [1, 1, 1], dtype: 'float32', shape: [3] });
    const w = Datum.from({ model_input: [1, 2], loss_fn_inputs: { target_tokens: [2, 3], weights: [0, 1] } });
    assert.deepEqual(w.loss_fn_inputs.weights!.data, [0, 1]);
    const t = Datum.from({ model_input: [1], loss_fn_inputs: { target_tokens: { data: [7], dtype: 'int64' } } });
    assert.deepEqual(t.loss_fn_inputs.target_tokens!.shape, [1]);
  });

  it('chunks at 1024 datums and at ~5 MB', () => {
    const small = Datum.from({ model_input: [1], loss_fn_inputs: { target_tokens: [1] } });
    assert.deepEqual(
      chunkData(new Array(2049).fill(small)).map((c) => c.length),
      [1024, 1024, 1],
    );
    // 100k tokens x 3 arrays x 10 bytes = 3 MB each: two cannot share a 5 MB chunk.
    const ids = new Array(100_000).fill(1);
    const big = Datum.from({ model_input: ids, loss_fn_inputs: { target_tokens: ids } });
    assert.deepEqual(
      chunkData([big, big, big]).map((c) => c.length),
      [1, 1, 1],
    );
  });

  it('merges metrics by suffix, weighting means by datum count', () => {
    const m = mergeMetrics([
      { metrics: { 'loss:mean': 1, 'n:sum': 3, 'lr:max': 2, 'lr:min': 2, 'x:unique': 7 }, weight: 3 },
      { metrics: { 'loss:mean': 3, 'n:sum': 1, 'lr:max': 5, 'lr:min': 5, 'x:unique': 7 }, weight: 1 },
    ]);
    assert.deepEqual(m, { 'loss:mean': 1.5, 'n:sum': 4, 'lr:max': 5, 'lr:min': 2, 'x:unique': 7 });
  });
});

describe('TrainingClient against the emulator', function () {
  this.timeout(40_000);
  let server: TestServer;
  let client: ServiceClient;

  useTestServer((t) => ({ server, client } = t));

  /** Token ids the emulator's model knows (it only learns over its active vocabulary). */
  async function knownTokens(n: number): Promise<number[]> {
    const base = await client.createSamplingClient({ base_model: BASE_MODEL });
    const r = await base.sample({ prompt: prompt([785]), sampling_params: { max_tokens: n, seed: 11 }, num_samples: 4 });
    const ids = [...new Set(r.sequences.flatMap((s) => s.tokens))];
    assert.ok(ids.length >= 6, 'the base model sampled too few distinct tokens');
    return ids;
  }

  it('SFT: cross_entropy loss goes down over 10 steps and the sampler checkpoint samples differently from the base', async () => {
    const ids = await knownTokens(24);
    // A fixed "sentence" the base model would not produce: a cycle over six known tokens.
    const cycle = ids.slice(0, 6);
    const seq = Array.from({ length: 25 }, (_, i) => cycle[i % cycle.length]!);
    const examples = [0, 1, 2, 3].map((k) => {
      const s = seq.slice(k, k + 20);
      return Datum.from({ model_input: s.slice(0, -1), loss_fn_inputs: { target_tokens: s.slice(1) } });
    });

    const trainer: TrainingClient = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 8, seed: 1 });
    assert.ok(trainer.model_id);
    const losses: number[] = [];
    for (let step = 0; step < 10; step++) {
      // Queued back to back: the client keeps seq_id order without waiting for the first result.
      const fb = trainer.forwardBackward(examples, 'cross_entropy');
      const opt = trainer.optimStep({ learning_rate: 0.05 });
      const [out] = await Promise.all([fb, opt]);
      assert.equal(out.loss_fn_outputs.length, examples.length);
      losses.push(out.metrics['loss:mean']!);
    }
    assert.ok(losses.every(Number.isFinite));
    assert.ok(losses.at(-1)! < losses[0]! * 0.7, `loss did not go down enough: ${losses.map((l) => l.toFixed(3)).join(' ')}`);

    const posts = (await server.requests()).filter((r) => /\/api\/v1\/(forward_backward|optim_step)$/.test(r.path));
    const seqIds = posts.map((p) => (p.body as { seq_id: number }).seq_id);
    assert.deepEqual(
      seqIds,
      Array.from({ length: 20 }, (_, i) => i + 1),
      'seq_ids must arrive strictly in order from 1',
    );
    assert.ok(posts.every((p) => p.path.endsWith('optim_step') || JSON.stringify(p.body).includes('"weights"')));

    const saved = await trainer.saveWeightsForSampler('sft-final');
    const parsed = parseCheckpointPath(saved.path);
    assert.equal(parsed.kind, 'sampler_weights');
    assert.equal(parsed.scheme, 'mint');
    assert.equal(parsed.name, 'sft-final');

    const base = await client.createSamplingClient({ base_model: BASE_MODEL });
    const tuned = await client.createSamplingClient({ model_path: saved.path });
    const req = { prompt: prompt([cycle[0]!]), sampling_params: { max_tokens: 12, seed: 5, temperature: 0.7 } };
    const [b, t] = await Promise.all([base.sample(req), tuned.sample(req)]);
    assert.notDeepEqual(t.sequences[0]!.tokens, b.sequences[0]!.tokens);
    // And the difference is the training: the tuned model follows the cycle more often.
    const follows = (toks: number[]) => toks.filter((tok, i) => tok === cycle[(i + 1) % cycle.length]).length;
    assert.ok(
      follows(t.sequences[0]!.tokens) > follows(b.sequences[0]!.tokens),
      `tuned ${t.sequences[0]!.tokens} vs base ${b.sequences[0]!.tokens}`,
    );

    const state = await trainer.saveState('step-10');
    assert.equal(parseCheckpointPath(state.path).checkpoint_type, 'training');
    const loaded = await trainer.loadState(state.path);
    assert.ok(loaded.request_id);
    const fwd = await trainer.forward(examples, 'cross_entropy');
    assert.ok(
      fwd.metrics['loss:mean']! < losses[0]! * 0.7,
      `forward after loadState should see the trained weights: ${fwd.metrics['loss:mean']}`,
    );
  });

  it('a batch above 1024 datums is sent as ordered chunks and merged', async () => {
    const ids = await knownTokens(8);
    const d = Datum.from({ model_input: [ids[0]!, ids[1]!], loss_fn_inputs: { target_tokens: [ids[1]!, ids[2]!] } });
    const trainer = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
    await server.clearRequests();
    const out = await trainer.forwardBackward(new Array(1030).fill(d), 'cross_entropy');
    assert.equal(out.loss_fn_outputs.length, 1030);
    assert.equal(out.metrics['num_samples:sum'], 1030);
    assert.equal(out.request_ids.length, 2);
    const posts = await server.requestsTo('/api/v1/forward_backward');
    assert.deepEqual(
      posts.map((p) => (p.body as { seq_id: number }).seq_id),
      [1, 2],
    );
    assert.deepEqual(
      posts.map((p) => (p.body as { forward_backward_input: { data: unknown[] } }).forward_backward_input.data.length),
      [1024, 6],
    );
  });

  it('an op cancelled while it waits its turn takes no seq_id, so the ops after it are not held back', async () => {
    const ids = await knownTokens(8);
    const d = Datum.from({ model_input: [ids[0]!, ids[1]!], loss_fn_inputs: { target_tokens: [ids[1]!, ids[2]!] } });
    const trainer = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
    await server.clearRequests();
    // The first POST's reply is slow, so the second op is still waiting its turn when it is cancelled.
    await server.fault({ route: '/api/v1/forward_backward', times: 1, delayMs: 400 });
    const first = trainer.forwardBackward([d], 'cross_entropy');
    const abort = new AbortController();
    const cancelled = trainer.forwardBackward([d], 'cross_entropy', undefined, { signal: abort.signal });
    const third = trainer.optimStep({ learning_rate: 0.01 }, { timeoutMs: 10_000 });
    abort.abort();
    await assert.rejects(cancelled, (e: Error) => e.name === 'CancelledError');
    await first;
    await third; // before the fix the server waited forever for the cancelled op's seq_id
    const sent = [...(await server.requestsTo('/api/v1/forward_backward')), ...(await server.requestsTo('/api/v1/optim_step'))];
    assert.deepEqual(sent.map((p) => (p.body as { seq_id: number }).seq_id).sort(), [1, 2]);
  });

  it('saveWeightsAndGetSamplingClient returns a client that samples the current weights', async () => {
    const trainer = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 4 });
    const sampler = await trainer.saveWeightsAndGetSamplingClient();
    const r = await sampler.sample({ prompt: prompt([785]), sampling_params: { max_tokens: 4, seed: 1 } });
    assert.equal(r.sequences.length, 1);
  });
});
