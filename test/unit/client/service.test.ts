import assert from 'node:assert/strict';
import { Agent } from 'undici';
import { CancelledError, DEFAULT_BASE_URL, ServiceClient, TinkerError, normalizeBaseUrl, resolveConfig } from '../../../src/mint/index';
import { API_KEY, BASE_MODEL, TestServer, assertNoKey, caught, clientFor, prompt } from './support';

describe('ServiceClient configuration', () => {
  it('explicit options win over MINT_*, which win over TINKER_*, with the MinT default last', () => {
    const env = {
      MINT_API_KEY: 'sk-mint',
      MINT_BASE_URL: 'https://m.example/train',
      TINKER_API_KEY: 'tml-t',
      TINKER_BASE_URL: 'https://t.example',
    };
    assert.deepEqual(resolveConfig({ apiKey: 'sk-x', baseUrl: 'https://x.example/p' }, env), {
      apiKey: 'sk-x',
      baseUrl: 'https://x.example/p/',
    });
    assert.deepEqual(resolveConfig({}, env), { apiKey: 'sk-mint', baseUrl: 'https://m.example/train/' });
    assert.deepEqual(resolveConfig({}, { TINKER_API_KEY: 'tml-t', TINKER_BASE_URL: 'https://t.example', MINT_API_KEY: ' ' }), {
      apiKey: 'tml-t',
      baseUrl: 'https://t.example/',
    });
    assert.deepEqual(resolveConfig({}, {}), { apiKey: undefined, baseUrl: `${DEFAULT_BASE_URL}/` });
  });

  it('a malformed base URL is refused with the fix', () => {
    assert.throws(() => normalizeBaseUrl('mint.macaron.im/train'), /not a valid URL; use e\.g\. https:\/\/mint\.macaron\.im\/train/);
    assert.throws(() => normalizeBaseUrl('ftp://x'), /http:\/\/ or https:\/\//);
  });
});

describe('ServiceClient against the emulator', function () {
  this.timeout(20_000);
  let server: TestServer;

  before(async () => {
    server = await TestServer.start();
  });
  after(async () => {
    await server.close();
  });
  beforeEach(async () => {
    await server.reset();
  });

  it('sends X-API-Key, a User-Agent naming this extension, and JSON headers; never puts the key in events', async () => {
    const { client, events } = clientFor(server, { defaultHeaders: { 'X-Team': 'a' } });
    await server.config({ apiKey: API_KEY });
    try {
      const caps = await client.getServerCapabilities();
      assert.ok(caps.supported_models.some((m) => m.model_name === BASE_MODEL));
      await client.sessionId();
    } finally {
      await client.close();
    }
    const [get] = await server.requestsTo('/api/v1/get_server_capabilities');
    assert.match(get!.headers['user-agent']!, /^MinT-VSCode\/\d+\.\d+\.\d+ \(Node v20/);
    assert.equal(get!.headers.accept, 'application/json');
    assert.equal(get!.headers['x-team'], 'a');
    const [post] = await server.requestsTo('/api/v1/create_session');
    assert.equal(post!.headers['content-type'], 'application/json');
    assert.ok(events.length >= 3);
    for (const e of events) {
      assertNoKey(e, 'RequestEvent');
      assert.deepEqual(
        Object.keys(e).filter((k) => !['method', 'path', 'status', 'durationMs', 'attempt', 'request_id', 'error'].includes(k)),
        [],
      );
    }
  });

  it('healthCheck accepts MinT\'s "ready"; capabilities list models with context length', async () => {
    const { client } = clientFor(server);
    try {
      const h = await client.healthCheck();
      assert.equal(h.ok, true);
      assert.ok(['ok', 'ready'].includes(h.status));
      const caps = await client.getServerCapabilities();
      const m = caps.supported_models.find((x) => x.model_name === BASE_MODEL);
      assert.ok(m && typeof m.max_context_length === 'number');
    } finally {
      await client.close();
    }
  });

  it('client/config and create_session happen lazily, once, on the first sampling client', async () => {
    const { client } = clientFor(server);
    try {
      await client.getServerCapabilities();
      assert.equal((await server.requestsTo('/api/v1/create_session')).length, 0);
      const [a, b] = await Promise.all([
        client.createSamplingClient({ base_model: BASE_MODEL }),
        client.createSamplingClient({ base_model: BASE_MODEL }),
      ]);
      assert.notEqual(a.sampling_session_id, b.sampling_session_id);
      assert.equal((await server.requestsTo('/api/v1/create_session')).length, 1);
      assert.equal((await server.requestsTo('/api/v1/client/config')).length, 1);
      const created = await server.requestsTo('/api/v1/create_sampling_session');
      assert.deepEqual(created.map((r) => (r.body as { sampling_session_seq_id: number }).sampling_session_seq_id).sort(), [0, 1]);
    } finally {
      await client.close();
    }
  });

  it('heartbeats every interval while open, and close() stops them', async () => {
    const { client } = clientFor(server, { heartbeatIntervalMs: 100 });
    const id = await client.sessionId();
    await new Promise((r) => setTimeout(r, 650));
    await client.close();
    const beats = await server.requestsTo('/api/v1/session_heartbeat');
    assert.ok(beats.length >= 3 && beats.length <= 7, `${beats.length} heartbeats`);
    assert.ok(beats.every((b) => (b.body as { session_id: string }).session_id === id));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await server.requestsTo('/api/v1/session_heartbeat')).length, beats.length);
    const err = await caught(() => client.createSamplingClient({ base_model: BASE_MODEL }));
    assert.ok(err instanceof TinkerError);
    assert.match(err.message, /closed/);
  });

  it('close() ends a held long-poll at once: the call rejects with CancelledError, later calls say the client is closed', async () => {
    await server.config({ latencyMs: 5_000, longPollMs: 4_000 });
    const { client } = clientFor(server);
    try {
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      const pending = caught(() => sampler.sample({ prompt: prompt([1]), sampling_params: { max_tokens: 2 } }));
      await new Promise((r) => setTimeout(r, 200));
      const started = Date.now();
      await client.close();
      const err = await pending;
      assert.ok(Date.now() - started < 2_000, 'close() waited for the long-poll');
      assert.ok(err instanceof CancelledError, `${err.name}: ${err.message}`);
      assert.match(err.message, /closed/);
      const later = await caught(() => client.getServerCapabilities());
      assert.ok(later instanceof TinkerError && /closed/.test(later.message));
    } finally {
      await server.config({ latencyMs: 0, longPollMs: 20_000 });
    }
  });

  it('a base URL with a path prefix (/train) keeps it on every request', async () => {
    const prefixed = await TestServer.start({ prefix: '/train' });
    assert.ok(prefixed.url.endsWith('/train'));
    const { client, events } = clientFor({ url: prefixed.url });
    try {
      // The emulator answers 404 to any request outside its prefix, so success proves the prefix was kept.
      const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
      const r = await sampler.sample({ prompt: prompt([1, 2]), sampling_params: { max_tokens: 2 } });
      assert.equal(r.sequences.length, 1);
      const logged = await prefixed.requests();
      assert.ok(logged.length >= 5);
      assert.ok(
        logged.every((x) => x.status !== 404),
        JSON.stringify(logged.map((x) => [x.path, x.status])),
      );
      assert.ok(events.length >= 5 && events.every((e) => e.path.startsWith('/train/api/v1/')), events.map((e) => e.path).join(', '));
    } finally {
      await client.close();
      await prefixed.close();
    }
  });

  it('an injected dispatcher carries every request', async () => {
    let dispatched = 0;
    const agent = new Agent();
    const counting = agent.compose((dispatch) => (opts, handler) => {
      dispatched++;
      return dispatch(opts, handler);
    });
    const { client } = clientFor(server, { dispatcher: counting });
    try {
      await client.getServerCapabilities();
      await client.healthCheck();
      assert.equal(dispatched, 2);
    } finally {
      await client.close();
      await agent.close();
    }
  });

  it('sampling from a weights/ path is refused before sending, with the fix', async () => {
    const { client } = clientFor(server);
    try {
      const err = await caught(() => client.createSamplingClient({ model_path: 'mint://run-1/weights/step-3' }));
      assert.match(err.message, /sampler_weights/);
      assert.equal((await server.requestsTo('/api/v1/create_sampling_session')).length, 0);
    } finally {
      await client.close();
    }
  });

  it('a ServiceClient built from env only (no options) reads MINT_* and uses them', async () => {
    const client = new ServiceClient({ env: { MINT_BASE_URL: server.url, MINT_API_KEY: API_KEY }, heartbeatIntervalMs: 0 });
    try {
      assert.equal(client.baseUrl, `${server.url}/`);
      assert.equal(client.hasApiKey, true);
      await server.config({ apiKey: API_KEY });
      await client.getServerCapabilities();
    } finally {
      await client.close();
    }
  });
});
