import assert from 'node:assert/strict';
import {
  APIConnectionError,
  APITimeoutError,
  BadRequestError,
  CancelledError,
  ConflictError,
  InternalServerError,
  RateLimitError,
  type ServiceClient,
} from '../../../src/mint/index';
import { backoffMs, isRetryableStatus, retryAfterMs } from '../../../src/mint/transport';
import { BASE_MODEL, type TestServer, useTestServer, caught, clientFor, prompt } from './support';

const CAPS = '/api/v1/get_server_capabilities';
const SESSION = '/api/v1/create_session';

/** Gaps between consecutive logged requests, in ms. */
function gaps(times: string[]): number[] {
  const t = times.map((s) => Date.parse(s));
  return t.slice(1).map((v, i) => v - t[i]!);
}

describe('client retries', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: ServiceClient;
  let events: ReturnType<typeof clientFor>['events'];

  useTestServer((t) => ({ server, client, events } = t), { client: { maxRetries: 3 } });

  it('5xx is retried with backoff 0.5 s * 2^n (jittered) and succeeds; onRequest fires once per attempt', async () => {
    await server.fault({ route: CAPS, status: 503, times: 2 });
    const started = Date.now();
    const caps = await client.getServerCapabilities();
    const took = Date.now() - started;
    assert.ok(caps.supported_models.length > 0);
    const log = await server.requestsTo(CAPS);
    assert.equal(log.length, 3);
    assert.deepEqual(
      log.map((r) => r.headers['x-stainless-retry-count']),
      ['0', '1', '2'],
    );
    // 0.5 s + 1 s, each minus up to 25 %.
    assert.ok(took >= 1_100 && took < 3_000, `took ${took} ms`);
    const g = gaps(log.map((r) => r.time));
    assert.ok(g[0]! >= 370 && g[1]! >= 740, `gaps ${g}`);
    assert.deepEqual(
      events.map((e) => [e.attempt, e.status]),
      [
        [0, 503],
        [1, 503],
        [2, 200],
      ],
    );
  });

  it('one X-Idempotency-Key per logical POST, reused across its retries; a new call gets a new key', async () => {
    await server.fault({ route: SESSION, status: 500, times: 2, headers: { 'retry-after-ms': '10' } });
    await client.sessionId();
    const log = await server.requestsTo(SESSION);
    assert.equal(log.length, 3);
    const keys = new Set(log.map((r) => r.headers['x-idempotency-key']));
    assert.equal(keys.size, 1);
    const [key] = [...keys];
    assert.match(key!, /^mint-vscode-retry-[0-9a-f-]{36}$/);

    const other = clientFor(server).client;
    await other.sessionId();
    await other.close();
    const again = await server.requestsTo(SESSION);
    assert.notEqual(again.at(-1)!.headers['x-idempotency-key'], key);
    // GETs are idempotent by nature and carry no key.
    await client.getServerCapabilities();
    assert.equal((await server.requestsTo(CAPS)).at(-1)!.headers['x-idempotency-key'], undefined);
  });

  it('429 with Retry-After: 1 waits about a second, then succeeds', async () => {
    await server.fault({ route: CAPS, status: 429, headers: { 'Retry-After': '1' } });
    await client.getServerCapabilities();
    const g = gaps((await server.requestsTo(CAPS)).map((r) => r.time));
    assert.equal(g.length, 1);
    assert.ok(g[0]! >= 950 && g[0]! < 2_500, `waited ${g[0]} ms`);
  });

  it('retry-after-ms wins over Retry-After', async () => {
    await server.fault({ route: CAPS, status: 429, headers: { 'retry-after-ms': '50', 'Retry-After': '5' } });
    const started = Date.now();
    await client.getServerCapabilities();
    assert.ok(Date.now() - started < 3_000, 'Retry-After: 5 was used instead of retry-after-ms');
    const g = gaps((await server.requestsTo(CAPS)).map((r) => r.time));
    assert.ok(g[0]! >= 45, `waited ${g[0]} ms`);
  });

  it('Retry-After as an HTTP date is honoured', async () => {
    const when = new Date(Date.now() + 1_500).toUTCString();
    await server.fault({ route: CAPS, status: 503, headers: { 'Retry-After': when } });
    await client.getServerCapabilities();
    const g = gaps((await server.requestsTo(CAPS)).map((r) => r.time));
    assert.ok(g[0]! >= 400 && g[0]! < 3_000, `waited ${g[0]} ms`);
  });

  it('a Retry-After above 60 s is ignored in favour of the backoff', async () => {
    await server.fault({ route: CAPS, status: 503, headers: { 'Retry-After': '3600' } });
    const started = Date.now();
    await client.getServerCapabilities();
    assert.ok(Date.now() - started < 3_000);
  });

  it('408 is retried', async () => {
    await server.fault({ route: CAPS, status: 408, headers: { 'retry-after-ms': '10' } });
    await client.getServerCapabilities();
    assert.equal((await server.requestsTo(CAPS)).length, 2);
  });

  it('x-should-retry: false stops a retryable status; x-should-retry: true retries a 400', async () => {
    await server.fault({ route: CAPS, status: 503, headers: { 'x-should-retry': 'false' } });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof InternalServerError);
    assert.equal((await server.requestsTo(CAPS)).length, 1);

    await server.clearRequests();
    await server.fault({ route: CAPS, status: 400, headers: { 'x-should-retry': 'true', 'retry-after-ms': '10' } });
    await client.getServerCapabilities();
    assert.equal((await server.requestsTo(CAPS)).length, 2);
  });

  it('maxRetries bounds the attempts, then the last error is thrown', async () => {
    await server.fault({ route: CAPS, status: 500, times: -1, headers: { 'retry-after-ms': '5' } });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof InternalServerError);
    assert.equal((await server.requestsTo(CAPS)).length, 4);
  });

  it('409 is not retried', async () => {
    await server.fault({ route: CAPS, status: 409, body: { detail: 'already exists' } });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof ConflictError);
    assert.equal((await server.requestsTo(CAPS)).length, 1);
  });

  it('other 4xx are not retried', async () => {
    await server.fault({ route: CAPS, status: 400 });
    assert.ok((await caught(() => client.getServerCapabilities())) instanceof BadRequestError);
    assert.equal((await server.requestsTo(CAPS)).length, 1);
  });

  it('a dropped connection is retried', async () => {
    await server.fault({ route: CAPS, drop: 'before-headers' });
    await server.fault({ route: CAPS, drop: 'mid-body' });
    const caps = await client.getServerCapabilities();
    assert.ok(caps.supported_models.length > 0);
    const failed = events.filter((e) => e.error);
    assert.equal(failed.length, 2);
    assert.ok(failed.every((e) => /Could not reach MinT/.test(e.error!)));
  });

  it('a timed-out attempt is retried; exhausting retries gives APITimeoutError', async () => {
    // The retry that succeeds must answer within the timeout even on a loaded 2-core machine.
    const { client: c } = clientFor(server, { maxRetries: 1, timeoutMs: 1_000 });
    try {
      await server.fault({ route: CAPS, delayMs: 4_000 });
      await c.getServerCapabilities();
      assert.equal((await server.requestsTo(CAPS)).length, 2);

      await server.fault({ route: CAPS, delayMs: 4_000, times: 2 });
      const err = await caught(() => c.getServerCapabilities());
      assert.ok(err instanceof APITimeoutError && err instanceof APIConnectionError, err.message);
    } finally {
      await c.close();
    }
  });

  it('cancelling during the backoff wait ends the call at once with CancelledError', async () => {
    await server.fault({ route: CAPS, status: 429, headers: { 'Retry-After': '30' } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 150);
    const started = Date.now();
    const err = await caught(() => client.getServerCapabilities({ signal: ac.signal }));
    assert.ok(err instanceof CancelledError);
    assert.ok(Date.now() - started < 3_000, 'waited out the 30 s Retry-After');
  });

  it('a caller deadline shorter than the server-requested wait fails now, not after the wait', async () => {
    await server.fault({ route: CAPS, status: 429, headers: { 'Retry-After': '30' } });
    const started = Date.now();
    const err = await caught(() => client.getServerCapabilities({ timeoutMs: 500 }));
    assert.ok(err instanceof RateLimitError);
    assert.ok(Date.now() - started < 3_000, 'waited out the 30 s Retry-After');
  });

  it('sampling: the POST retried after a drop keeps its seq_id, and the next call takes the next one', async () => {
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    await server.fault({ route: '/api/v1/asample', drop: 'before-headers' });
    const r = await sampler.sample({ prompt: prompt([5, 6, 7]), sampling_params: { max_tokens: 3, seed: 1 } });
    await sampler.sample({ prompt: prompt([5, 6, 7]), sampling_params: { max_tokens: 3, seed: 1 } });
    assert.ok(r.request_id);
    const posts = await server.requestsTo('/api/v1/asample');
    assert.equal(posts.length, 3);
    const seqs = posts.map((p) => (p.body as { seq_id: number }).seq_id);
    assert.deepEqual(seqs, [0, 0, 1]);
    assert.equal(posts[0]!.headers['x-idempotency-key'], posts[1]!.headers['x-idempotency-key']);
    assert.ok(posts.every((p) => (p.body as { sampling_params: { max_tokens: number } }).sampling_params.max_tokens === 3));
  });
});

describe('retry delay rules', () => {
  it('backoff is min(0.5 s * 2^n, 8 s) minus up to 25 % jitter', () => {
    for (let n = 0; n < 8; n++) {
      const cap = Math.min(500 * 2 ** n, 8_000);
      const samples = Array.from({ length: 200 }, () => backoffMs(n));
      assert.ok(
        samples.every((d) => d <= cap && d >= cap * 0.75),
        `n=${n}`,
      );
      assert.ok(new Set(samples).size > 1, 'jitter is applied');
    }
  });

  it('retry-after-ms, then Retry-After seconds or HTTP date, only when 0 < value <= 60 s', () => {
    assert.equal(retryAfterMs({ 'retry-after-ms': '250', 'retry-after': '9' }), 250);
    assert.equal(retryAfterMs({ 'retry-after': '1.5' }), 1_500);
    assert.equal(retryAfterMs({ 'retry-after': '61' }), undefined);
    assert.equal(retryAfterMs({ 'retry-after': '0' }), undefined);
    assert.equal(retryAfterMs({ 'retry-after-ms': '-5' }), undefined);
    assert.equal(retryAfterMs({ 'retry-after': 'soon' }), undefined);
    const d = retryAfterMs({ 'retry-after': new Date(Date.now() + 10_000).toUTCString() })!;
    assert.ok(d > 8_000 && d <= 10_000);
    assert.equal(retryAfterMs({ 'retry-after': new Date(Date.now() - 10_000).toUTCString() }), undefined);
  });

  it('x-should-retry overrides the status rule', () => {
    assert.equal(isRetryableStatus(503, {}), true);
    assert.equal(isRetryableStatus(501, {}), false, 'Not Implemented does not change on a retry');
    assert.equal(isRetryableStatus(409, {}), false);
    assert.equal(isRetryableStatus(503, { 'x-should-retry': 'false' }), false);
    assert.equal(isRetryableStatus(400, { 'x-should-retry': 'true' }), true);
  });
});
