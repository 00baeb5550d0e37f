import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startEmulator, type Emulator } from '../../../src/emulator/index';
import { call, get, post, withEmulator } from './helpers';

const KEY = 'sk-mint-test-0123456789abcdef';

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

  it('answers healthz, / and client/config, each with an X-Trace-Id', async () => {
    const h = await get(emu.url, '/api/v1/healthz');
    assert.deepEqual([h.status, h.json], [200, { status: 'ready' }]);
    assert.match(h.headers['x-trace-id']!, /^[0-9a-f]{16}$/);
    const root = await get(emu.url, '/');
    assert.deepEqual(root.json, { status: 'ready', healthz: '/api/v1/healthz' });
    const cfg = await post(emu.url, '/api/v1/client/config', { sdk_version: '0.22.0' });
    assert.equal(cfg.status, 200);
    assert.equal(cfg.json.pjwt_auth_enabled, false);
    assert.equal(cfg.json.proto_write_fwdbwd, false);
    assert.notEqual(cfg.headers['x-trace-id'], h.headers['x-trace-id']);
  });

  it('lists Qwen models with context length and parameter count', async () => {
    const r = await get(emu.url, '/api/v1/get_server_capabilities');
    const names = r.json.supported_models.map((m: { model_name: string }) => m.model_name);
    assert.ok(names.includes('Qwen/Qwen3-0.6B') && names.includes('Qwen/Qwen3-4B-Instruct-2507'));
    for (const m of r.json.supported_models) {
      assert.equal(m.max_context_length, 32768);
      assert.ok(m.num_parameters > 0);
    }
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
      const sock = connect(emu.port, '127.0.0.1', () => sock.end(`GET http://127.0.0.1:${emu.port}/api/v1/healthz?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
      let buf = '';
      sock.setEncoding('utf8').on('data', (c: string) => (buf += c)).on('end', () => resolve(buf)).on('error', reject);
      sock.setTimeout(5_000, () => sock.destroy(new Error('no answer within 5 s')));
    });
    assert.match(raw, /^HTTP\/1\.1 200 OK/);
    assert.ok(raw.endsWith('{"status":"ready"}'));
  });

  it('answers FastAPI-style 404, 405 and 422 (malformed JSON and missing fields)', async () => {
    const nf = await get(emu.url, '/api/v1/nope');
    assert.deepEqual([nf.status, nf.json], [404, { detail: 'Not Found' }]);
    const na = await get(emu.url, '/api/v1/create_session');
    assert.deepEqual([na.status, na.json], [405, { detail: 'Method Not Allowed' }]);
    const bad = await post(emu.url, '/api/v1/session_heartbeat', '{"session_id": ');
    assert.equal(bad.status, 422);
    assert.equal(bad.json.detail[0].type, 'json_invalid');
    const missing = await post(emu.url, '/api/v1/session_heartbeat', {});
    assert.deepEqual(missing.json, { detail: [{ loc: ['body', 'session_id'], msg: 'Field required', type: 'missing' }] });
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
    emu = await startEmulator({ apiKey: KEY, faults: true, log: (l) => lines.push(l) });
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

  it('keeps healthz and / open, accepts Bearer on /oai, and keeps keys out of the request log and log lines', async () => {
    assert.equal((await get(emu.url, '/api/v1/healthz')).status, 200);
    assert.equal((await get(emu.url, '/')).status, 200);
    assert.equal((await get(emu.url, '/oai/api/v1/models', { authorization: `Bearer ${KEY}` })).status, 200);
    const log = await get(emu.url, '/_emulator/requests?limit=1000');
    assert.ok(log.json.length >= 3);
    assert.ok(!log.text.includes(KEY), 'the request log must redact the key');
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
