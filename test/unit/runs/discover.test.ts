// Run discovery on a real folder tree: each layout, status from run.json / progress / file times,
// ignored folders, depth and entry bounds, symlink loops, and folders that only look like runs.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  discoverRuns,
  inspectRunFolder,
  isCloudPath,
  parseRunJson,
  readLastJsonLine,
  runStatusLabel,
  scanRuns,
  timeFromRunName,
  type RunFolder,
} from '../../../src/runs/discover';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const HOUR = 3600_000;

function write(root: string, rel: string, content: string, mtime = NOW - 10_000): string {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  utimesSync(p, mtime / 1000, mtime / 1000);
  return p;
}

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

describe('runs: discovery', () => {
  let root: string;
  const byName = (runs: RunFolder[]): Map<string, RunFolder> => new Map(runs.map((r) => [r.name, r]));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mint-runs-'));
    const old = NOW - 5 * HOUR;
    // tinker-cookbook SFT, finished: last row progress 1.0, files last written hours ago.
    write(
      root,
      'logs/sft-lr1e-4/metrics.jsonl',
      jsonl([
        { step: 0, train_mean_nll: 2, progress: 0.5 },
        { step: 1, train_mean_nll: 1.5, progress: 1.0 },
      ]),
      old,
    );
    write(root, 'logs/sft-lr1e-4/config.json', JSON.stringify({ learning_rate: 1e-4 }), old);
    write(
      root,
      'logs/sft-lr1e-4/checkpoints.jsonl',
      jsonl([{ name: 'final', batch: 2, final: true, state_path: 's', sampler_path: 'p' }]),
      old,
    );
    // tinker-cookbook RL, being written now, with rollout summaries per iteration.
    write(root, 'logs/rl-math/metrics.jsonl', jsonl([{ step: 0, 'env/all/reward/total': 0.1, 'progress/done_frac': 0.05 }]), NOW - 30_000);
    write(root, 'logs/rl-math/config.json', '{}', NOW - HOUR);
    write(root, 'logs/rl-math/iteration_000010/train_rollout_summaries.jsonl', jsonl([{ total_reward: 1 }]), NOW - 30_000);
    write(root, 'logs/rl-math/iteration_000002/train_rollout_summaries.jsonl', jsonl([{ total_reward: 0 }]), NOW - 60_000);
    mkdirSync(join(root, 'logs/rl-math/iteration_000005'));
    // tinker-cookbook run that stopped without finishing.
    write(root, 'logs/crashed/metrics.jsonl', jsonl([{ step: 0, train_mean_nll: 2, progress: 0.3 }]), old);
    // tinker-cookbook run before its first step: config.json + code.diff only.
    write(root, 'logs/starting/config.json', '{"model_name": "Qwen/Qwen3-8B"}', NOW - 5000);
    write(root, 'logs/starting/code.diff', '', NOW - 5000);
    // mint-cookbook run that failed.
    const mint = 'exp/fingpt/artifacts/runs/sft-lora-qwen3-20261130-093000';
    write(
      root,
      `${mint}/run.json`,
      JSON.stringify({
        experiment: 'fingpt',
        status: 'failed',
        argv: ['train.py'],
        started_at_unix: 1764495000,
        ended_at_unix: 1764498600,
        error: 'RuntimeError: boom',
        args: { lr: 1e-4 },
      }),
      old,
    );
    write(root, `${mint}/train/metrics.jsonl`, jsonl([{ step: 1, train_mean_nll: 1.2 }]), old);
    write(root, `${mint}/train/checkpoints.jsonl`, jsonl([{ name: 'step-1', step: 1, state_path: 's', sampler_path: 'p' }]), old);
    write(root, `${mint}/eval/periodic.jsonl`, jsonl([{ step: 1, eval_accuracy: 0.3, samples: [] }]), old);
    write(root, `${mint}/console.log`, 'hi', old);
    // mint-cookbook GRPO run whose run.json still says running, but nothing moved for hours (killed).
    const grpo = 'exp/dapo/artifacts/runs/smoke-grpo-qwen3-20261201-080000';
    write(
      root,
      `${grpo}/run.json`,
      JSON.stringify({ status: 'running', argv: ['train.py'], started_at_unix: (NOW - 4 * HOUR) / 1000 }),
      old,
    );
    write(root, `${grpo}/train/metrics.jsonl`, jsonl([{ step: 1, reward_mean: 0.2 }]), old);
    write(root, `${grpo}/train/rollouts.jsonl`, jsonl([{ step: 1, trajectory_rewards: [1, 0] }]), old);
    // Our own fine-tune: tinker-cookbook files plus run.json, cancelled.
    write(root, 'finetunes/ft-1/run.json', JSON.stringify({ status: 'cancelled', started_at: '2026-12-01T10:00:00Z' }), old);
    write(root, 'finetunes/ft-1/metrics.jsonl', jsonl([{ step: 0, epoch: 0, train_mean_nll: 3, progress: 0.1 }]), old);
    write(root, 'finetunes/ft-1/config.json', '{}', old);
    // Not runs: a random run.json, a model folder with config.json, a run inside node_modules.
    write(root, 'misc/run.json', JSON.stringify({ foo: 1 }));
    write(root, 'models/qwen/config.json', JSON.stringify({ architectures: ['Qwen3ForCausalLM'] }));
    write(root, 'node_modules/pkg/metrics.jsonl', jsonl([{ step: 0 }]));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds each layout with its files, and nothing else', async () => {
    const runs = await discoverRuns([root], { now: NOW });
    assert.deepEqual(
      runs.map((r) => r.name),
      [
        'exp/dapo/artifacts/runs/smoke-grpo-qwen3-20261201-080000',
        'exp/fingpt/artifacts/runs/sft-lora-qwen3-20261130-093000',
        'finetunes/ft-1',
        'logs/crashed',
        'logs/rl-math',
        'logs/sft-lr1e-4',
        'logs/starting',
      ],
    );
    const m = byName(runs);
    const rl = m.get('logs/rl-math')!;
    assert.equal(rl.layout, 'tinker-cookbook');
    assert.equal(rl.path, join(root, 'logs/rl-math'));
    assert.equal(rl.root, root);
    assert.deepEqual(rl.files, {
      metrics: join(root, 'logs/rl-math/metrics.jsonl'),
      config: join(root, 'logs/rl-math/config.json'),
      rolloutSummaries: [
        join(root, 'logs/rl-math/iteration_000002/train_rollout_summaries.jsonl'),
        join(root, 'logs/rl-math/iteration_000010/train_rollout_summaries.jsonl'),
      ],
    });
    const fin = m.get('exp/fingpt/artifacts/runs/sft-lora-qwen3-20261130-093000')!;
    assert.equal(fin.layout, 'mint-cookbook');
    const base = join(root, 'exp/fingpt/artifacts/runs/sft-lora-qwen3-20261130-093000');
    assert.deepEqual(fin.files, {
      metrics: join(base, 'train/metrics.jsonl'),
      checkpoints: join(base, 'train/checkpoints.jsonl'),
      runJson: join(base, 'run.json'),
      periodicEval: join(base, 'eval/periodic.jsonl'),
      rolloutSummaries: [],
    });
    const grpo = m.get('exp/dapo/artifacts/runs/smoke-grpo-qwen3-20261201-080000')!;
    assert.equal(grpo.files.rollouts, join(root, 'exp/dapo/artifacts/runs/smoke-grpo-qwen3-20261201-080000/train/rollouts.jsonl'));
    assert.equal(grpo.smoke, true);
    assert.equal(m.get('finetunes/ft-1')!.layout, 'tinker-cookbook');
    assert.equal(m.get('logs/starting')!.files.metrics, undefined);
  });

  it('takes status from run.json, else the last progress or a final checkpoint, else file activity', async () => {
    const m = byName(await discoverRuns([root], { now: NOW }));
    const pick = (n: string): [string, string, string] => {
      const r = m.get(n)!;
      return [r.status, r.statusFrom, runStatusLabel(r)];
    };
    assert.deepEqual(pick('logs/sft-lr1e-4'), ['completed', 'progress', 'completed']);
    assert.deepEqual(pick('logs/rl-math'), ['running', 'activity', 'running']);
    assert.deepEqual(pick('logs/crashed'), ['unknown', 'activity', 'stopped?']);
    assert.deepEqual(pick('logs/starting'), ['running', 'activity', 'running']);
    assert.deepEqual(pick('exp/fingpt/artifacts/runs/sft-lora-qwen3-20261130-093000'), ['failed', 'run.json', 'failed']);
    assert.deepEqual(pick('exp/dapo/artifacts/runs/smoke-grpo-qwen3-20261201-080000'), ['running', 'run.json', 'running?']);
    assert.deepEqual(pick('finetunes/ft-1'), ['cancelled', 'run.json', 'cancelled']);

    const fin = m.get('exp/fingpt/artifacts/runs/sft-lora-qwen3-20261130-093000')!;
    assert.equal(fin.startedAt, 1764495000 * 1000);
    assert.equal(fin.endedAt, 1764498600 * 1000);
    assert.equal(fin.error, 'RuntimeError: boom');
    assert.equal(m.get('exp/dapo/artifacts/runs/smoke-grpo-qwen3-20261201-080000')!.stale, true);
    assert.equal(m.get('finetunes/ft-1')!.startedAt, Date.parse('2026-12-01T10:00:00Z'));
    assert.equal(m.get('logs/sft-lr1e-4')!.progress, 1);
    assert.equal(m.get('logs/rl-math')!.progress, 0.05);
    assert.equal(m.get('logs/rl-math')!.updatedAt, NOW - 30_000);

    // Only a final checkpoint says it finished.
    write(
      root,
      'logs/crashed/checkpoints.jsonl',
      jsonl([
        { name: 'a', batch: 1, state_path: 's' },
        { name: 'final', batch: 2, state_path: 's2', final: true },
      ]),
      NOW - 5 * HOUR,
    );
    const again = await inspectRunFolder(join(root, 'logs/crashed'), { root, now: NOW });
    assert.deepEqual([again!.status, again!.statusFrom], ['completed', 'progress']);
  });

  it('stops at maxDepth and at the entry bound, and enters ignored folders never', async () => {
    const shallow = await discoverRuns([root], { now: NOW, maxDepth: 1 });
    assert.deepEqual(shallow, []);
    const two = await discoverRuns([root], { now: NOW, maxDepth: 2 });
    assert.deepEqual(two.map((r) => r.name).sort(), ['finetunes/ft-1', 'logs/crashed', 'logs/rl-math', 'logs/sft-lr1e-4', 'logs/starting']);
    const withModules = await discoverRuns([root], { now: NOW, ignore: [] });
    assert.ok(withModules.some((r) => r.name === 'node_modules/pkg'));
    const bounded = await scanRuns([root], { now: NOW, maxEntries: 5 });
    assert.equal(bounded.truncated, true);
    assert.ok(bounded.runs.length < 7);
    const full = await scanRuns([root], { now: NOW });
    assert.equal(full.truncated, false);
    assert.ok(full.scannedDirs > 10);
  });

  it('follows folder links once and survives a link loop', async function () {
    try {
      symlinkSync(root, join(root, 'logs', 'loop'), 'dir');
      symlinkSync(join(root, 'logs/sft-lr1e-4'), join(root, 'alias'), 'dir');
    } catch {
      this.skip(); // no symlink permission (Windows without developer mode)
    }
    const runs = await discoverRuns([root], { now: NOW, maxDepth: 20 });
    assert.equal(runs.length, 7);
    assert.equal(new Set(runs.map((r) => r.name)).size, 7);
  });

  it('searches several roots, skips cloud roots and missing ones', async () => {
    const res = await scanRuns([join(root, 'logs'), join(root, 'finetunes'), 's3://bucket/runs', join(root, 'nope')], { now: NOW });
    assert.deepEqual(res.cloudRoots, ['s3://bucket/runs']);
    assert.deepEqual(
      res.runs.map((r) => r.name),
      ['ft-1', 'crashed', 'rl-math', 'sft-lr1e-4', 'starting'],
    );
    const single = await discoverRuns([join(root, 'logs/rl-math')], { now: NOW });
    assert.deepEqual(
      single.map((r) => r.name),
      ['rl-math'],
    );
  });

  it('inspectRunFolder refreshes one run and refuses folders that are not runs', async () => {
    const r = await inspectRunFolder(join(root, 'logs/rl-math'), { now: NOW + HOUR });
    assert.equal(r!.name, 'rl-math');
    assert.equal(r!.status, 'unknown');
    assert.equal(await inspectRunFolder(join(root, 'misc'), { now: NOW }), undefined);
    assert.equal(await inspectRunFolder(join(root, 'models/qwen'), { now: NOW }), undefined);
    assert.equal(await inspectRunFolder(join(root, 'missing'), { now: NOW }), undefined);
  });

  it('reads a torn or missing run.json as no status, and the last good metrics line of a file being written', async () => {
    write(root, 'logs/torn/run.json', '{"status": "compl', NOW - 5 * HOUR);
    write(root, 'logs/torn/metrics.jsonl', '{"step": 0, "progress": 0.2}\n{"step": 1, "progress": 1.0}\n{"step": 2, "prog', NOW - 5 * HOUR);
    const r = await inspectRunFolder(join(root, 'logs/torn'), { now: NOW });
    assert.equal(r!.files.runJson, join(root, 'logs/torn/run.json'));
    assert.deepEqual([r!.status, r!.statusFrom, r!.progress], ['completed', 'progress', 1]);
    assert.deepEqual(await readLastJsonLine(join(root, 'logs/torn/metrics.jsonl')), { step: 1, progress: 1.0 });
    assert.equal(await readLastJsonLine(join(root, 'nope.jsonl')), undefined);
  });
});

describe('runs: run.json, names and cloud paths', () => {
  it('normalises statuses and times', () => {
    assert.equal(parseRunJson({ status: 'succeeded' }).status, 'completed');
    assert.equal(parseRunJson({ status: 'Canceled' }).status, 'cancelled');
    assert.equal(parseRunJson({ status: 'error', error: { message: 'x' } }).error, 'x');
    const weird = parseRunJson({ status: 'paused' });
    assert.equal(weird.status, undefined);
    assert.equal(weird.rawStatus, 'paused');
    assert.equal(parseRunJson({ timing: { started_at: 1764583200123 } }).startedAt, 1764583200123);
    assert.equal(parseRunJson([1]).looksLikeRun, false);
    assert.equal(parseRunJson({ foo: 1 }).looksLikeRun, false);
  });

  it('reads the time at the end of a mint-cookbook run name', () => {
    assert.equal(timeFromRunName('sft-lora-qwen3-20261130-093000'), new Date(2026, 10, 30, 9, 30, 0).getTime());
    assert.equal(timeFromRunName('latest'), undefined);
    assert.equal(timeFromRunName('x-20261340-093000'), undefined);
  });

  it('knows cloud log paths', () => {
    for (const p of ['s3://b/k', 'gs://b/k', 'az://c/k', 'GS://b', ' abfss://x@y/z']) assert.equal(isCloudPath(p), true, p);
    for (const p of ['/tmp/s3://', 'logs/run', 'C:\\runs', 'file:///x', 'tinker://abc']) assert.equal(isCloudPath(p), false, p);
  });
});
