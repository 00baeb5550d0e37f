// The smaller run files: checkpoint records (both cookbooks and RL metrics rows), config
// flattening and diffing, periodic eval samples, rollout records of both layouts, reward histogram.
import assert from 'node:assert/strict';
import {
  diffConfigs,
  flattenConfig,
  isSamplerPath,
  iterationOf,
  parseCheckpoints,
  parsePeriodicEval,
  parseRolloutSummaries,
  parseRollouts,
  rewardHistogram,
  rewardsOf,
  runConfig,
} from '../../../src/runs/parsers';

describe('runs: checkpoints', () => {
  it('reads tinker-cookbook, mint-cookbook SFT and RL rows and our own fine-tune rows', () => {
    const rows = [
      {
        name: '000010',
        batch: 10,
        epoch: 0,
        state_path: 'tinker://r1:train:0/weights/000010',
        sampler_path: 'tinker://r1:train:0/sampler_weights/000010',
      },
      {
        name: 'step-20',
        step: 20,
        epoch: 1,
        batch: 5,
        state_path: 'mint://r2/weights/step-20-state',
        sampler_path: 'mint://r2/sampler_weights/step-20-sampler',
      },
      { name: 'rl-5', completed_steps: 5, next_step: 6, state_path: 'tinker://r3/weights/rl-5-state' },
      {
        name: 'final',
        step: 30,
        epoch: 2,
        state_path: 'tinker://r4/weights/final',
        sampler_path: 'tinker://r4/sampler_weights/final',
        final: true,
      },
    ];
    const { items, problems } = parseCheckpoints(rows);
    assert.deepEqual(problems, []);
    assert.deepEqual(
      items.map((c) => [c.name, c.step, c.epoch, c.final, c.samplerPath?.split('/').pop()]),
      [
        ['000010', 10, 0, false, '000010'],
        ['step-20', 20, 1, false, 'step-20-sampler'],
        ['rl-5', 5, undefined, false, undefined],
        ['final', 30, 2, true, 'final'],
      ],
    );
    assert.equal(items[1]!.batch, 5);
    assert.equal(items[2]!.statePath, 'tinker://r3/weights/rl-5-state');
  });

  it('reports unusable rows and lets a re-saved checkpoint replace the earlier record', () => {
    const { items, problems } = parseCheckpoints([
      { name: 'a', step: 1, state_path: 's1' },
      'garbage',
      { name: 'b', step: 2 },
      { name: 'a', step: 1, state_path: 's1', final: true },
    ]);
    assert.deepEqual(
      problems.map((p) => p.row),
      [1, 2],
    );
    assert.match(problems[1]!.message, /neither state_path nor sampler_path/);
    assert.equal(items.length, 1);
    assert.equal(items[0]!.final, true);
    assert.equal(items[0]!.row, 3);
  });

  it('picks checkpoint columns out of GRPO metrics rows and skips the other rows quietly', () => {
    const { items, problems } = parseCheckpoints(
      [
        { step: 1, reward_mean: 0.2 },
        {
          step: 2,
          reward_mean: 0.3,
          checkpoint_name: 'step-2',
          checkpoint_state_path: 'tinker://x/weights/s2',
          checkpoint_sampler_path: 'tinker://x/sampler_weights/s2',
        },
        7,
      ],
      { source: 'metrics' },
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(items, [
      { name: 'step-2', step: 2, statePath: 'tinker://x/weights/s2', samplerPath: 'tinker://x/sampler_weights/s2', final: false, row: 1 },
    ]);
  });

  it('knows sampler paths', () => {
    assert.equal(isSamplerPath('tinker://abc:train:0/sampler_weights/000100'), true);
    assert.equal(isSamplerPath('mint://run/sampler_weights/final'), true);
    assert.equal(isSamplerPath('tinker://abc/weights/000100'), false);
    assert.equal(isSamplerPath('/local/sampler_weights/x'), false);
  });
});

describe('runs: config', () => {
  it('flattens nested config with dotted paths, indexes arrays of objects and keeps scalar lists whole', () => {
    const flat = flattenConfig({
      model_name: 'Qwen/Qwen3-8B',
      lora_rank: 32,
      optim: { lr: 0.0001, betas: [0.9, 0.95] },
      dataset_builder: { __type__: 'ChatDatasetBuilder', files: [{ path: 'a.jsonl' }, { path: 'b.jsonl' }] },
      empty: {},
      none: null,
      flag: false,
    });
    assert.deepEqual(flat, {
      model_name: 'Qwen/Qwen3-8B',
      lora_rank: '32',
      'optim.lr': '0.0001',
      'optim.betas': '[0.9,0.95]',
      'dataset_builder.__type__': 'ChatDatasetBuilder',
      'dataset_builder.files[0].path': 'a.jsonl',
      'dataset_builder.files[1].path': 'b.jsonl',
      empty: '{}',
      none: 'null',
      flag: 'false',
    });
    assert.deepEqual(flattenConfig(3), { '': '3' });
  });

  it('diffs two configs key by key', () => {
    const d = diffConfigs({ lr: 1e-4, rank: 32, model: 'm', only_a: 1 }, { lr: 2e-4, rank: 32, model: 'm', only_b: true });
    assert.deepEqual(d, [
      { key: 'lr', a: '0.0001', b: '0.0002', same: false },
      { key: 'rank', a: '32', b: '32', same: true },
      { key: 'model', a: 'm', b: 'm', same: true },
      { key: 'only_a', a: '1', same: false },
      { key: 'only_b', b: 'true', same: false },
    ]);
  });

  it("uses config.json, else run.json's args", () => {
    assert.deepEqual(runConfig({ lr: 1 }, { args: { lr: 2 } }), { lr: 1 });
    assert.deepEqual(runConfig(undefined, { status: 'completed', args: { lr: 2 } }), { lr: 2 });
    assert.deepEqual(runConfig(undefined, { status: 'completed', command: 'train.py', started_at_unix: 1 }), { command: 'train.py' });
    assert.equal(runConfig(undefined, undefined), undefined);
  });
});

describe('runs: periodic eval', () => {
  it('reads steps, scalars and samples, and tolerates broken pieces', () => {
    const { items, problems } = parsePeriodicEval([
      {
        step: 50,
        eval_accuracy: 0.41,
        eval_nll: 'NaN',
        split: 'full',
        samples: [
          { id: 'q1', prediction: '42', expected: '42', correct: true, assistant_text: 'The answer is 42.', latency: 1.5 },
          { id: 7, prediction: '3', expected: '4', correct: false },
          'broken',
        ],
      },
      { step: 100, eval_accuracy: 0.5, samples: 'oops' },
      {},
      null,
    ]);
    assert.equal(items.length, 2);
    assert.equal(items[0]!.step, 50);
    assert.equal(items[0]!.scalars.eval_accuracy, 0.41);
    assert.ok(Number.isNaN(items[0]!.scalars.eval_nll));
    assert.equal('split' in items[0]!.scalars, false);
    assert.deepEqual(items[0]!.samples[0], {
      id: 'q1',
      prediction: '42',
      expected: '42',
      correct: true,
      assistantText: 'The answer is 42.',
      extra: { latency: 1.5 },
    });
    assert.deepEqual(items[0]!.samples[1], { id: '7', prediction: '3', expected: '4', correct: false, extra: {} });
    assert.equal(items[0]!.samples.length, 2);
    assert.deepEqual(items[1]!.samples, []);
    assert.deepEqual(
      problems.map((p) => [p.row, p.message.slice(0, 12)]),
      [
        [0, 'samples[2] s'],
        [1, '"samples" sh'],
        [2, 'This eval ro'],
        [3, 'A periodic e'],
      ],
    );
  });
});

describe('runs: rollouts', () => {
  it('zips mint-cookbook trajectory arrays and computes missing reward stats', () => {
    const { items, problems } = parseRollouts([
      {
        step: 3,
        id: 'aime-1',
        question: 'What is 1+1?',
        gold_answer: '2',
        num_correct: 2,
        reward_mean: 0.5,
        reward_min: 0,
        reward_max: 1,
        trajectory_rewards: [1, 0, 1, 0],
        trajectory_correct: [true, false, true, false],
        trajectory_answers: ['2', '3', '2'],
        trajectory_advantages: [0.5, -0.5, 0.5, -0.5],
        trajectory_token_counts: [120, 300, 95, 410],
        first_trajectory_text: '... so 2.',
        status: 'trained',
      },
      { step: 4, id: 'x', trajectory_rewards: [0.25, 0.75, 'NaN'] },
      { step: 5, trajectory_rewards: 'bad' },
      { unrelated: true },
    ]);
    assert.equal(items.length, 3);
    const g = items[0]!;
    assert.equal(g.trajectories.length, 4);
    assert.deepEqual(g.trajectories[2], { reward: 1, correct: true, answer: '2', advantage: 0.5, tokens: 95 });
    assert.deepEqual(g.trajectories[3], { reward: 0, correct: false, advantage: -0.5, tokens: 410 });
    assert.equal(g.rewardMean, 0.5);
    assert.equal(g.goldAnswer, '2');
    assert.equal(items[1]!.rewardMean, 0.5);
    assert.equal(items[1]!.rewardMin, 0.25);
    assert.equal(items[1]!.rewardMax, 0.75);
    assert.ok(Number.isNaN(items[1]!.trajectories[2]!.reward!));
    assert.deepEqual(
      problems.map((p) => p.row),
      [2, 3],
    );
    assert.deepEqual(rewardsOf(items), [1, 0, 1, 0, 0.25, 0.75]);
  });

  it('reads tinker-cookbook train_rollout_summaries rows', () => {
    const { items, problems } = parseRolloutSummaries(
      [
        {
          schema_version: 1,
          split: 'train',
          group_idx: 0,
          traj_idx: 1,
          tags: ['gsm8k'],
          sampling_client_step: 10,
          total_reward: 1.0,
          final_reward: 1.0,
          trajectory_metrics: { correct: 1, format: true, note: 'x' },
          steps: [
            { step_idx: 0, ob_len: 100, ac_len: 40, reward: 0 },
            { step_idx: 1, ob_len: 150, ac_len: 25, reward: 1 },
          ],
          final_ob_len: 200,
        },
        { iteration: 12, total_reward: -0.5 },
        { nothing: 1 },
      ],
      iterationOf('/runs/rl/iteration_000010/train_rollout_summaries.jsonl'),
    );
    assert.deepEqual(items[0], {
      iteration: 10,
      group: 0,
      trajectory: 1,
      split: 'train',
      tags: ['gsm8k'],
      totalReward: 1,
      finalReward: 1,
      metrics: { correct: 1, format: 1 },
      turns: 2,
      actionTokens: 65,
      row: 0,
    });
    assert.equal(items[1]!.iteration, 12);
    assert.deepEqual(
      problems.map((p) => p.row),
      [2],
    );
    assert.deepEqual(rewardsOf(items), [1, -0.5]);
    assert.equal(iterationOf('iteration_000042'), 42);
    assert.equal(iterationOf('/x/iteration_abc/y'), undefined);
  });
});

describe('runs: rewardHistogram', () => {
  it('bins continuous rewards into equal bins covering min..max', () => {
    const h = rewardHistogram([0, 0.1, 0.2, 0.55, 1, NaN, Infinity], 4);
    assert.deepEqual(h.edges, [0, 0.25, 0.5, 0.75, 1]);
    assert.deepEqual(h.counts, [3, 0, 1, 1]);
    assert.equal(h.total, 5);
    assert.equal(h.skipped, 2);
    assert.equal(h.min, 0);
    assert.equal(h.max, 1);
    assert.ok(Math.abs(h.mean! - 0.37) < 1e-12);
  });

  it('gives 0/1 rewards one bin each, and a constant one bin', () => {
    const h = rewardHistogram([1, 0, 1, 1, 0, 1], 20);
    assert.deepEqual(h.edges, [-0.5, 0.5, 1.5]);
    assert.deepEqual(h.counts, [2, 4]);
    const c = rewardHistogram([0.7, 0.7], 10);
    assert.deepEqual(c.counts, [2]);
    assert.equal(c.edges.length, 2);
    assert.ok(c.edges[0]! < 0.7 && c.edges[1]! > 0.7);
    assert.deepEqual(rewardHistogram([], 10), { edges: [], counts: [], total: 0, skipped: 0 });
    assert.equal(
      rewardHistogram(
        Array.from({ length: 1000 }, (_, i) => i / 999),
        10,
      ).counts.reduce((a, b) => a + b, 0),
      1000,
    );
  });
});
