import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { request } from 'undici';
import type { Emulator } from '../../../src/emulator/index';
import { call, datum, get, op, post, session, trainingModel, withEmulator } from './helpers';

const SDK_UA = { 'user-agent': 'AsyncTinker/Python 0.22.0' };

/** The names of the entries in a ustar archive (prefix/name joined, as tar does). */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let off = 0; off + 512 <= tar.length;) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const field = (a: number, n: number) =>
      h
        .subarray(a, a + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    names.push(prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const size = parseInt(field(124, 12), 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

describe('emulator: REST listing routes', function () {
  let emu: Emulator;
  let base: string;
  let s: string;
  let runA: string;
  let runB: string;
  // A zone far from UTC: a naive time written in local time would be hours off.
  const savedTz = process.env.TZ;
  before(() => {
    process.env.TZ = 'Asia/Shanghai';
  });
  after(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });
  before(async () => {
    emu = await withEmulator();
    base = emu.url;
    s = await session(base);
    runA = await trainingModel(base, s, 0);
    runB = await trainingModel(base, s, 1);
    await op(base, 'save_weights_for_sampler', { model_id: runA, seq_id: 1, path: 'untrained' });
    await op(base, 'forward_backward', {
      model_id: runA,
      seq_id: 2,
      forward_backward_input: { data: [datum([785, 5426, 374])], loss_fn: 'cross_entropy' },
    });
    await op(base, 'optim_step', { model_id: runA, seq_id: 3, adam_params: { learning_rate: 0.01 } });
    await op(base, 'save_weights', { model_id: runA, seq_id: 4, path: 'state-1' });
    await op(base, 'save_weights_for_sampler', { model_id: runA, seq_id: 5, path: 'final' });
  });
  after(() => emu.close());

  it('pages live training runs newest first with a cursor; no limit cap, a negative limit means 0', async () => {
    const all = await get(base, '/api/v1/training_runs');
    assert.deepEqual(
      all.json.training_runs.map((r: { training_run_id: string }) => r.training_run_id),
      [runB, runA],
      'created_at desc, then model_seq_id desc',
    );
    assert.deepEqual(all.json.cursor, { offset: 0, limit: 20, total_count: 2 });
    const p2 = await get(base, '/api/v1/training_runs?limit=1&offset=1');
    assert.deepEqual(
      p2.json.training_runs.map((r: { training_run_id: string }) => r.training_run_id),
      [runA],
    );
    const big = await get(base, '/api/v1/training_runs?limit=5000');
    assert.deepEqual([big.status, big.json.cursor.limit, big.json.training_runs.length], [200, 5000, 2]);
    const neg = await get(base, '/api/v1/training_runs?limit=-3&offset=-1');
    assert.deepEqual([neg.status, neg.json.training_runs, neg.json.cursor], [200, [], { offset: 0, limit: 0, total_count: 2 }]);
    const bad = await get(base, '/api/v1/training_runs?limit=ten');
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json.detail, [
      {
        type: 'int_parsing',
        loc: ['query', 'limit'],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: 'ten',
      },
    ]);
  });

  it('describes one run as MinT does: no last checkpoints, {} metadata, naive time, activity fields', async () => {
    const r = await get(base, `/api/v1/training_runs/${runA}`);
    assert.equal(r.json.training_run_id, runA);
    assert.equal(r.json.base_model, 'Qwen/Qwen3-0.6B');
    assert.deepEqual([r.json.is_lora, r.json.lora_rank, r.json.model_owner], [true, 8, 'anonymous']);
    assert.equal(r.json.last_checkpoint, null);
    assert.equal(r.json.last_sampler_checkpoint, null);
    assert.deepEqual(r.json.user_metadata, {});
    assert.match(r.json.last_request_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/, 'no timezone, microseconds');
    assert.ok(Math.abs(Date.parse(`${r.json.last_request_time}Z`) - Date.now()) < 60_000, 'naive time is UTC wall time, as MinT writes it');
    assert.ok(Math.abs(r.json.last_activity * 1000 - Date.now()) < 60_000);
    assert.ok(r.json.idle_for_s >= 0 && r.json.idle_for_s < 60);
    const none = await get(base, '/api/v1/training_runs/nope');
    assert.deepEqual([none.status, none.json], [404, { detail: "Training run 'nope' not found" }]);
  });

  it("lists checkpoints newest first (step, time) with tinker_path always tinker:// and path in the caller's scheme", async () => {
    const r = await get(base, `/api/v1/training_runs/${runA}/checkpoints`);
    assert.equal(r.json.model_id, runA);
    const cps = r.json.checkpoints;
    assert.deepEqual(
      cps.map((c: { checkpoint_id: string }) => c.checkpoint_id),
      ['sampler_weights/final', 'weights/state-1', 'sampler_weights/untrained'],
    );
    assert.deepEqual(
      cps.map((c: { step: number }) => c.step),
      [1, 1, 0],
    );
    const [final] = cps;
    assert.equal(final.tinker_path, `tinker://${runA}/sampler_weights/final`);
    assert.equal(final.path, `mint://${runA}/sampler_weights/final`);
    assert.deepEqual(Object.keys(final).sort(), [
      'checkpoint_id',
      'checkpoint_type',
      'created_at',
      'expires_at',
      'mirror_error',
      'mirror_status',
      'owner_id',
      'path',
      'public',
      'size_bytes',
      'step',
      'storage_tier',
      'time',
      'tinker_path',
    ]);
    assert.ok(!Number.isNaN(Date.parse(final.created_at)) && final.size_bytes > 0);
    const sdk = await get(base, `/api/v1/training_runs/${runA}/checkpoints`, SDK_UA);
    assert.equal(sdk.json.checkpoints[0].path, `tinker://${runA}/sampler_weights/final`);
    const empty = await get(base, `/api/v1/training_runs/${runB}/checkpoints`);
    assert.deepEqual([empty.status, empty.json], [404, { detail: `No checkpoints found for model '${runB}'` }]);
  });

  it('streams a non-SDK client the archive as 200 application/gzip named <id>_<ckpt>.tar.gz', async () => {
    const res = await request(`${base}/api/v1/training_runs/${runA}/checkpoints/sampler_weights/final/archive`, {
      headers: { 'user-agent': 'MinT-VSCode/0.1.0' },
    });
    const bytes = Buffer.from(await res.body.arrayBuffer());
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/gzip');
    assert.equal(res.headers['content-disposition'], `attachment; filename="${runA}_sampler_weights_final.tar.gz"`);
    assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'gzip magic');
    const tar = gunzipSync(bytes);
    assert.deepEqual(tarNames(tar), ['final/adapter_config.json', 'final/adapter_model.json']);
    assert.equal(tar.subarray(257, 262).toString(), 'ustar');
    const missing = await get(base, `/api/v1/training_runs/${runA}/checkpoints/weights/none/archive`);
    assert.deepEqual([missing.status, missing.json], [404, { detail: "Checkpoint 'weights/none' not found" }]);
  });

  it('redirects only the Tinker SDK (302 + signed Location + Expires); the signed link serves gzip without a key; a bad token is 401', async () => {
    const res = await request(`${base}/api/v1/training_runs/${runA}/checkpoints/sampler_weights/final/archive`, {
      headers: { ...SDK_UA, accept: 'application/gzip' },
    });
    await res.body.text();
    assert.equal(res.statusCode, 302);
    const location = String(res.headers['location']);
    assert.match(location, /\/archive\?direct=1&download_token=[0-9a-f]{32}$/);
    assert.ok(Date.parse(String(res.headers['expires'])) > Date.now());
    const dl = await request(location, { headers: SDK_UA });
    const bytes = Buffer.from(await dl.body.arrayBuffer());
    assert.equal(dl.statusCode, 200, 'direct=1 is never redirected again');
    assert.equal(dl.headers['content-type'], 'application/gzip');
    assert.deepEqual(tarNames(gunzipSync(bytes)), ['final/adapter_config.json', 'final/adapter_model.json']);
    const forged = await get(base, `/api/v1/training_runs/${runA}/checkpoints/sampler_weights/final/archive?direct=1&download_token=00`);
    assert.deepEqual([forged.status, forged.json], [401, { error: 'Invalid download token' }]);
    const elsewhere = await get(
      base,
      new URL(location).pathname.replace('sampler_weights/final', 'weights/state-1') + new URL(location).search,
    );
    assert.equal(elsewhere.status, 401, 'a token opens only its own checkpoint');
  });

  it('keeps a long checkpoint name whole in the archive (ustar prefix)', async () => {
    const name = 'n'.repeat(120);
    await op(base, 'save_weights_for_sampler', { model_id: runA, seq_id: 6, path: name });
    const res = await request(`${base}/api/v1/training_runs/${runA}/checkpoints/sampler_weights/${name}/archive`);
    const tar = gunzipSync(Buffer.from(await res.body.arrayBuffer()));
    assert.deepEqual(tarNames(tar), [`${name}/adapter_config.json`, `${name}/adapter_model.json`]);
  });

  it('deletes a checkpoint ({status, checkpoint_id}), then 404s it', async () => {
    await op(base, 'save_weights', { model_id: runA, seq_id: 7, path: 'doomed' });
    const del = await call(base, 'DELETE', `/api/v1/training_runs/${runA}/checkpoints/weights/doomed`);
    assert.deepEqual(del.json, { status: 'deleted', checkpoint_id: 'weights/doomed' });
    const again = await call(base, 'DELETE', `/api/v1/training_runs/${runA}/checkpoints/weights/doomed`);
    assert.deepEqual([again.status, again.json], [404, { detail: "Checkpoint 'weights/doomed' not found" }]);
  });

  it('lists sessions newest first without a cursor, and reads one session and one sampler', async () => {
    const s2 = await session(base);
    const list = await get(base, '/api/v1/sessions?limit=5000');
    assert.deepEqual(Object.keys(list.json), ['sessions'], 'no cursor');
    assert.deepEqual(list.json.sessions.slice(0, 2), [s2, s]);
    assert.deepEqual((await get(base, '/api/v1/sessions?limit=1&offset=1')).json.sessions, [s]);
    assert.deepEqual((await get(base, '/api/v1/sessions?limit=-1')).json.sessions, []);
    const one = await get(base, `/api/v1/sessions/${s}`);
    assert.deepEqual(one.json.training_run_ids, [runA, runB]);
    const cs = await post(base, '/api/v1/create_sampling_session', {
      session_id: s,
      sampling_session_seq_id: 3,
      model_path: `mint://${runA}/sampler_weights/final`,
    });
    const sampler = await get(base, `/api/v1/samplers/${encodeURIComponent(cs.json.sampling_session_id)}`);
    assert.deepEqual(sampler.json, {
      sampler_id: `${s}:sample:3`,
      base_model: 'Qwen/Qwen3-0.6B',
      model_path: `mint://${runA}/sampler_weights/final`,
    });
    assert.deepEqual((await get(base, `/api/v1/sessions/${s}`)).json.sampler_ids, [`${s}:sample:3`]);
    assert.deepEqual((await get(base, '/api/v1/samplers/none')).json, { detail: "Sampler 'none' not found" });
    assert.deepEqual((await get(base, '/api/v1/sessions/none')).json, { detail: "Session 'none' not found" });
  });
});
