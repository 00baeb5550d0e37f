import assert from 'node:assert/strict';
import { request } from 'undici';
import type { Emulator } from '../../../src/emulator/index';
import { call, datum, get, op, post, session, trainingModel, withEmulator } from './helpers';

describe('emulator: REST listing routes', function () {
  let emu: Emulator;
  let base: string;
  let s: string;
  let runA: string;
  let runB: string;
  before(async () => {
    emu = await withEmulator();
    base = emu.url;
    s = await session(base);
    runA = await trainingModel(base, s, 0);
    runB = await trainingModel(base, s, 1);
    await op(base, 'forward_backward', { model_id: runA, seq_id: 1, forward_backward_input: { data: [datum([785, 5426, 374])], loss_fn: 'cross_entropy' } });
    await op(base, 'optim_step', { model_id: runA, seq_id: 2, adam_params: { learning_rate: 0.01 } });
    await op(base, 'save_weights', { model_id: runA, seq_id: 3, path: 'state-1' });
    await op(base, 'save_weights_for_sampler', { model_id: runA, seq_id: 4, path: 'final' });
  });
  after(() => emu.close());

  it('pages training runs with a cursor {offset, limit, total_count}', async () => {
    const p1 = await get(base, '/api/v1/training_runs?limit=1&offset=0');
    assert.equal(p1.json.training_runs.length, 1);
    assert.deepEqual(p1.json.cursor, { offset: 0, limit: 1, total_count: 2 });
    const p2 = await get(base, '/api/v1/training_runs?limit=1&offset=1');
    const ids = [p1.json.training_runs[0].training_run_id, p2.json.training_runs[0].training_run_id].sort();
    assert.deepEqual(ids, [runA, runB].sort());
    const bad = await get(base, '/api/v1/training_runs?limit=-3');
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json.detail[0].loc, ['query', 'limit']);
  });

  it('describes one run with its last checkpoints', async () => {
    const r = await get(base, `/api/v1/training_runs/${runA}`);
    assert.equal(r.json.training_run_id, runA);
    assert.equal(r.json.base_model, 'Qwen/Qwen3-0.6B');
    assert.equal(r.json.is_lora, true);
    assert.equal(r.json.lora_rank, 8);
    assert.equal(r.json.last_checkpoint.tinker_path, `mint://${runA}/weights/state-1`);
    assert.equal(r.json.last_sampler_checkpoint.checkpoint_type, 'sampler');
    assert.equal((await get(base, '/api/v1/training_runs/nope')).status, 404);
  });

  it('lists checkpoints, 404 when a run has none (as MinT does)', async () => {
    const r = await get(base, `/api/v1/training_runs/${runA}/checkpoints`);
    assert.deepEqual(r.json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id), ['weights/state-1', 'sampler_weights/final']);
    assert.ok(r.json.checkpoints.every((c: { size_bytes: number; time: string }) => c.size_bytes > 0 && !Number.isNaN(Date.parse(c.time))));
    const empty = await get(base, `/api/v1/training_runs/${runB}/checkpoints`);
    assert.equal(empty.status, 404);
    assert.match(empty.json.detail, /No checkpoints/);
  });

  it('redirects the archive (checkpoint id with a slash) to a download link that works without a key', async () => {
    const res = await request(`${base}/api/v1/training_runs/${runA}/checkpoints/sampler_weights/final/archive`, { headers: { accept: 'application/gzip' } });
    await res.body.text();
    assert.equal(res.statusCode, 302);
    const location = String(res.headers['location']);
    assert.match(location, /\/archive\?direct=1&download_token=[0-9a-f]{32}$/);
    assert.ok(res.headers['expires']);
    const dl = await request(location);
    const bytes = Buffer.from(await dl.body.arrayBuffer());
    assert.equal(dl.statusCode, 200);
    assert.equal(dl.headers['content-type'], 'application/x-tar');
    assert.equal(bytes.subarray(0, 19).toString(), 'adapter_config.json');
    assert.equal(bytes.subarray(257, 262).toString(), 'ustar');
    const forged = await get(base, `/api/v1/training_runs/${runA}/checkpoints/sampler_weights/final/archive?download_token=00`);
    assert.equal(forged.status, 403);
  });

  it('deletes a checkpoint, then 404s it', async () => {
    await op(base, 'save_weights', { model_id: runA, seq_id: 5, path: 'doomed' });
    const del = await call(base, 'DELETE', `/api/v1/training_runs/${runA}/checkpoints/weights/doomed`);
    assert.deepEqual(del.json, { status: 'deleted', training_run_id: runA, checkpoint_id: 'weights/doomed' });
    const again = await call(base, 'DELETE', `/api/v1/training_runs/${runA}/checkpoints/weights/doomed`);
    assert.equal(again.status, 404);
  });

  it('lists sessions, one session, and one sampler', async () => {
    const list = await get(base, '/api/v1/sessions?limit=10');
    assert.ok(list.json.sessions.includes(s));
    const one = await get(base, `/api/v1/sessions/${s}`);
    assert.deepEqual(one.json.training_run_ids, [runA, runB]);
    const cs = await post(base, '/api/v1/create_sampling_session', { session_id: s, sampling_session_seq_id: 3, model_path: `mint://${runA}/sampler_weights/final` });
    const sampler = await get(base, `/api/v1/samplers/${encodeURIComponent(cs.json.sampling_session_id)}`);
    assert.deepEqual(sampler.json, { sampler_id: `${s}:sample:3`, base_model: 'Qwen/Qwen3-0.6B', model_path: `mint://${runA}/sampler_weights/final` });
    assert.deepEqual((await get(base, `/api/v1/sessions/${s}`)).json.sampler_ids, [`${s}:sample:3`]);
    assert.equal((await get(base, '/api/v1/samplers/none')).status, 404);
  });
});
