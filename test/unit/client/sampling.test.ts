import assert from 'node:assert/strict';
import { RequestFailedError, withSampleRetries, type SamplingClient, type ServiceClient } from '../../../src/mint/index';
import { BASE_MODEL, type TestServer, useTestServer, caught, prompt } from './support';

describe('SamplingClient', function () {
  this.timeout(20_000);
  let server: TestServer;
  let client: ServiceClient;

  useTestServer((t) => ({ server, client } = t));

  it('sends the full request (max_tokens always, seq_id from 0, logprob flags) and returns samples with prompt logprobs', async () => {
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    const r = await sampler.sample({
      prompt: prompt([785, 6815, 678]),
      sampling_params: { max_tokens: 6, seed: 7, temperature: 0.8, top_p: 0.9, top_k: 50 },
      num_samples: 3,
      prompt_logprobs: true,
      topk_prompt_logprobs: 2,
    });
    assert.equal(r.sequences.length, 3);
    for (const s of r.sequences) {
      assert.ok(['stop', 'length', 'eos'].includes(s.stop_reason));
      assert.ok(s.tokens.length > 0 && s.tokens.length <= 6);
      assert.equal(s.logprobs?.length, s.tokens.length);
    }
    assert.equal(r.prompt_logprobs?.length, 3);
    assert.equal(r.prompt_logprobs?.[0], null);
    assert.ok(r.topk_prompt_logprobs?.[1]?.every(([id, lp]) => Number.isInteger(id) && lp <= 0));
    const [post] = await server.requestsTo('/api/v1/asample');
    assert.deepEqual(post!.body, {
      sampling_session_id: sampler.sampling_session_id,
      seq_id: 0,
      num_samples: 3,
      prompt: prompt([785, 6815, 678]),
      sampling_params: { max_tokens: 6, seed: 7, temperature: 0.8, top_p: 0.9, top_k: 50 },
      prompt_logprobs: true,
      topk_prompt_logprobs: 2,
      type: 'sample',
    });
  });

  it('the same seed gives the same tokens, with a new request id per call', async () => {
    const a = await client.createSamplingClient({ base_model: BASE_MODEL });
    const req = { prompt: prompt([785]), sampling_params: { max_tokens: 8, seed: 42 } };
    const [x, y] = await Promise.all([a.sample(req), a.sample(req)]);
    assert.deepEqual(x.sequences[0]!.tokens, y.sequences[0]!.tokens);
    assert.notEqual(x.request_id, y.request_id);
  });

  describe('withSampleRetries (opt-in)', () => {
    const req = { prompt: prompt([785]), sampling_params: { max_tokens: 3 } };

    it('retries a RequestFailedError after each delay, on the same client', async () => {
      await server.fault({ route: '/api/v1/asample', futureError: { error: 'transient', category: 'server' }, times: 2 });
      const retries: number[] = [];
      let made = 0;
      const r = await withSampleRetries(
        () => (made++, client.createSamplingClient({ base_model: BASE_MODEL })),
        (s: SamplingClient) => s.sample(req),
        { delaysMs: [20, 40, 80], onRetry: (i) => retries.push(i.delayMs) },
      );
      assert.equal(r.sequences.length, 1);
      assert.deepEqual(retries, [20, 40]);
      assert.equal(made, 1);
    });

    it('after the delays are spent it tries once on a fresh sampling client, then gives up', async () => {
      await server.fault({ route: '/api/v1/asample', futureError: { error: 'stuck', category: 'server' }, times: 4 });
      const fresh: boolean[] = [];
      const r = await withSampleRetries(
        () => client.createSamplingClient({ base_model: BASE_MODEL }),
        (s) => s.sample(req),
        { delaysMs: [10, 10, 10], onRetry: (i) => fresh.push(i.freshClient) },
      );
      assert.equal(r.sequences.length, 1);
      assert.deepEqual(fresh, [false, false, false, true]);
      assert.equal((await server.requestsTo('/api/v1/create_sampling_session')).length, 2);

      await server.fault({ route: '/api/v1/asample', futureError: { error: 'down', category: 'server' }, times: -1 });
      const err = await caught(() =>
        withSampleRetries(
          () => client.createSamplingClient({ base_model: BASE_MODEL }),
          (s) => s.sample(req),
          { delaysMs: [5, 5, 5] },
        ),
      );
      assert.ok(err instanceof RequestFailedError);
      await server.clearFaults();
    });

    it('other errors are not retried by the helper', async () => {
      await server.fault({ route: '/api/v1/asample', status: 400 });
      let calls = 0;
      const err = await caught(() =>
        withSampleRetries(
          () => client.createSamplingClient({ base_model: BASE_MODEL }),
          (s) => (calls++, s.sample(req)),
          { delaysMs: [5] },
        ),
      );
      assert.equal(calls, 1);
      assert.ok(!(err instanceof RequestFailedError));
    });
  });
});
