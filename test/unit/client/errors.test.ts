import assert from 'node:assert/strict';
import {
  APIConnectionError,
  APIError,
  APIResponseValidationError,
  APIStatusError,
  APITimeoutError,
  AuthenticationError,
  BadRequestError,
  CancelledError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  RequestFailedError,
  TinkerError,
  UnprocessableEntityError,
  type ServiceClient,
} from '../../../src/mint/index';
import { API_KEY, BASE_MODEL, type TestServer, useTestServer, assertNoKey, caught, clientFor, prompt } from './support';

const CAPS = '/api/v1/get_server_capabilities';
const ADVICE: Record<number, RegExp> = {
  400: /check its parameters/,
  401: /check your MinT API key/,
  403: /not allowed.*permissions/,
  404: /check the id or path/,
  409: /conflicts with existing state/,
  422: /missing or has the wrong type/,
  429: /wait a moment before trying again/,
  500: /try again later.*request id/,
  503: /try again later.*request id/,
  418: /unexpected status/,
};

describe('client errors: each exception class from its real cause', function () {
  this.timeout(20_000);
  let server: TestServer;
  let client: ServiceClient;

  useTestServer((t) => ({ server, client } = t), { client: { maxRetries: 0 } });

  const statusCases: [number, new (...a: never[]) => APIStatusError][] = [
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [422, UnprocessableEntityError],
    [429, RateLimitError],
    [500, InternalServerError],
    [503, InternalServerError],
    [418, APIStatusError],
  ];
  for (const [status, cls] of statusCases) {
    it(`${status} -> ${cls.name} with status, headers, body, request_id and the server's detail`, async () => {
      await server.fault({
        route: CAPS,
        status,
        body: { detail: `injected ${status}` },
        headers: { 'X-Trace-Id': `trace-${status}` },
      });
      const err = await caught(() => client.getServerCapabilities());
      assert.ok(err instanceof cls, `${err.name}: ${err.message}`);
      assert.ok(err instanceof APIStatusError && err instanceof APIError && err instanceof TinkerError);
      if (status === 418) assert.equal(err.constructor, APIStatusError);
      const e = err as APIStatusError;
      assert.equal(e.status, status);
      assert.equal(e.headers['x-trace-id'], `trace-${status}`);
      assert.deepEqual(e.body, { detail: `injected ${status}` });
      assert.equal(e.request_id, `trace-${status}`);
      assert.match(e.message, new RegExp(`${status}.*injected ${status}`));
      assert.match(e.message, ADVICE[status]!, 'the message should say what to do');
    });
  }

  it('a 5xx body with "Log ID: <id>" gives request_id when no header does', async () => {
    await server.fault({ route: CAPS, status: 502, bodyText: 'Bad gateway. Log ID: 7f3a-99.', headers: { 'X-Trace-Id': '' } });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof InternalServerError);
    assert.equal(err.request_id, '7f3a-99');
    assert.equal(err.body, 'Bad gateway. Log ID: 7f3a-99.');
  });

  it('a 5xx body\'s "Log ID" is the request id even beside an x-request-id header, which the message keeps too', async () => {
    await server.fault({
      route: CAPS,
      status: 500,
      body: { detail: 'Internal Server Error. Log ID: 7f3a9c2e' },
      headers: { 'X-Trace-Id': '', 'X-Request-Id': 'req-generic-1' },
    });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof InternalServerError);
    assert.equal(err.request_id, '7f3a9c2e');
    assert.match(err.message, /\[request id 7f3a9c2e; trace id req-generic-1\]/);
  });

  it('401 from a real key check, and the key never appears even when the server echoes it', async () => {
    await server.config({ apiKey: 'sk-the-right-key' });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof AuthenticationError, err.message);
    assert.equal(err.status, 401);
    assertNoKey(err, 'AuthenticationError');
    await server.config({ apiKey: null });

    await server.fault({
      route: CAPS,
      status: 400,
      body: { detail: `key ${API_KEY} is malformed` },
      headers: { 'X-Echo': API_KEY },
    });
    const echoed = await caught(() => client.getServerCapabilities());
    assert.ok(echoed instanceof BadRequestError);
    assert.match(echoed.message, /key \[REDACTED\] is malformed/);
    assertNoKey(echoed, 'BadRequestError');
  });

  it("a tml- key (MinT's newer prefix) is accepted, sent, and redacted like an sk- key", async () => {
    const TML = 'tml-0123456789abcdefSECRET';
    await server.config({ apiKey: TML });
    const { client: c, events } = clientFor(server, { apiKey: TML });
    try {
      assert.ok((await c.getServerCapabilities()).supported_models.length > 0);
      await server.fault({ route: CAPS, status: 400, body: { detail: `key ${TML} is malformed` }, headers: { 'X-Echo': TML } });
      const err = await caught(() => c.getServerCapabilities());
      assert.ok(err instanceof BadRequestError);
      assert.match(err.message, /key \[REDACTED\] is malformed/);
      const seen = JSON.stringify([err.message, err.body, (err as BadRequestError).headers, events]);
      assert.ok(!seen.includes(TML), 'the tml- key leaked');
    } finally {
      await c.close();
      await server.config({ apiKey: null });
    }
  });

  it('non-JSON 200 -> APIResponseValidationError with status, headers and body', async () => {
    await server.fault({ route: CAPS, status: 200, bodyText: `<html>proxy page ${API_KEY}</html>`, headers: { 'X-Trace-Id': 't1' } });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof APIResponseValidationError, err.message);
    assert.equal(err.status, 200);
    assert.equal(err.headers['x-trace-id'], 't1');
    assert.equal(err.request_id, 't1');
    assert.equal(err.body, '<html>proxy page [REDACTED]</html>');
    assert.match(err.message, /not JSON/);
    assertNoKey(err, 'APIResponseValidationError');
  });

  it('schema-breaking JSON -> APIResponseValidationError naming the field, never a silent undefined', async () => {
    await server.fault({ route: CAPS, status: 200, body: { supported_models: [{ name: 'x' }] } });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof APIResponseValidationError);
    assert.match(err.message, /supported_models\.0\.model_name/);
    assert.deepEqual(err.body, { supported_models: [{ name: 'x' }] });
  });

  it('connection dropped before headers -> APIConnectionError', async () => {
    await server.fault({ route: CAPS, drop: 'before-headers' });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof APIConnectionError && !(err instanceof APITimeoutError), `${err.name}: ${err.message}`);
    assert.match(err.message, /Could not reach MinT/);
  });

  it('connection dropped mid-body -> APIConnectionError', async () => {
    await server.fault({ route: CAPS, drop: 'mid-body' });
    const err = await caught(() => client.getServerCapabilities());
    assert.ok(err instanceof APIConnectionError, `${err.name}: ${err.message}`);
  });

  it('nothing listening -> APIConnectionError naming the base URL', async () => {
    const dead = clientFor({ url: 'http://127.0.0.1:9' }, { maxRetries: 0 });
    const err = await caught(() => dead.client.getServerCapabilities());
    await dead.client.close();
    assert.ok(err instanceof APIConnectionError);
    assert.match(err.message, /127\.0\.0\.1:9/);
  });

  it('request timeout -> APITimeoutError', async () => {
    await server.fault({ route: CAPS, delayMs: 3_000 });
    const started = Date.now();
    const err = await caught(() => client.getServerCapabilities({ timeoutMs: 200 }));
    assert.ok(err instanceof APITimeoutError, `${err.name}: ${err.message}`);
    assert.ok(Date.now() - started < 1_500, 'the timeout fired late');
    assert.match(err.message, /timed out/);
  });

  it('cancellation mid-request -> CancelledError, which is not a TinkerError', async () => {
    await server.fault({ route: CAPS, delayMs: 3_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    const err = await caught(() => client.getServerCapabilities({ signal: ac.signal }));
    assert.ok(err instanceof CancelledError, `${err.name}: ${err.message}`);
    assert.ok(!(err instanceof TinkerError));
    assert.ok(Date.now() - started < 1_500);
  });

  it('an already-aborted signal sends nothing', async () => {
    await server.clearRequests();
    const err = await caught(() => client.getServerCapabilities({ signal: AbortSignal.abort() }));
    assert.ok(err instanceof CancelledError);
    assert.equal((await server.requestsTo(CAPS)).length, 0);
  });

  it('a future that finishes with {error, category} -> RequestFailedError with request_id and category', async () => {
    const { client: c } = clientFor(server);
    try {
      const sampler = await c.createSamplingClient({ base_model: BASE_MODEL });
      await server.fault({ route: '/api/v1/asample', futureError: { error: `engine crashed near ${API_KEY}`, category: 'system' } });
      const err = await caught(() => sampler.sample({ prompt: prompt([1, 2, 3]), sampling_params: { max_tokens: 4 } }));
      assert.ok(err instanceof RequestFailedError, `${err.name}: ${err.message}`);
      assert.ok(err instanceof TinkerError && !(err instanceof APIError));
      assert.ok(err.request_id.length > 0);
      assert.match(err.message, new RegExp(err.request_id));
      assert.equal(err.category, 'unknown');
      assert.equal(err.raw_category, 'system');
      assertNoKey(err, 'RequestFailedError');

      await server.fault({ route: '/api/v1/asample', futureError: { error: 'bad prompt', category: 'user' } });
      const user = await caught(() => sampler.sample({ prompt: prompt([1, 2, 3]), sampling_params: { max_tokens: 4 } }));
      assert.ok(user instanceof RequestFailedError);
      assert.equal(user.category, 'user');
    } finally {
      await c.close();
    }
  });

  it('sampling_params without a valid max_tokens is refused before sending, with the fix', async () => {
    const { client: c } = clientFor(server);
    try {
      const sampler = await c.createSamplingClient({ base_model: BASE_MODEL });
      const err = await caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: { max_tokens: 0 } }));
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /max_tokens/);
    } finally {
      await c.close();
    }
  });
});
