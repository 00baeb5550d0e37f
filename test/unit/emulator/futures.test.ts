import assert from 'node:assert/strict';
import { request } from 'undici';
import type { Emulator } from '../../../src/emulator/index';
import { post, prompt, samplingSession, session, withEmulator } from './helpers';

async function submit(base: string, sampler: string, extra: Record<string, unknown> = {}) {
  const r = await post(base, '/api/v1/asample', { sampling_session_id: sampler, num_samples: 1, prompt: prompt([785]), sampling_params: { max_tokens: 4, seed: 1 }, ...extra });
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
    assert.ok(waited >= 120 && waited < 150 + 120, `one poll, answered at completion, not at the 2 s window (waited ${waited.toFixed(1)} ms)`);
  });

  it('wakes every held poll of a future at once, with no polling timer between', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 100 });
    const id = await submit(emu.url, sampler);
    const t0 = performance.now();
    const polls = await Promise.all([1, 2, 3].map(() => post(emu.url, '/api/v1/retrieve_future', { request_id: id }).then((r) => ({ r, t: performance.now() - t0 }))));
    for (const { r, t } of polls) {
      assert.equal(r.status, 200);
      assert.ok(t < 100 + 120, `answered ${t.toFixed(1)} ms after submit, not at the 2 s window`);
    }
  });

  it('answers 408 try_again with Retry-After and X-Queue-* headers when the long-poll window ends first', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 3_000, longPollMs: 100 });
    const first = await submit(emu.url, sampler);
    const second = await submit(emu.url, sampler);
    const t0 = performance.now();
    const r = await post(emu.url, '/api/v1/retrieve_future', { request_id: second });
    const waited = performance.now() - t0;
    assert.equal(r.status, 408);
    assert.ok(waited >= 90 && waited < 1_000, `held for the window (${waited.toFixed(0)} ms)`);
    assert.equal(r.json.type, 'try_again');
    assert.equal(r.json.request_id, second);
    assert.equal(r.json.queue_state, 'active');
    const ra = Number(r.headers['retry-after']);
    assert.ok(ra >= 1 && ra <= 30);
    assert.equal(r.headers['x-queue-status'], 'queued');
    assert.equal(r.headers['x-queue-position'], '1');
    assert.ok(Number(r.headers['x-queue-depth']) >= 2);
    assert.ok(Number(r.headers['x-queue-eta-s']) > 0);
    assert.equal(r.headers['x-queue-max-tokens'], '4');
    assert.ok(Number(r.headers['x-queue-tokens-generated']) >= 0 && Number(r.headers['x-queue-tokens-generated']) < 4);
    assert.deepEqual(Object.keys(r.json.progress).sort(), ['max_tokens', 'tokens_generated']);
    assert.notEqual(first, second);
  });

  it('lets a client abandon a held poll; a later poll still gets the result', async () => {
    await post(emu.url, '/_emulator/config', { latencyMs: 300 });
    const id = await submit(emu.url, sampler);
    const ac = new AbortController();
    const held = request(`${emu.url}/api/v1/retrieve_future`, { method: 'POST', body: JSON.stringify({ request_id: id }), headers: { 'content-type': 'application/json' }, signal: ac.signal });
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
});
