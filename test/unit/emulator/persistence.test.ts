import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../../../src/emulator/index';
import { datum, get, op, post, prompt, sample, samplingSession, session, trainingModel } from './helpers';

describe('emulator: --data-dir', function () {
  const dir = mkdtempSync(join(tmpdir(), 'mint-emu-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps runs and checkpoints across a restart; a restored sampler checkpoint samples identically', async () => {
    const params = { max_tokens: 10, seed: 99 };
    const probe = prompt([785, 5426]);
    let runId: string;
    let before: any;
    let emu = await startEmulator({ dataDir: dir });
    try {
      const s = await session(emu.url);
      runId = await trainingModel(emu.url, s, 0, 4, 1);
      const data = [datum([785, 5426, 374, 3309, 1573])];
      for (let seq = 1; seq <= 6; seq += 2) {
        await op(emu.url, 'forward_backward', { model_id: runId, seq_id: seq, forward_backward_input: { data, loss_fn: 'cross_entropy' } });
        await op(emu.url, 'optim_step', { model_id: runId, seq_id: seq + 1, adam_params: { learning_rate: 0.05 } });
      }
      await op(emu.url, 'save_weights', { model_id: runId, seq_id: 7, path: 'state' });
      const saved = await op(emu.url, 'save_weights_for_sampler', { model_id: runId, seq_id: 8, path: 'final' });
      const sampler = await samplingSession(emu.url, s, 0, { model_path: saved.path });
      before = await sample(emu.url, { sampling_session_id: sampler, prompt: probe, sampling_params: params, prompt_logprobs: true });
    } finally {
      await emu.close();
    }
    // A stray unreadable run must not stop the restart.
    mkdirSync(join(dir, 'runs', 'broken'), { recursive: true });
    writeFileSync(join(dir, 'runs', 'broken', 'run.json'), '{not json');
    const warnings: string[] = [];
    emu = await startEmulator({ dataDir: dir, log: (l) => warnings.push(l) });
    try {
      assert.ok(warnings.some((w) => /skipping unreadable run/.test(w)));
      // MinT lists live sessions only; the emulator also lists runs restored from --data-dir (a
      // departure on purpose), so the user's runs stay in the Training Runs view after a restart.
      const runs = await get(emu.url, '/api/v1/training_runs');
      assert.deepEqual(
        runs.json.training_runs.map((r: { training_run_id: string }) => r.training_run_id),
        [runId],
      );
      assert.equal((await get(emu.url, `/api/v1/training_runs/${runId}`)).json.training_run_id, runId);
      const cps = await get(emu.url, `/api/v1/training_runs/${runId}/checkpoints`);
      assert.deepEqual(cps.json.checkpoints.map((c: { checkpoint_id: string }) => c.checkpoint_id).sort(), [
        'sampler_weights/final',
        'weights/state',
      ]);
      const s = await session(emu.url);
      const sampler = await samplingSession(emu.url, s, 0, { model_path: `mint://${runId}/sampler_weights/final` });
      const after = await sample(emu.url, { sampling_session_id: sampler, prompt: probe, sampling_params: params, prompt_logprobs: true });
      assert.deepEqual(after, before);
      // The training state (with optimizer) loads into a new model after the restart too.
      const fresh = await trainingModel(emu.url, s, 0, 4, 2);
      const loaded = await op(emu.url, 'load_weights', {
        model_id: fresh,
        seq_id: 1,
        path: `mint://${runId}/weights/state`,
        optimizer: true,
      });
      assert.equal(loaded.path, `mint://${runId}/weights/state`);
      const gone = await post(emu.url, '/api/v1/get_info', { model_id: runId });
      assert.equal(gone.status, 404, 'live models do not survive a restart; their checkpoints do');
    } finally {
      await emu.close();
    }
  });

  it('remembers that a run was a full fine-tune (no lora_config) across a restart', async () => {
    const own = mkdtempSync(join(tmpdir(), 'mint-emu-full-'));
    try {
      let emu = await startEmulator({ dataDir: own });
      let path: string;
      try {
        const s = await session(emu.url);
        const made = await op(emu.url, 'create_model', { session_id: s, model_seq_id: 0, base_model: 'Qwen/Qwen3-0.6B' });
        path = (await op(emu.url, 'save_state', { model_id: made.model_id, seq_id: 1, path: 'full' })).path;
      } finally {
        await emu.close();
      }
      emu = await startEmulator({ dataDir: own });
      try {
        const info = await post(emu.url, '/api/v1/weights_info', { tinker_path: path });
        assert.deepEqual([info.status, info.json.is_lora, info.json.lora_rank], [200, false, null]);
      } finally {
        await emu.close();
      }
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  it('work still queued when the emulator closes never runs: nothing is written to the data dir afterwards', async () => {
    const own = mkdtempSync(join(tmpdir(), 'mint-emu-close-'));
    const emu = await startEmulator({ dataDir: own, latencyMs: 300 });
    const s = await session(emu.url);
    const runId = await trainingModel(emu.url, s, 0, 4, 1);
    const r = await post(emu.url, '/api/v1/save_weights', { model_id: runId, seq_id: 1, path: 'after-close' });
    assert.equal(r.status, 200);
    await emu.close();
    rmSync(own, { recursive: true, force: true });
    await new Promise((res) => setTimeout(res, 600));
    assert.equal(existsSync(own), false, 'the closed emulator saved a checkpoint into its data dir after close');
  });
});
