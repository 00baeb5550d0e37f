import assert from 'node:assert/strict';
import { request } from 'undici';
import { startEmulator, type Emulator } from '../../../src/emulator/index';
import { call, get, post, prompt, samplingSession, session, withEmulator } from './helpers';

describe('emulator: fault injection and control interface', function () {
  let emu: Emulator;
  let base: string;
  const fault = (rule: Record<string, unknown>) => post(base, '/_emulator/faults', rule);
  before(async () => {
    emu = await withEmulator();
    base = emu.url;
  });
  afterEach(() => call(base, 'DELETE', '/_emulator/faults'));
  after(() => emu.close());

  it('answers a chosen status with a JSON body, or a FastAPI-style default body', async () => {
    const added = await fault({ route: '/api/v1/get_server_capabilities', status: 503, body: { detail: 'maintenance' } });
    assert.match(added.json.id, /^fault_\d+$/);
    const r = await get(base, '/api/v1/get_server_capabilities');
    assert.deepEqual([r.status, r.json], [503, { detail: 'maintenance' }]);
    assert.equal((await get(base, '/api/v1/get_server_capabilities')).status, 200, 'times defaults to 1');
    await fault({ route: '/api/v1/healthz', status: 500 });
    const d = await get(base, '/api/v1/healthz');
    assert.equal(d.status, 500);
    assert.match(d.json.detail, /Injected fault: HTTP 500/);
  });

  it('sends malformed JSON with bodyText, with the Content-Type asked for', async () => {
    await fault({ route: '/api/v1/healthz', status: 200, bodyText: '{"status": "rea', contentType: 'application/json' });
    const r = await get(base, '/api/v1/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"status": "rea');
    assert.equal(r.json, undefined);
    assert.equal(r.headers['content-type'], 'application/json');
    await fault({ route: '/api/v1/healthz', status: 502, bodyText: '<html>bad gateway</html>' });
    const h = await get(base, '/api/v1/healthz');
    assert.equal(h.headers['content-type'], 'text/plain; charset=utf-8');
  });

  it('adds headers, to an injected reply or to the real one', async () => {
    await fault({ route: '/api/v1/healthz', status: 429, headers: { 'Retry-After': '1', 'x-should-retry': 'true' } });
    const r = await get(base, '/api/v1/healthz');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '1');
    assert.equal(r.headers['x-should-retry'], 'true');
    await fault({ route: '/api/v1/healthz', headers: { 'retry-after-ms': '250' } });
    const pass = await get(base, '/api/v1/healthz');
    assert.deepEqual([pass.status, pass.json, pass.headers['retry-after-ms']], [200, { status: 'ready' }, '250']);
  });

  it('delays, then handles the request normally when delayMs is alone', async () => {
    await fault({ route: '/api/v1/healthz', delayMs: 200 });
    const t0 = performance.now();
    const r = await get(base, '/api/v1/healthz');
    const took = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.ok(took >= 190 && took < 1_500, `took ${took.toFixed(0)} ms`);
  });

  it('drops the connection before headers', async () => {
    await fault({ route: '/api/v1/healthz', drop: 'before-headers' });
    await assert.rejects(request(`${base}/api/v1/healthz`), (err: Error & { code?: string }) => {
      assert.match(`${err.name} ${err.code} ${err.message}`, /SocketError|UND_ERR_SOCKET|other side closed|ECONNRESET/);
      return true;
    });
  });

  it('drops the connection mid-body after promising the full length', async () => {
    await fault({ route: '/api/v1/get_server_capabilities', drop: 'mid-body' });
    const res = await request(`${base}/api/v1/get_server_capabilities`);
    assert.equal(res.statusCode, 200);
    const promised = Number(res.headers['content-length']);
    assert.ok(promised > 0);
    await assert.rejects(res.body.text(), /other side closed|terminated|aborted|socket|premature close/i);
  });

  it('honours skip, times and method, and a route prefix ending in *', async () => {
    await fault({ route: '/api/v1/*', method: 'GET', skip: 1, times: 2, status: 418 });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(base, '/api/v1/healthz')).status);
    assert.deepEqual(statuses, [200, 418, 418, 200]);
    await fault({ route: '/api/v1/*', method: 'GET', status: 418, times: -1 });
    assert.equal((await post(base, '/api/v1/client/config', {})).status, 200, 'POST is not matched');
    for (let i = 0; i < 3; i++) assert.equal((await get(base, '/api/v1/healthz')).status, 418, 'times -1 lasts until cleared');
    await call(base, 'DELETE', '/_emulator/faults');
    assert.equal((await get(base, '/api/v1/healthz')).status, 200);
  });

  it('finishes a future with an error, or keeps it pending for N polls with queue headers', async () => {
    const sampler = await samplingSession(base, await session(base), 0, { base_model: 'Qwen/Qwen3-0.6B' });
    const body = { sampling_session_id: sampler, num_samples: 1, prompt: prompt([785]), sampling_params: { max_tokens: 2 } };
    await fault({ route: '/api/v1/asample', futurePendingPolls: 2 });
    const sub = await post(base, '/api/v1/asample', body);
    assert.equal(sub.status, 200);
    const seen = [];
    for (let i = 0; i < 3; i++) {
      const r = await post(base, '/api/v1/retrieve_future', { request_id: sub.json.request_id });
      seen.push(r.status);
      if (r.status === 408) {
        assert.equal(r.json.type, 'try_again');
        assert.deepEqual(
          [r.headers['retry-after'], r.headers['x-queue-status'], r.headers['x-queue-stage'], r.json.status],
          ['1', 'queued', 'queued', 'queued'],
        );
      } else assert.equal(r.json.type, 'sample');
    }
    assert.deepEqual(seen, [408, 408, 200]);

    await fault({ route: '/api/v1/asample', futureError: { error: 'Checkpoint not found: x', category: 'user' } });
    const failing = await post(base, '/api/v1/asample', body);
    const r = await post(base, '/api/v1/retrieve_future', { request_id: failing.json.request_id });
    assert.deepEqual(r.json, { error: 'Checkpoint not found: x', category: 'user' });
  });

  it('logs requests (oldest first, limit respected), clears the log, resets state', async () => {
    await call(base, 'DELETE', '/_emulator/requests');
    await post(base, '/api/v1/session_heartbeat', { session_id: 'abc' }, { 'x-custom': 'yes' });
    await get(base, '/api/v1/healthz?probe=1');
    const log = await get(base, '/_emulator/requests?limit=2');
    assert.equal(log.json.length, 2);
    assert.deepEqual(
      log.json.map((e: { path: string }) => e.path),
      ['/api/v1/session_heartbeat', '/api/v1/healthz'],
    );
    assert.deepEqual(log.json[0].body, { session_id: 'abc' });
    assert.equal(log.json[0].headers['x-custom'], 'yes');
    assert.equal(log.json[0].status, 200);
    assert.deepEqual(log.json[1].query, { probe: '1' });
    assert.ok(!Number.isNaN(Date.parse(log.json[1].time)));
    await call(base, 'DELETE', '/_emulator/requests');
    assert.deepEqual((await get(base, '/_emulator/requests')).json, []);

    // The log shows what the client sent, before the tinker:// rewrite; huge bodies become a note.
    await post(base, '/api/v1/weights_info', { tinker_path: 'tinker://r/weights/x' });
    await post(base, '/api/v1/telemetry', { events: ['x'.repeat(300_000)] });
    const [wi, tel] = (await get(base, '/_emulator/requests?limit=2')).json;
    assert.deepEqual(wi.body, { tinker_path: 'tinker://r/weights/x' });
    assert.equal(tel.body, '[body of 300015 characters not logged]');

    const s = await session(base);
    await post(base, '/_emulator/reset');
    const sessions = await get(base, '/api/v1/sessions');
    assert.ok(!sessions.json.sessions.includes(s));
  });

  it('rejects a malformed rule with a 422 field list', async () => {
    const r = await fault({ status: 200 });
    assert.equal(r.status, 422);
    assert.deepEqual(r.json.detail[0].loc, ['body', 'route']);
  });
});

describe('emulator: control interface is off without --faults', function () {
  let emu: Emulator;
  before(async () => {
    emu = await startEmulator({});
  });
  after(() => emu.close());
  it('answers 404 and says how to turn it on', async () => {
    const r = await post(emu.url, '/_emulator/faults', { route: '/x', status: 500 });
    assert.equal(r.status, 404);
    assert.match(r.json.detail, /--faults/);
  });
});
