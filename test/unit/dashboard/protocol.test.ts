/**
 * The dashboard's protocol (src/shared/dashboard.ts) and the page's pure chart helpers
 * (src/webview/dashboard/series.ts), in Node: what each side accepts, and the numbers the charts draw.
 */
import assert from 'node:assert/strict';
import { DashboardToHostSchema, HostToDashboardSchema, groupOf, orderKeys, MAX_OVERLAY } from '../../../src/shared/dashboard';
import { Ema, emaSeries, histogram, joinRuns, logTicks, niceTicks, normalize, thinIndices } from '../../../src/webview/dashboard/series';

const ok = (s: { safeParse(v: unknown): { success: boolean } }, v: unknown) =>
  assert.equal(s.safeParse(v).success, true, JSON.stringify(v));
const bad = (s: { safeParse(v: unknown): { success: boolean } }, v: unknown) =>
  assert.equal(s.safeParse(v).success, false, JSON.stringify(v));

describe('dashboard protocol', () => {
  it('takes the host messages as documented and refuses malformed ones', () => {
    const run = { id: 'r1', name: 'run', path: '/runs/run', layout: 'mint-cookbook', status: 'running' };
    ok(HostToDashboardSchema, {
      type: 'init',
      runs: [run],
      selected: ['r1'],
      groups: [{ name: 'train', keys: ['train/loss'] }],
      settings: { ema: 0.6, logScale: false, xKey: 'step' },
    });
    ok(HostToDashboardSchema, { type: 'init', runs: [], selected: [], groups: [], settings: { ema: 0, logScale: true, xKey: 'time' } });
    bad(HostToDashboardSchema, {
      type: 'init',
      runs: [],
      selected: Array.from({ length: MAX_OVERLAY + 1 }, (_, i) => `r${i}`),
      groups: [],
      settings: { ema: 0, logScale: false, xKey: 'step' },
    });
    bad(HostToDashboardSchema, { type: 'init', runs: [], selected: [], groups: [], settings: { ema: 1, logScale: false, xKey: 'step' } });
    bad(HostToDashboardSchema, {
      type: 'init',
      runs: [],
      selected: [],
      groups: [{ name: 'eval', keys: [] }],
      settings: { ema: 0, logScale: false, xKey: 'step' },
    });
    bad(HostToDashboardSchema, {
      type: 'init',
      runs: [{ ...run, color: 'red' }],
      selected: [],
      groups: [],
      settings: { ema: 0, logScale: false, xKey: 'step' },
    });
    ok(HostToDashboardSchema, { type: 'series', runId: 'r1', key: 'train/loss', x: [0, 1], y: [1, null], reset: true });
    bad(HostToDashboardSchema, { type: 'series', runId: 'r1', key: 'train/loss', x: [0, NaN], y: [1, 2] });
    bad(HostToDashboardSchema, { type: 'series', runId: 'r1', key: 'train/loss', x: [0], y: [Infinity] });
    ok(HostToDashboardSchema, { type: 'append', runId: 'r1', rows: [{ x: 3, values: { 'train/loss': 0.5, lr: null } }] });
    bad(HostToDashboardSchema, { type: 'append', runId: 'r1', rows: [] });
    ok(HostToDashboardSchema, { type: 'checkpoints', runId: 'r1', items: [{ name: 'a', step: 5, state_path: 'mint://r/weights/a' }] });
    ok(HostToDashboardSchema, {
      type: 'samples',
      runId: 'r1',
      kind: 'rollouts',
      steps: [{ step: 1, items: [{ text: 'x', reward: 1 }], rewards: [1, 0] }],
      availableSteps: [1],
    });
    bad(HostToDashboardSchema, { type: 'samples', runId: 'r1', kind: 'train', steps: [] });
    ok(HostToDashboardSchema, { type: 'configDiff', a: 'r1', b: 'r2', rows: [{ key: 'lr', a: '1', same: false }] });
    ok(HostToDashboardSchema, { type: 'status', runId: 'r1', status: 'completed', updatedAt: '2026-01-01T00:00:00Z' });
    bad(HostToDashboardSchema, { type: 'status', runId: 'r1', status: 'done', updatedAt: '' });
    ok(HostToDashboardSchema, { type: 'notice', level: 'warning', message: 'metrics.jsonl line 4 is not JSON' });
  });

  it('takes the page messages as documented; an export carries the payload of its format', () => {
    ok(DashboardToHostSchema, { type: 'ready' });
    ok(DashboardToHostSchema, { type: 'select', runIds: ['a', 'b'] });
    bad(DashboardToHostSchema, { type: 'select', runIds: Array.from({ length: 9 }, (_, i) => `r${i}`) });
    ok(DashboardToHostSchema, { type: 'settings', settings: { ema: 0.9, logScale: true, xKey: 'progress' } });
    ok(DashboardToHostSchema, { type: 'openCheckpoint', runId: 'a', sampler_path: 'mint://a/sampler_weights/s1' });
    ok(DashboardToHostSchema, { type: 'requestSamples', runId: 'a', kind: 'eval', step: 10 });
    ok(DashboardToHostSchema, { type: 'requestConfigDiff', a: 'a', b: 'b' });
    ok(DashboardToHostSchema, { type: 'export', format: 'png', key: 'train/loss', dataUrl: 'data:image/png;base64,iVBORw0KGgo=' });
    ok(DashboardToHostSchema, { type: 'export', format: 'svg', key: 'train/loss', svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' });
    bad(DashboardToHostSchema, { type: 'export', format: 'png', key: 'train/loss', svg: '<svg></svg>' });
    bad(DashboardToHostSchema, { type: 'export', format: 'png', key: 'train/loss', dataUrl: 'data:text/html;base64,PGI+' });
    bad(DashboardToHostSchema, { type: 'export', format: 'svg', key: 'train/loss', svg: '<script>alert(1)</script>' });
  });

  it('groups keys by prefix and puts the loss first', () => {
    assert.equal(groupOf('train/loss'), 'train');
    assert.equal(groupOf('env/all/reward/total'), 'env');
    assert.equal(groupOf('time/step'), 'time');
    assert.equal(groupOf('train_mean_nll'), 'other');
    assert.equal(groupOf('progress/done_frac'), 'other');
    assert.equal(groupOf('other/x'), 'other');
    assert.deepEqual(orderKeys(['learning_rate', 'num_tokens', 'train_mean_nll', 'loss']), [
      'train_mean_nll',
      'loss',
      'learning_rate',
      'num_tokens',
    ]);
  });
});

describe('dashboard chart helpers', () => {
  it('smooths like TensorBoard: debiased, gaps kept and not counted', () => {
    const { sm } = emaSeries([1, 2, null, 3, 4], 0.5);
    const want = [1, 1.25 / 0.75, null, 2.125 / 0.875, 3.0625 / 0.9375];
    sm.forEach((v, i) => (want[i] === null ? assert.equal(v, null) : assert.ok(Math.abs(v! - want[i]!) < 1e-12, `${i}: ${v}`)));
    assert.deepEqual(emaSeries([3, null, 5], 0).sm, [3, null, 5]);
    // Continuing the state gives what smoothing the whole column gives.
    const { ema } = emaSeries([1, 2], 0.9);
    const whole = emaSeries([1, 2, 7], 0.9).sm[2]!;
    assert.ok(Math.abs(ema.next(7)! - whole) < 1e-12);
    assert.equal(new Ema(0.9).next(Number.NaN), null);
  });

  it('orders a resumed run (later rows win) and aligns runs on one x axis', () => {
    assert.deepEqual(normalize([0, 1, 2, 1, 2, 3], [10, 11, 12, 21, 22, 23]), { x: [0, 1, 2, 3], y: [10, 21, 22, 23] });
    const j = joinRuns([
      { x: [0, 2, 4], cols: [[1, 2, 3]] },
      { x: [1, 2, 3], cols: [[5, null, 7]] },
    ]);
    assert.deepEqual(j.x, [0, 1, 2, 3, 4]);
    assert.deepEqual(j.cols, [
      [1, undefined, 2, undefined, 3],
      [undefined, 5, null, 7, undefined],
    ]);
  });

  it('picks readable ticks on linear and log axes', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 97, 4), [25, 50, 75]);
    assert.deepEqual(logTicks(0.003, 20), [0.01, 0.1, 1, 10]);
    assert.deepEqual(logTicks(1, 50), [1, 2, 5, 10, 20, 50]);
  });

  it('bins rewards: one bin per value for small integers, equal widths otherwise', () => {
    const ints = histogram([0, 1, 1, 1]);
    assert.deepEqual(ints.edges, [-0.5, 0.5, 1.5]);
    assert.deepEqual(ints.counts, [1, 3]);
    assert.equal(ints.mean, 0.75);
    const real = histogram([0, 0.25, 0.5, 1, Number.NaN], 4);
    assert.deepEqual(real.counts, [1, 1, 1, 1]);
    assert.equal(real.total, 4);
    assert.deepEqual(histogram([]).counts, []);
  });

  it('thins a long column to its extremes, keeping spikes and gaps', () => {
    const y: Array<number | null> = Array.from({ length: 100_000 }, (_, i) => Math.sin(i / 1000));
    y[50_000] = 40;
    y[70_000] = null;
    const keep = thinIndices(y, 2000);
    assert.ok(keep.length <= 2000 + 500, `${keep.length} points`);
    assert.equal(keep[0], 0);
    assert.equal(keep.at(-1), 99_999);
    assert.ok(keep.includes(50_000), 'the spike survives');
    assert.ok(keep.includes(70_000), 'the gap survives');
    for (let i = 1; i < keep.length; i++) assert.ok(keep[i]! > keep[i - 1]!, 'in index order');
    assert.deepEqual(thinIndices([1, 2, 3], 10), [0, 1, 2]);
  });
});
