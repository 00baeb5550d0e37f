import assert from 'node:assert/strict';
import { request } from 'undici';
import type { Emulator } from '../../../src/emulator/index';
import { post, prompt, samplingSession, session, trainingModel, withEmulator } from './helpers';

async function submit(base: string, sampler: string, extra: Record<string, unknown> = {}) {
  const r = await post(base, '/api/v1/asample', {
    sampling_session_id: sampler,
    num_samples: 1,
    prompt: prompt([785]),
    sampling_params: { max_tokens: 4, seed: 1 },
    ...extra,
  });
  assert.equal(r.status, 200, r.text);
  return r.json.request_id as string;
}

describe('emulator: futures and long-poll', function () {
  let emu: Emulator;
  let sampler: string;
  before(async () => {
    emu = await withEmulator({ longPollMs: 2_000 });
    sampler = await samplingSession(emu.url, await session(emu.url), 0, { base_model: 'Qwen/Qwen3-0.6B' });
  });
  afterEach(() => post(emu.url, '/_emulator/config', { latencyMs: 0, longPollMs: 2_000 }));
  after(() => emu.close());

  it('holds a poll while the future runs and answers the moment it completes', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 150 });
    const id = await submit(emu.url, sampler);
    const t0 = performance.now();
    const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    const waited = performance.now() - t0;
    assert.equal(r.status, 200);
    assert.equal(r.json.type, 'sample');
    assert.equal(r.json.sequences[0].tokens.length, 4);
    assert.ok(
      waited >= 120 && waited < 150 + 120,
      `one poll, answered at completion, not at the 2 s window (waited ${waited.toFixed(1)} ms)`,
    );
  });

  it('wakes every held poll of a future at once, with no polling timer between', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 100 });
    const id = await submit(emu.url, sampler);
    const t0 = performance.now();
    const polls = await Promise.all(
      [1, 2, 3].map(() => post(emu.url, '/api/v1/retrieve_future', { request_id: id }).then((r) => ({ r, t: performance.now() - t0 }))),
    );
    for (const { r, t } of polls) {
      assert.equal(r.status, 200);
      assert.ok(t < 100 + 120, `answered ${t.toFixed(1)} ms after submit, not at the 2 s window`);
    }
  });

  it('answers a pending sample 408 as MinT does: Retry-After 1, status/stage prefill then decode, no position/depth/ETA', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 1_500, longPollMs: 100 });
    const id = await submit(emu.url, sampler, { seq_id: 5 });
    const t0 = performance.now();
    const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    const waited = performance.now() - t0;
    assert.equal(r.status, 408);
    assert.ok(waited >= 90 && waited < 1_000, `held for the window (${waited.toFixed(0)} ms)`);
    assert.deepEqual([r.headers['retry-after'], r.headers['x-queue-status'], r.headers['x-queue-stage']], ['1', 'prefill', 'prefill']);
    for (const h of ['x-queue-position', 'x-queue-depth', 'x-queue-eta-s']) assert.equal(r.headers[h], undefined, h);
    assert.deepEqual(
      [r.json.queue_state, r.json.retry_after_s, r.json.request_id, r.json.type, r.json.status, r.json.stage],
      ['active', 1, id, 'try_again', 'prefill', 'prefill'],
    );
    for (const k of ['queue_position', 'queue_depth', 'estimated_wait_s', 'model_id', 'progress'])
      assert.ok(k in r.json && r.json[k] === null, `${k} is null`);
    assert.deepEqual(
      [r.json.sampling_session_id, r.json.seq_id],
      [sampler, 5],
      'the reply names the sampling session and seq_id it waits on',
    );
    await new Promise((res) => setTimeout(res, 600));
    const d = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    assert.deepEqual([d.status, d.headers['x-queue-status'], d.json.status], [408, 'decode', 'decode']);
    assert.equal(d.headers['x-queue-max-tokens'], '4');
    const generated = Number(d.headers['x-queue-tokens-generated']);
    assert.ok(generated >= 0 && generated < 4);
    assert.deepEqual(d.json.progress, { tokens_generated: generated, max_tokens: 4 });
  });

  it('reports training ops queued behind their model, then running, with model_id and seq_id', async () => {
    const s = await session(emu.url);
    const model = await trainingModel(emu.url, s);
    await post(emu.url, '/_emulator/config', { latencyMs: 600, longPollMs: 50 });
    const first = await post(emu.url, '/api/v1/optim_step', { model_id: model, seq_id: 1, adam_params: {} });
    const second = await post(emu.url, '/api/v1/optim_step', { model_id: model, seq_id: 2, adam_params: {} });
    const a = await post(emu.url, '/api/v1/retrieve_future', { request_id: first.json.request_id });
    const b = await post(emu.url, '/api/v1/retrieve_future', { request_id: second.json.request_id });
    assert.deepEqual([a.headers['x-queue-status'], a.json.stage, a.json.model_id, a.json.seq_id], ['running', 'running', model, 1]);
    assert.deepEqual(
      [b.headers['x-queue-status'], b.json.stage, b.json.seq_id, b.json.queue_kind],
      ['queued', 'queued', 2, 'model_work_scheduler'],
    );
    assert.equal(b.headers['retry-after'], '1');
  });

  it('keeps the old X-Queue-Position/-Depth/-ETA-S form behind legacyQueueHeaders', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 3_000, longPollMs: 50, legacyQueueHeaders: true });
    try {
      const first = await submit(emu.url, sampler);
      const second = await submit(emu.url, sampler);
      const q = await post(emu.url, '/api/v1/retrieve_future', { request_id: first });
      const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: second });
      assert.equal(r.status, 408);
      // Futures left pending by earlier tests count too: the second is one place behind the first.
      const position = Number(q.headers['x-queue-position']) + 1;
      assert.equal(r.headers['x-queue-position'], String(position));
      assert.ok(Number(r.headers['x-queue-depth']) >= 2);
      const eta = Number(r.headers['x-queue-eta-s']);
      assert.ok(eta > 2 && eta <= 3);
      assert.equal(r.headers['retry-after'], String(Math.ceil(eta)));
      assert.deepEqual(
        [r.json.queue_position, r.json.eta_s, r.json.estimated_wait_s],
        [position, Number(eta.toFixed(3)), Number(eta.toFixed(3))],
      );
    } finally {
      await post(emu.url, '/_emulator/config', { legacyQueueHeaders: false });
    }
  });

  it('throttles a re-poll within 1 s when long-poll is off: 408, Retry-After 1, X-Tinker-Poll-Throttled, no type', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 1_500, longPollMs: 0 });
    const id = await submit(emu.url, sampler);
    const full = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    assert.deepEqual([full.status, full.json.type, full.headers['x-tinker-poll-throttled']], [408, 'try_again', undefined]);
    const again = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    assert.deepEqual(
      [again.status, again.headers['retry-after'], again.headers['x-tinker-poll-throttled'], again.json],
      [408, '1', '1', { queue_state: 'active', retry_after_s: 1 }],
    );
    await new Promise((res) => setTimeout(res, 1_050));
    const later = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    assert.deepEqual([later.status, later.json.type], [408, 'try_again']);
  });

  it('lets a client abandon a held poll; a later poll still gets the result', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 300 });
    const id = await submit(emu.url, sampler);
    const ac = new AbortController();
    const held = request(`${emu.url}/api/v1/retrieve_future`, {
      method: 'POST',
      body: JSON.stringify({ request_id: id }),
      headers: { 'content-type': 'application/json' },
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(held, (err: Error) => err.name === 'AbortError' || /abort/i.test(err.message));
    const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    assert.equal(r.status, 200);
    assert.equal(r.json.type, 'sample');
  });

  it('answers 404 {"detail":"Unknown request_id: ..."} for an id it never issued', async () => {
    const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: 'req-that-never-was' });
    assert.deepEqual([r.status, r.json], [404, { detail: 'Unknown request_id: req-that-never-was' }]);
  });

  it('reports a future that fails as 200 {error, category:"system"}', async () => {
    await post(emu.url, '/_emulator/faults', { route: '/api/v1/asample', futureError: { error: 'GPU fell over', category: 'system' } });
    const id = await submit(emu.url, sampler);
    const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
    assert.deepEqual([r.status, r.json], [200, { error: 'GPU fell over', category: 'system' }]);
  });

  it('masks failure text as production MinT does with maskErrors, except its safe prefixes', async () => {
    await post(emu.url, '/_emulator/config', { maskErrors: true });
    try {
      const failWith = async (error: string) => {
        await post(emu.url, '/_emulator/faults', { route: '/api/v1/asample', futureError: { error, category: 'system' } });
        return (await post(emu.url, '/api/v1/retrieve_future', { request_id: await submit(emu.url, sampler) })).json;
      };
      assert.deepEqual(await failWith('Training session terminated due to stale heartbeat (> 300.0s)'), {
        error: 'Operation failed. Contact administrator if issue persists.',
        category: 'system',
      });
      for (const kept of ['Access denied to x', 'Checkpoint not found: mint://r/weights/x', 'Future expired'])
        assert.equal((await failWith(kept)).error, kept);
    } finally {
      await post(emu.url, '/_emulator/config', { maskErrors: false });
    }
  });

  it('serves a retrieved result again only inside the hot-cache window, then "Future already retrieved"', async () => {
    await post(emu.url, '/_emulator/config', { resultHotTtlMs: 150 });
    try {
      const id = await submit(emu.url, sampler);
      const first = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
      const again = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
      assert.equal(first.json.type, 'sample');
      assert.deepEqual(again.json, first.json);
      await new Promise((res) => setTimeout(res, 250));
      const late = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
      assert.deepEqual([late.status, late.json], [200, { error: 'Future already retrieved', category: 'system' }]);
    } finally {
      await post(emu.url, '/_emulator/config', { resultHotTtlMs: 300_000 });
    }
  });

  it('fails a future pending longer than the pending TTL with "Future expired"', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 2_000, longPollMs: 50, futurePendingTtlMs: 100 });
    try {
      const id = await submit(emu.url, sampler);
      await new Promise((res) => setTimeout(res, 150));
      const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: id });
      assert.deepEqual([r.status, r.json], [200, { error: 'Future expired', category: 'system' }]);
    } finally {
      await post(emu.url, '/_emulator/config', { futurePendingTtlMs: 86_400_000 });
    }
  });
});
