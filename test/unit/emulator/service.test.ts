import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startEmulator, type Emulator } from '../../../src/emulator/index';
import { call, get, post, withEmulator } from './helpers';

const KEY = 'sk-mint-test-0123456789abcdef';
const READ_KEY = 'tml-read-only-0123456789';

describe('emulator: service routes', function () {
  let emu: Emulator;
  before(async () => {
    emu = await withEmulator();
  });
  after(() => emu.close());

  it('binds to 127.0.0.1 and reports its URL and port', () => {
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(emu.url, `http://127.0.0.1:${emu.port}`);
  });

  it("answers healthz, / and client/config with MinT's flags, each with an X-Trace-Id and X-MinT-Server-Pid", async () => {
    const h = await get(emu.url, '/api/v1/healthz');
    assert.deepEqual([h.status, h.json], [200, { status: 'ready' }]);
    assert.match(h.headers['x-trace-id']!, /^[0-9a-f]{32}$/);
    assert.equal(h.headers['x-mint-server-pid'], String(process.pid));
    const root = await get(emu.url, '/');
    assert.deepEqual(root.json, { status: 'ready', healthz: '/api/v1/healthz' });
    const cfg = await post(emu.url, '/api/v1/client/config', { sdk_version: '0.22.0' });
    assert.equal(cfg.status, 200);
    assert.equal(cfg.json.pjwt_auth_enabled, false);
    assert.equal(cfg.json.proto_write_fwdbwd, false);
    assert.equal(cfg.json.sample_enable_stuck_detection, true);
    assert.ok(!('enable_grpc_retrieve_future' in cfg.json));
    assert.notEqual(cfg.headers['x-trace-id'], h.headers['x-trace-id']);
  });

  it("echoes the caller's trace: a traceparent's trace id first, then X-Trace-Id; junk gets a fresh id", async () => {
    const tp = '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01';
    const both = await get(emu.url, '/api/v1/healthz', { traceparent: tp, 'x-trace-id': 'a'.repeat(32) });
    assert.equal(both.headers['x-trace-id'], '4bf92f3577b34da6a3ce929d0e0e4736');
    const dashed = await get(emu.url, '/api/v1/healthz', { 'x-trace-id': '0af76519-16cd-43dd-8448-eb211c80319c' });
    assert.equal(dashed.headers['x-trace-id'], '0af7651916cd43dd8448eb211c80319c');
    for (const junk of ['short', '0'.repeat(32), 'g'.repeat(32)]) {
      const r = await get(emu.url, '/api/v1/nope', { 'x-trace-id': junk });
      assert.match(r.headers['x-trace-id']!, /^[0-9a-f]{32}$/);
      assert.notEqual(r.headers['x-trace-id'], junk);
    }
  });

  it('lists the production Qwen models sorted by size, num_parameters in billions', async () => {
    const r = await get(emu.url, '/api/v1/get_server_capabilities');
    assert.deepEqual(r.json.supported_models, [
      { model_name: 'Qwen/Qwen3-0.6B', max_context_length: 32768, num_parameters: 0.6 },
      { model_name: 'Qwen/Qwen3-4B-Thinking-2507', max_context_length: 32768, num_parameters: 4 },
      { model_name: 'Qwen/Qwen3-4B-Instruct-2507', max_context_length: 32768, num_parameters: 4 },
      { model_name: 'Qwen/Qwen3-30B-A3B-Instruct-2507', max_context_length: 32768, num_parameters: 30 },
      { model_name: 'Qwen/Qwen3.6-35B-A3B', max_context_length: 65536, num_parameters: 35 },
    ]);
  });

  it('answers server_info without the command line (it could hold a key)', async () => {
    const r = await get(emu.url, '/api/v1/server_info');
    assert.equal(r.status, 200);
    assert.equal(r.json.process.pid, process.pid);
    assert.ok(!Number.isNaN(Date.parse(r.json.started_at)));
    assert.equal(r.json.config.max_lora_rank, 64);
    assert.equal(r.json.config.max_model_len, 65536);
    assert.deepEqual(r.json.process.argv, ['mint-emulator']);
  });

  it('samples the 65,536-token model beyond the Qwen3 32k limit', async () => {
    const s = await post(emu.url, '/api/v1/create_session', { tags: [], sdk_version: 'x' });
    const sampler = await post(emu.url, '/api/v1/create_sampling_session', {
      session_id: s.json.session_id,
      sampling_session_seq_id: 0,
      base_model: 'Qwen/Qwen3.6-35B-A3B',
    });
    const body = (max: number) => ({
      sampling_session_id: sampler.json.sampling_session_id,
      num_samples: 1,
      prompt: { chunks: [{ type: 'encoded_text', tokens: new Array(40_000).fill(785) }] },
      sampling_params: { max_tokens: max },
    });
    assert.equal((await post(emu.url, '/api/v1/asample', body(1))).status, 200);
    const over = await post(emu.url, '/api/v1/asample', body(30_000));
    assert.equal(over.status, 400);
    assert.match(over.json.detail, /65536/);
  });

  it('creates sessions, accepts heartbeats and telemetry', async () => {
    const s = await post(emu.url, '/api/v1/create_session', { tags: ['a'], user_metadata: {}, sdk_version: 'x', type: 'create_session' });
    assert.match(s.json.session_id, /^[0-9a-f-]{36}$/);
    const hb = await post(emu.url, '/api/v1/session_heartbeat', { session_id: s.json.session_id, type: 'session_heartbeat' });
    assert.deepEqual(hb.json, { type: 'session_heartbeat' });
    const t = await post(emu.url, '/api/v1/telemetry', { events: [], platform: 'node', sdk_version: 'x', session_id: s.json.session_id });
    assert.deepEqual(t.json, { status: 'accepted' });
  });

  it('accepts an absolute-form request target, as a client that treats it as a proxy sends', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const sock = connect(emu.port, '127.0.0.1', () =>
        sock.end(`GET http://127.0.0.1:${emu.port}/api/v1/healthz?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`),
      );
      let buf = '';
      sock
        .setEncoding('utf8')
        .on('data', (c: string) => (buf += c))
        .on('end', () => resolve(buf))
        .on('error', reject);
      sock.setTimeout(5_000, () => sock.destroy(new Error('no answer within 5 s')));
    });
    assert.match(raw, /^HTTP\/1\.1 200 OK/);
    assert.ok(raw.endsWith('{"status":"ready"}'));
  });

  it('answers FastAPI-style 404, 405 and 422 with pydantic item types (json_invalid, missing, string_type...)', async () => {
    const nf = await get(emu.url, '/api/v1/nope');
    assert.deepEqual([nf.status, nf.json], [404, { detail: 'Not Found' }]);
    const na = await get(emu.url, '/api/v1/create_session');
    assert.deepEqual([na.status, na.json], [405, { detail: 'Method Not Allowed' }]);
    const bad = await post(emu.url, '/api/v1/session_heartbeat', '{"session_id": ');
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json.detail[0].type, 'json_invalid');
    assert.deepEqual(bad.json.detail[0].loc, ['body', 0]);
    const missing = await post(emu.url, '/api/v1/session_heartbeat', {});
    assert.deepEqual(missing.json, { detail: [{ type: 'missing', loc: ['body', 'session_id'], msg: 'Field required', input: {} }] });
    const wrongType = await post(emu.url, '/api/v1/session_heartbeat', { session_id: 7 });
    assert.deepEqual(wrongType.json.detail, [
      { type: 'string_type', loc: ['body', 'session_id'], msg: 'Input should be a valid string', input: 7 },
    ]);
    const noBody = await call(emu.url, 'POST', '/api/v1/session_heartbeat');
    assert.deepEqual(noBody.json.detail, [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }]);
  });
});

describe('emulator: start-up failures', function () {
  it('explains a port that is already taken, with the fix', async () => {
    const first = await startEmulator({});
    try {
      await assert.rejects(startEmulator({ port: first.port }), /Port \d+ on 127\.0\.0\.1 is already in use \(EADDRINUSE\).*--port 0/);
    } finally {
      await first.close();
    }
  });
});

describe('emulator: API key', function () {
  let emu: Emulator;
  const lines: string[] = [];
  before(async () => {
    emu = await startEmulator({ apiKey: KEY, readOnlyKey: READ_KEY, faults: true, log: (l) => lines.push(l) });
  });
  after(() => emu.close());

  it('answers 401 {"error"} without the key or with a wrong one, and never echoes a key', async () => {
    const none = await get(emu.url, '/api/v1/get_server_capabilities');
    assert.equal(none.status, 401);
    assert.match(none.json.error, /Missing API key.*X-API-Key/);
    const wrong = await get(emu.url, '/api/v1/get_server_capabilities', { 'x-api-key': 'sk-wrong-key-value' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.json.error, /Invalid API key/);
    assert.ok(!wrong.text.includes('sk-wrong-key-value') && !wrong.text.includes(KEY));
    const ok = await get(emu.url, '/api/v1/get_server_capabilities', { 'x-api-key': KEY });
    assert.equal(ok.status, 200);
  });

  it('gives a read-only key reads, /forward and sampling, and 403 {"detail":"Write access required"} on writes', async () => {
    const ro = { 'x-api-key': READ_KEY };
    const rw = { 'x-api-key': KEY };
    assert.equal((await get(emu.url, '/api/v1/training_runs', ro)).status, 200);
    const s = await post(emu.url, '/api/v1/create_session', { tags: [] }, ro);
    assert.equal(s.status, 200, 'a session is not a write on MinT');
    const create = { session_id: s.json.session_id, model_seq_id: 0, base_model: 'Qwen/Qwen3-0.6B', lora_config: { rank: 4 } };
    const denied = await post(emu.url, '/api/v1/create_model', create, ro);
    assert.deepEqual([denied.status, denied.json], [403, { detail: 'Write access required' }]);
    const made = await post(emu.url, '/api/v1/create_model', create, rw);
    assert.equal(made.status, 200);
    const id = made.json.model_id;
    for (const [method, path, body] of [
      ['POST', '/api/v1/forward_backward', { model_id: id, forward_backward_input: { data: [], loss_fn: 'cross_entropy' } }],
      ['POST', '/api/v1/optim_step', { model_id: id, adam_params: {} }],
      ['POST', '/api/v1/save_weights_for_sampler', { model_id: id, path: 'x' }],
      ['POST', '/api/v1/save_state', { model_id: id, path: 'x' }],
      ['POST', '/api/v1/load_state', { model_id: id, path: `mint://${id}/weights/x` }],
      ['DELETE', `/api/v1/training_runs/${id}/checkpoints/weights/x`, undefined],
      ['DELETE', `/api/v1/models/${id}`, undefined],
    ] as const) {
      const r = await call(emu.url, method, path, body, ro);
      assert.deepEqual([r.status, r.json], [403, { detail: 'Write access required' }], `${method} ${path}`);
    }
    const fwd = await post(emu.url, '/api/v1/forward', { model_id: id, forward_input: { data: [], loss_fn: 'cross_entropy' } }, ro);
    assert.notEqual(fwd.status, 403, 'forward reads only');
    assert.notEqual(
      (
        await post(
          emu.url,
          '/api/v1/asample',
          { base_model: 'Qwen/Qwen3-0.6B', num_samples: 1, prompt: { chunks: [{ tokens: [785] }] }, sampling_params: { max_tokens: 1 } },
          ro,
        )
      ).status,
      403,
    );
  });

  it('accepts sk- and tml- keys alike (no prefix rule)', async () => {
    for (const key of ['tml-0123456789abcdef', 'sk-0123456789abcdef', 'eyJhbGciOi.x.y']) {
      await post(emu.url, '/_emulator/config', { apiKey: key });
      assert.equal((await get(emu.url, '/api/v1/get_server_capabilities', { 'x-api-key': key })).status, 200, key);
    }
    await post(emu.url, '/_emulator/config', { apiKey: KEY });
  });

  it("leaves /oai open as MinT's server does, keeps healthz and / open, and keeps keys out of the request log and log lines", async () => {
    assert.equal((await get(emu.url, '/api/v1/healthz')).status, 200);
    assert.equal((await get(emu.url, '/')).status, 200);
    assert.equal((await get(emu.url, '/oai/api/v1/models')).status, 200);
    assert.equal((await get(emu.url, '/oai/api/v1/models', { authorization: `Bearer ${KEY}`, 'x-api-key': KEY })).status, 200);
    const log = await get(emu.url, '/_emulator/requests?limit=1000');
    assert.ok(log.json.length >= 3);
    assert.ok(!log.text.includes(KEY) && !log.text.includes(READ_KEY), 'the request log must redact the key');
    assert.ok(log.json.some((e: { headers: Record<string, string> }) => e.headers['x-api-key'] === '[redacted]'));
    assert.ok(!lines.join('\n').includes(KEY));
  });

  it('turns the key off and on live through /_emulator/config, without echoing it', async () => {
    const off = await post(emu.url, '/_emulator/config', { apiKey: null });
    assert.equal(off.json.apiKeySet, false);
    assert.equal((await get(emu.url, '/api/v1/get_server_capabilities')).status, 200);
    const on = await post(emu.url, '/_emulator/config', { apiKey: KEY });
    assert.ok(!on.text.includes(KEY));
    assert.equal((await get(emu.url, '/api/v1/get_server_capabilities')).status, 401);
  });
});

describe('emulator: key on /oai (oaiRequiresKey)', function () {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ apiKey: KEY, oaiRequiresKey: true });
  });
  after(() => emu.close());

  it('asks /oai for the key as Bearer or X-API-Key when the flag is on', async () => {
    assert.equal((await get(emu.url, '/oai/api/v1/models')).status, 401);
    assert.equal((await get(emu.url, '/oai/api/v1/models', { authorization: `Bearer ${KEY}` })).status, 200);
    assert.equal((await get(emu.url, '/oai/api/v1/models', { 'x-api-key': KEY })).status, 200);
    assert.equal((await get(emu.url, '/oai/api/v1/models', { authorization: 'Bearer sk-nope' })).status, 401);
  });
});

describe('emulator: path prefix', function () {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({ prefix: '/train', faults: true });
  });
  after(() => emu.close());

  it('serves the API only under the prefix, and says so to a client that dropped it', async () => {
    assert.ok(emu.url.endsWith('/train'));
    const origin = new URL(emu.url).origin;
    const ok = await get(emu.url, '/api/v1/healthz');
    assert.deepEqual(ok.json, { status: 'ready' });
    const dropped = await call(origin, 'GET', '/api/v1/healthz');
    assert.equal(dropped.status, 404);
    assert.match(dropped.json.detail, /under \/train/);
    const log = await get(origin, '/_emulator/requests?limit=5');
    assert.equal(log.json.at(-1).path, '/api/v1/healthz');
  });
});
