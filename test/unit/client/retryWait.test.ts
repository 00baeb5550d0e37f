// onRetryWait: the client says why and how long it waits WHILE it waits, so a display can show a
// countdown during the retries instead of only after they all failed.
import assert from 'node:assert/strict';
import type { RetryWaitEvent, ServiceClient } from '../../../src/mint/index';
import { BASE_MODEL, type TestServer, useTestServer, prompt } from './support';

const ASAMPLE = '/api/v1/asample';
const RETRIEVE = '/api/v1/retrieve_future';

describe('client onRetryWait', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: ServiceClient;

  useTestServer((t) => ({ server, client } = t), { client: { maxRetries: 3 } });

  const req = { prompt: prompt([1, 2, 3]), sampling_params: { max_tokens: 4, seed: 1 } };

  it('a 429 on asample reports each wait, with its Retry-After, before waiting, and the sample still succeeds', async () => {
    await server.fault({ route: ASAMPLE, status: 429, times: 2, headers: { 'retry-after-ms': '400', 'X-Trace-Id': 'trace-429' } });
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    const seen: Array<RetryWaitEvent & { at: number }> = [];
    const res = await sampler.sample(req, { onRetryWait: (e) => seen.push({ ...e, at: Date.now() }) });
    assert.ok(res.sequences.length === 1);
    assert.deepEqual(
      seen.map(({ attempt, delayMs, status, reason, request_id, path }) => ({ attempt, delayMs, status, reason, request_id, path })),
      [
        { attempt: 1, delayMs: 400, status: 429, reason: 'rate_limited', request_id: 'trace-429', path: ASAMPLE },
        { attempt: 2, delayMs: 400, status: 429, reason: 'rate_limited', request_id: 'trace-429', path: ASAMPLE },
      ],
    );
    // Each event came before the wait it announces: the next attempt is at least delayMs later.
    const attempts = (await server.requestsTo(ASAMPLE)).map((r) => Date.parse(r.time));
    assert.equal(attempts.length, 3);
    for (let i = 0; i < 2; i++) assert.ok(attempts[i + 1]! - seen[i]!.at >= 350, `event ${i} came after its wait`);
  });

  it('a 429 while polling the future is reported with the future id', async () => {
    await server.fault({ route: RETRIEVE, status: 429, times: 1, headers: { 'retry-after-ms': '200' } });
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    const seen: RetryWaitEvent[] = [];
    const res = await sampler.sample(req, { onRetryWait: (e) => seen.push(e) });
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.reason, 'rate_limited');
    assert.equal(seen[0]!.delayMs, 200);
    assert.equal(seen[0]!.request_id, res.request_id);
  });

  it('a 5xx is a server_error wait, and a throwing display callback does not fail the call', async () => {
    await server.fault({ route: ASAMPLE, status: 500, times: 1, headers: { 'retry-after-ms': '50' } });
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    const seen: RetryWaitEvent[] = [];
    await sampler.sample(req, {
      onRetryWait: (e) => {
        seen.push(e);
        throw new Error('a display bug');
      },
    });
    assert.deepEqual(
      seen.map((e) => [e.reason, e.status]),
      [['server_error', 500]],
    );
  });
});
