// MetricsSeries (columns from rows, flattening, missing and non-finite values, groups, x axes,
// 100k rows) and the chart helpers ema and downsample.
import assert from 'node:assert/strict';
import { MetricsSeries, downsample, ema } from '../../../src/runs/metrics';

const nanEq = (a: ArrayLike<number>, b: number[]): void =>
  assert.deepEqual(
    Array.from(a, (v) => (Number.isNaN(v) ? 'NaN' : v)),
    b.map((v) => (Number.isNaN(v) ? 'NaN' : v)),
  );

describe('runs: MetricsSeries', () => {
  it('makes a column per numeric key, flattens nested objects with "/", and skips everything else', () => {
    const m = new MetricsSeries();
    const taken = m.append([
      {
        step: 0,
        train_mean_nll: 2.5,
        learning_rate: 1e-4,
        env: { all: { reward: { total: 0.1 } } },
        done: true,
        name: 'a',
        list: [1, 2],
        n: null,
      },
      { step: 1, train_mean_nll: 2.0, 'optim/lr': 1e-4 },
      'not a row',
      [1, 2],
    ]);
    assert.equal(taken, 2);
    assert.equal(m.length, 2);
    assert.deepEqual(m.keys(), ['train_mean_nll', 'learning_rate', 'env/all/reward/total', 'optim/lr']);
    const s = m.series('train_mean_nll')!;
    nanEq(s.x, [0, 1]);
    nanEq(s.y, [2.5, 2.0]);
    nanEq(m.column('env/all/reward/total')!, [0.1, NaN]);
    nanEq(m.column('optim/lr')!, [NaN, 1e-4]);
    assert.equal(m.series('name'), undefined);
    assert.equal(m.has('done'), false);
    assert.equal(m.hasStep, true);
  });

  it('keeps non-finite values as gaps and says where a key first went NaN', () => {
    const m = new MetricsSeries();
    m.append([
      { step: 10, loss: 1.0 },
      { step: 11, loss: 'NaN' },
      { step: 12, loss: 'Infinity', other: 'nan' },
      { step: 13, loss: 0.5 },
    ]);
    nanEq(m.column('loss')!, [1.0, NaN, NaN, 0.5]);
    assert.deepEqual(m.nonFinite('loss'), { count: 2, firstX: 11 });
    assert.deepEqual(m.nonFinite('other'), { count: 1, firstX: 12 });
    assert.equal(m.nonFinite('missing'), undefined);
    assert.deepEqual(m.last('loss'), { x: 13, y: 0.5 });
    assert.deepEqual(m.last('other'), undefined);
  });

  it('uses the row index when there is no step, and plots against progress or epoch on request', () => {
    const m = new MetricsSeries();
    m.append([{ loss: 3 }, { loss: 2, progress: 0.5 }, { loss: 1 }, { loss: 0.5, progress: 1 }]);
    assert.equal(m.hasStep, false);
    nanEq(m.x(), [0, 1, 2, 3]);
    nanEq(m.series('loss', 'progress')!.x, [NaN, 0.5, 0.5, 1]);
    nanEq(m.series('loss', 'index')!.x, [0, 1, 2, 3]);
    assert.deepEqual(m.xAxes(), ['step', 'index', 'progress']);
    assert.equal(m.series('loss', 'epoch'), undefined);
    assert.equal(m.lastRowValue('progress'), 1);
  });

  it('notices when steps go backwards (a resumed run)', () => {
    const m = new MetricsSeries();
    m.append([{ step: 0 }, { step: 5 }, { step: 3 }]);
    assert.equal(m.xMonotonic, false);
  });

  it('groups keys by prefix with the well-known losses first', () => {
    const sft = new MetricsSeries();
    sft.append([
      {
        step: 0,
        epoch: 0,
        learning_rate: 1e-4,
        num_tokens: 100,
        train_mean_nll: 2,
        'optim/grad_norm': 1,
        'test/eval_accuracy': 0.4,
        'test/nll': 2.2,
        'time/step': 3,
        'custom/x': 1,
        'train/loss': 2,
      },
    ]);
    assert.deepEqual(sft.groups(), [
      { name: 'other', keys: ['train_mean_nll', 'epoch', 'learning_rate', 'num_tokens'] },
      { name: 'test', keys: ['test/nll', 'test/eval_accuracy'] },
      { name: 'train', keys: ['train/loss'] },
      { name: 'optim', keys: ['optim/grad_norm'] },
      { name: 'time', keys: ['time/step'] },
      { name: 'custom', keys: ['custom/x'] },
    ]);
    assert.equal(sft.primaryKey(), 'train_mean_nll');

    const rl = new MetricsSeries();
    rl.append([{ step: 0, entropy: 1, 'env/all/ac_tokens': 10, 'env/all/reward/total': 0.3, 'optim/lr': 1e-5, 'progress/done_frac': 0.1 }]);
    assert.deepEqual(
      rl.groups().map((g) => g.name),
      ['env', 'other', 'optim', 'progress'],
    );
    assert.deepEqual(rl.groups()[0]!.keys, ['env/all/reward/total', 'env/all/ac_tokens']);
    assert.equal(rl.primaryKey(), 'env/all/reward/total');
  });

  it('builds 100,000 rows × 20 keys quickly, and a later append extends every series', () => {
    const m = new MetricsSeries();
    const keys = Array.from({ length: 19 }, (_, k) => `k${k}`);
    const t0 = performance.now();
    for (let i = 0; i < 100_000; i++) {
      const row: Record<string, number> = { step: i };
      for (let k = 0; k < keys.length; k++) row[keys[k]!] = i * 0.5 + k;
      if (i % 100 === 0) row['test/nll'] = i;
      m.appendRow(row);
    }
    const ms = performance.now() - t0;
    assert.equal(m.length, 100_000);
    const s = m.series('k7')!;
    assert.equal(s.y.length, 100_000);
    assert.equal(s.y[99_999], 99_999 * 0.5 + 7);
    assert.equal(s.x[12_345], 12_345);
    const sparse = m.column('test/nll')!;
    assert.equal(sparse[200], 200);
    assert.ok(Number.isNaN(sparse[201]!));
    assert.ok(ms < 3000, `100k rows took ${ms.toFixed(0)} ms`);
    const v = m.version;
    m.appendRow({ step: 100_000, k7: -1, fresh: 9 });
    assert.equal(m.version, v + 1);
    assert.equal(m.series('k7')!.y[100_000], -1);
    assert.equal(m.column('fresh')!.length, 100_001);
    assert.ok(Number.isNaN(m.column('fresh')![0]!));
    assert.ok(Number.isNaN(m.column('k0')![100_000]!));
  });

  it('reset empties everything', () => {
    const m = new MetricsSeries();
    m.append([{ step: 1, a: 1 }]);
    m.reset();
    assert.equal(m.length, 0);
    assert.deepEqual(m.keys(), []);
    m.append([{ step: 2, b: 2 }]);
    assert.deepEqual(m.keys(), ['b']);
    nanEq(m.column('b')!, [2]);
  });
});

describe('runs: ema', () => {
  it('is TensorBoard smoothing: debiased, NaN-skipping, identity at weight 0', () => {
    nanEq(ema([1, 2], 0.5), [1, 1.6666666666666667]);
    const flat = ema([3, 3, 3, 3], 0.9);
    for (const v of flat) assert.ok(Math.abs(v - 3) < 1e-12);
    nanEq(ema([1, NaN, 1], 0.6), [1, NaN, 1]);
    nanEq(ema([1, 5, 2], 0), [1, 5, 2]);
    const noisy = Array.from({ length: 1000 }, (_, i) => (i % 2 ? 1 : -1));
    const sm = ema(noisy, 0.99);
    assert.ok(Math.abs(sm[999]!) < 0.02);
  });
});

describe('runs: downsample', () => {
  it('returns every finite point when there are few enough', () => {
    const r = downsample([0, 1, 2, 3], [1, NaN, 3, 4], 10);
    nanEq(r.x, [0, 2, 3]);
    nanEq(r.y, [1, 3, 4]);
  });

  it('keeps first, last and every spike of 100,000 points in at most maxPoints, in x order', () => {
    const n = 100_000;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = i;
      y[i] = Math.sin(i / 1000);
    }
    y[31_337] = 50;
    y[77_777] = -50;
    y[500] = NaN;
    const r = downsample(x, y, 2000);
    assert.ok(r.x.length <= 2000 && r.x.length > 1900, `${r.x.length} points`);
    assert.equal(r.x[0], 0);
    assert.equal(r.x[r.x.length - 1], n - 1);
    for (let i = 1; i < r.x.length; i++) assert.ok(r.x[i]! > r.x[i - 1]!);
    assert.ok(r.y.includes(50));
    assert.ok(r.y.includes(-50));
    assert.ok(r.y.every((v) => Number.isFinite(v)));
  });

  it('handles an all-missing series', () => {
    const r = downsample([0, 1, 2], [NaN, NaN, NaN], 100);
    assert.equal(r.x.length, 0);
  });
});
