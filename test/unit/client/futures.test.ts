import assert from 'node:assert/strict';
import {
  APIResponseValidationError,
  APITimeoutError,
  CancelledError,
  InternalServerError,
  NotFoundError,
  TinkerError,
  type QueueStateEvent,
  type SamplingClient,
  type ServiceClient,
} from '../../../src/mint/index';
import { BASE_MODEL, type TestServer, useTestServer, caught, prompt } from './support';

const RETRIEVE = '/api/v1/retrieve_future';
const ASAMPLE = '/api/v1/asample';
const params = { max_tokens: 4, seed: 3 };

describe('client futures (retrieve_future loop)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: ServiceClient;
  let sampler: SamplingClient;

  useTestServer((t) => ({ server, client } = t), {
    server: { longPollMs: 2_000 },
    client: { maxRetries: 3 },
    config: { latencyMs: 0, longPollMs: 2_000 },
  });
  beforeEach(async () => {
    sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    await server.clearRequests();
  });

  it("pending polls report MinT's queue state (status, stage; no position or ETA), then the result arrives", async () => {
    await server.fault({ route: ASAMPLE, futurePendingPolls: 3 });
    const seen: QueueStateEvent[] = [];
    const started = Date.now();
    const r = await sampler.sample({ prompt: prompt([1, 2, 3]), sampling_params: params }, { onQueueState: (e) => seen.push(e) });
    assert.equal(r.sequences.length, 1);
    assert.equal(r.sequences[0]!.tokens.length > 0, true);
    assert.equal(seen.length, 3);
    for (const e of seen) {
      assert.equal(e.request_id, r.request_id);
      assert.equal(e.queue_state, 'active');
      assert.equal(typeof e.status, 'string');
      assert.equal(typeof e.stage, 'string');
      assert.equal(e.queue_position, undefined);
      assert.equal(e.queue_depth, undefined);
      assert.equal(e.eta_s, undefined);
      assert.equal(e.retry_after_s, 1);
    }
    // Fast 408s (not long-polled) earn short escalating waits, never the full Retry-After.
    const took = Date.now() - started;
    assert.ok(took < 2_500, `took ${took} ms (honouring Retry-After: 1 on each would take 3 s)`);
    const polls = await server.requestsTo(RETRIEVE);
    assert.equal(polls.length, 4);
    assert.deepEqual(
      polls.map((p) => p.headers['x-tinker-request-iteration']),
      ['0', '1', '2', '3'],
    );
    assert.ok(polls.every((p) => p.headers['x-tinker-request-type'] === 'Sample'));
  });

  it('a long-polled future is polled once per window and answered as soon as it completes', async () => {
    await server.config({ latencyMs: 400, longPollMs: 2_000 });
    const r = await sampler.sample({ prompt: prompt([1, 2, 3]), sampling_params: params });
    assert.ok(r.request_id);
    assert.equal((await server.requestsTo(RETRIEVE)).length, 1);
  });

  it('when the long-poll window ends first, the next poll goes out immediately (no fixed sleep)', async () => {
    await server.config({ latencyMs: 700, longPollMs: 300 });
    const seen: QueueStateEvent[] = [];
    const started = Date.now();
    await sampler.sample({ prompt: prompt([1, 2]), sampling_params: params }, { onQueueState: (e) => seen.push(e) });
    const took = Date.now() - started;
    const polls = await server.requestsTo(RETRIEVE);
    assert.ok(polls.length >= 2 && polls.length <= 4, `${polls.length} polls`);
    assert.equal(seen.length, polls.length - 1);
    assert.ok(took < 1_600, `took ${took} ms: a fixed Retry-After sleep (1 s) slipped in`);
  });

  it('X-Tinker-Poll-Throttled makes the loop wait min(Retry-After, 1 s) instead of spinning', async () => {
    await server.fault({
      route: RETRIEVE,
      status: 408,
      times: 1,
      body: { type: 'try_again', queue_state: 'active' },
      headers: { 'Retry-After': '1', 'X-Tinker-Poll-Throttled': '1' },
    });
    const started = Date.now();
    await sampler.sample({ prompt: prompt([1]), sampling_params: params });
    const took = Date.now() - started;
    assert.ok(took >= 950 && took < 2_000, `took ${took} ms`);
    assert.equal((await server.requestsTo(RETRIEVE)).length, 2);
  });

  it('404 on retrieve_future -> NotFoundError', async () => {
    await server.fault({ route: RETRIEVE, status: 404, body: { detail: 'Unknown request_id: x' } });
    const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }));
    assert.ok(err instanceof NotFoundError, err.message);
    assert.match(err.message, /Unknown request_id/);
  });

  it('410 resubmits the original request (bounded) and returns the new result', async () => {
    await server.fault({ route: RETRIEVE, status: 410, body: { detail: 'Future expired' } });
    const r = await sampler.sample({ prompt: prompt([9, 8]), sampling_params: params });
    assert.equal(r.sequences.length, 1);
    const posts = await server.requestsTo(ASAMPLE);
    assert.equal(posts.length, 2);
    const seqs = posts.map((p) => (p.body as { seq_id: number }).seq_id);
    assert.notEqual(seqs[0], seqs[1]);

    await server.fault({ route: RETRIEVE, status: 410, times: -1 });
    const err = await caught(() => sampler.sample({ prompt: prompt([9, 8]), sampling_params: params }));
    assert.ok(err instanceof TinkerError && (err as { status?: number }).status === 410, err.message);
    await server.clearFaults();
  });

  it('429 and 5xx while polling are retried with backoff; the result still arrives', async () => {
    await server.fault({ route: RETRIEVE, status: 429, headers: { 'retry-after-ms': '20' } });
    await server.fault({ route: RETRIEVE, status: 502, headers: { 'retry-after-ms': '20' } });
    await server.fault({ route: RETRIEVE, drop: 'before-headers' });
    const r = await sampler.sample({ prompt: prompt([4]), sampling_params: params });
    assert.equal(r.sequences.length, 1);
    assert.equal((await server.requestsTo(RETRIEVE)).length, 4);
  });

  it('persistent 5xx while polling ends in InternalServerError after maxRetries', async () => {
    await server.fault({ route: RETRIEVE, status: 500, times: -1, headers: { 'retry-after-ms': '5' } });
    const err = await caught(() => sampler.sample({ prompt: prompt([4]), sampling_params: params }));
    assert.ok(err instanceof InternalServerError);
    assert.equal((await server.requestsTo(RETRIEVE)).length, 4);
    await server.clearFaults();
  });

  it('cancellation mid-poll -> CancelledError at once', async () => {
    await server.config({ latencyMs: 5_000, longPollMs: 2_000 });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 200);
    const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }, { signal: ac.signal }));
    assert.ok(err instanceof CancelledError, `${err.name}: ${err.message}`);
    assert.ok(Date.now() - started < 2_000);
    assert.ok((await server.requestsTo(RETRIEVE)).length >= 1, 'the cancel came before polling started');
  });

  it('caller deadline while pending -> APITimeoutError carrying the request id', async () => {
    await server.config({ latencyMs: 5_000, longPollMs: 2_000 });
    const started = Date.now();
    const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }, { timeoutMs: 400 }));
    assert.ok(err instanceof APITimeoutError, `${err.name}: ${err.message}`);
    assert.ok(err.request_id && err.request_id.length > 0);
    assert.match(err.message, /still pending/);
    assert.ok(Date.now() - started < 2_500);
  });

  it('a malformed or schema-breaking result -> APIResponseValidationError', async () => {
    await server.fault({ route: RETRIEVE, status: 200, bodyText: '{"sequences": [', contentType: 'application/json' });
    const a = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }));
    assert.ok(a instanceof APIResponseValidationError, a.message);
    assert.match(a.message, /not JSON/);

    await server.fault({ route: RETRIEVE, status: 200, body: { sequences: [{ stop_reason: 'weird', tokens: [1] }] } });
    const b = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: params }));
    assert.ok(b instanceof APIResponseValidationError);
    assert.match(b.message, /stop_reason/);
  });

  it('stop_reason "eos" is accepted', async () => {
    await server.fault({ route: RETRIEVE, status: 200, body: { sequences: [{ stop_reason: 'eos', tokens: [1, 2] }], type: 'sample' } });
    const r = await sampler.sample({ prompt: prompt([1]), sampling_params: params });
    assert.equal(r.sequences[0]!.stop_reason, 'eos');
  });
});
