/**
 * The run folder's file discipline: whole-line appends, torn lines ignored and cut off, atomic
 * rewrites, superseded metrics kept aside, and one fine-tune per folder.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  RunFolder,
  RunFolderBusyError,
  finalMetricsView,
  parseJsonLines,
  readRunFolder,
  type MetricsRow,
} from '../../../src/finetune/runFolder';
import { publicServerUrl } from '../../../src/finetune/train';

const row = (step: number, nll = 1): MetricsRow => ({
  step,
  epoch: 0,
  train_mean_nll: nll,
  learning_rate: 1e-4,
  num_sequences: 8,
  num_tokens: 100,
  num_loss_tokens: 40,
  progress: step / 10,
  step_time_seconds: 0.01,
  tokens_per_second: 10000,
});

describe('finetune run folder', function () {
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'mint-ft-folder-'));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads JSON lines past a torn last line, and cuts it off before the next append', async function () {
    const f = new RunFolder(dir);
    await f.appendMetrics(row(1));
    await f.appendMetrics(row(2));
    appendFileSync(f.path('metrics'), '{"step": 3, "epo'); // a crash mid-write
    assert.deepEqual(
      (await f.readMetrics()).map((r) => r.step),
      [1, 2],
    );
    await f.repairTail('metrics');
    await f.appendMetrics(row(3));
    assert.deepEqual(
      (await f.readMetrics()).map((r) => r.step),
      [1, 2, 3],
    );
    assert.ok(readFileSync(f.path('metrics'), 'utf8').endsWith('}\n'));
    assert.deepEqual(parseJsonLines('\n{"a":1}\n[1]\nnot json\n{"b":2}'), [{ a: 1 }, { b: 2 }]);
  });

  it('moves metrics rows after the resume point to metrics.superseded.jsonl and rewrites metrics.jsonl atomically', async function () {
    const f = new RunFolder(dir);
    for (let s = 1; s <= 7; s++) await f.appendMetrics(row(s));
    const superseded = await f.supersedeMetricsAfter(5, 'resume from step 5');
    assert.deepEqual(superseded, [6, 7]);
    assert.deepEqual(
      (await f.readMetrics()).map((r) => r.step),
      [1, 2, 3, 4, 5],
    );
    const aside = parseJsonLines<MetricsRow>(readFileSync(f.path('superseded'), 'utf8'));
    assert.deepEqual(
      aside.map((r) => [r.step, r.superseded_by]),
      [
        [6, 'resume from step 5'],
        [7, 'resume from step 5'],
      ],
    );
    assert.deepEqual(await f.supersedeMetricsAfter(5, 'again'), [], 'nothing more to supersede');
    assert.ok(!readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temporary file left behind');
  });

  it('the final view has one row per step, the last written winning', function () {
    assert.deepEqual(
      finalMetricsView([row(2, 5), row(1), row(2, 3)]).map((r) => [r.step, r.train_mean_nll]),
      [
        [1, 1],
        [2, 3],
      ],
    );
  });

  it('replaces run.json and config.json whole, and reads the folder back', async function () {
    const f = new RunFolder(dir);
    await f.writeConfig({ base_model: 'Qwen/Qwen3-0.6B' });
    await f.writeRun({ status: 'running', started_at: 'a', updated_at: 'b', base_model: 'Qwen/Qwen3-0.6B', step: 0, total_steps: 10 });
    await f.appendCheckpoint({
      name: '000005',
      step: 5,
      epoch: 0,
      batch: 5,
      state_path: 'mint://r/weights/000005',
      sampler_path: null,
      final: false,
    });
    await f.appendMetrics(row(1));
    const all = await readRunFolder(dir);
    assert.equal(all.config?.base_model, 'Qwen/Qwen3-0.6B');
    assert.equal(all.run?.status, 'running');
    assert.equal(all.checkpoints[0]!.state_path, 'mint://r/weights/000005');
    assert.equal(all.metrics.length, 1);
    writeFileSync(f.path('run'), '{"status": "runn');
    await assert.rejects(f.readRun(), /not readable JSON.*move it away/);
  });

  it('one fine-tune per folder: a second lock is refused; a lock left by a dead process is taken over', async function () {
    const f = new RunFolder(dir);
    const unlock = await f.lock();
    await assert.rejects(new RunFolder(dir).lock(), RunFolderBusyError);
    await unlock();
    // A process id that cannot be alive: the window that held it was reloaded.
    writeFileSync(f.path('lock'), JSON.stringify({ pid: 2 ** 22 + 12345, at: 'then' }));
    const again = await f.lock();
    await again();
    writeFileSync(f.path('lock'), JSON.stringify({ pid: process.ppid, at: 'now' }));
    await assert.rejects(f.lock(), (e: unknown) => e instanceof RunFolderBusyError && e.message.includes(`process ${process.ppid}`));
  });

  it('config.json gets the server URL without user, password or query', function () {
    assert.equal(publicServerUrl('https://me:sk-secret@mint.example/train?key=sk-x#frag'), 'https://mint.example/train');
    assert.equal(publicServerUrl('http://127.0.0.1:8765/'), 'http://127.0.0.1:8765/');
  });
});
