/**
 * The run dashboard page (dist/webview/dashboard.js + .css) in headless Chromium, driven with the
 * protocol's messages as the host would send them. The page is built as the host builds it (CSP
 * with a nonce, no inline style, no eval: see openDashboardPage). Its only outside contact is
 * acquireVsCodeApi, stood in for by a recorder; nothing loads from the network. The page exposes
 * `window.mintDashboard` (read-only) so the tests can look at the uPlot charts.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser';
import { DashboardToHostSchema, type HostToDashboard, type RunInfo } from '../../../src/shared/dashboard';
import { openDashboardPage } from '../../../bench/dashboardRender';

const root = process.cwd();
const bundle = join(root, 'dist/webview/dashboard.js');
const css = join(root, 'dist/webview/dashboard.css');

type Posted = Array<{ type: string } & Record<string, unknown>>;

async function send(page: Page, msg: unknown): Promise<void> {
  await page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), msg);
}
async function posted(page: Page): Promise<Posted> {
  return page.evaluate(() => (window as unknown as { __posted: Posted }).__posted);
}
/** Waits for the next painted frame. */
async function frame(page: Page): Promise<void> {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
}
/** The uPlot chart of a key, as plain data: its aligned arrays, series and y scale. */
async function chart(
  page: Page,
  key: string,
): Promise<{ data: Array<Array<number | null | undefined>>; series: Array<{ show: boolean; label: string }>; distr: number } | null> {
  return page.evaluate((k) => {
    const u = (window as any).mintDashboard.chart(k);
    if (!u) return null;
    return {
      data: u.data.map((a: ArrayLike<number | null | undefined>) => Array.from(a, (v) => (v === undefined ? null : v))),
      series: u.series.map((s: { show: boolean; label: string }) => ({ show: s.show, label: String(s.label) })),
      distr: u.scales.y.distr,
    };
  }, key);
}
async function waitChart(page: Page, key: string): Promise<void> {
  await page.waitForFunction((k) => !!(window as any).mintDashboard.chart(k), key, { timeout: 5000 });
  await frame(page);
}

function run(id: string, name = id, status: RunInfo['status'] = 'completed'): RunInfo {
  return { id, name, path: `/work/runs/${name}`, layout: 'mint-cookbook', status };
}
function init(
  runs: RunInfo[],
  selected: string[],
  keys: string[],
  settings: Partial<{ ema: number; logScale: boolean; xKey: 'step' }> = {},
): HostToDashboard {
  const groups = new Map<string, string[]>();
  for (const k of keys) {
    const p = k.includes('/') ? k.slice(0, k.indexOf('/')) : 'other';
    const g = ['train', 'test', 'env', 'optim', 'time'].includes(p) ? p : 'other';
    groups.set(g, [...(groups.get(g) ?? []), k]);
  }
  return {
    type: 'init',
    runs,
    selected,
    groups: [...groups].map(([name, ks]) => ({ name: name as 'train', keys: ks })),
    settings: { ema: 0, logScale: false, xKey: 'step', ...settings },
  };
}
function series(runId: string, key: string, y: Array<number | null>, x = y.map((_, i) => i)): HostToDashboard {
  return { type: 'series', runId, key, x, y };
}
const ramp = (n: number, f = (i: number) => 1 / (1 + i)) => Array.from({ length: n }, (_, i) => f(i));

describe('dashboard webview page (headless Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];

  before(async function () {
    if (!existsSync(bundle) || !existsSync(css))
      throw new Error(`${bundle} or its .css is missing: run "node scripts/build.mjs --only webview" first`);
    browser = await launchChromium();
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    ({ page, errors } = await openDashboardPage(browser, root, { width: 1200, height: 900 }));
  });
  afterEach(async () => {
    const refused = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
    assert.deepEqual(refused, [], 'the page broke its Content-Security-Policy');
    const msgs = await posted(page);
    for (const m of msgs)
      assert.ok(DashboardToHostSchema.safeParse(m).success, `posted a message that does not fit: ${JSON.stringify(m).slice(0, 200)}`);
    await page.close();
    assert.deepEqual(errors, [], 'the page threw');
  });

  it('says ready, draws one chart per key in its group (loss first), and drops messages that do not fit', async () => {
    assert.equal((await posted(page))[0]?.type, 'ready');
    await send(page, init([run('r1')], ['r1'], ['train/acc', 'train/loss', 'optim/lr', 'progress', 'train_mean_nll']));
    for (const k of ['train/acc', 'train/loss', 'optim/lr', 'progress', 'train_mean_nll']) await send(page, series('r1', k, ramp(50)));
    await waitChart(page, 'train_mean_nll');
    const layout = await page.$$eval('details.group', (ds) =>
      ds.map((d) => [d.getAttribute('data-group'), [...d.querySelectorAll('.chart')].map((c) => c.getAttribute('data-key'))]),
    );
    assert.deepEqual(layout, [
      ['train', ['train/acc', 'train/loss']],
      ['optim', ['optim/lr']],
      ['other', ['train_mean_nll', 'progress']],
    ]);
    assert.equal(await page.locator('[data-key="train/loss"] canvas').count(), 1);
    assert.equal((await chart(page, 'train/loss'))!.data[0]!.length, 50);

    // Messages that do not fit the protocol are dropped whole, and the page goes on.
    for (const bad of [
      null,
      'init',
      { type: 'bogus' },
      { type: 'init' },
      { type: 'series', runId: 'r1', key: 'train/loss', x: 'nope', y: [] },
      { type: 'series', runId: 'r1', key: 'train/loss', x: [0, 1], y: [1, 'x'] },
      { type: 'append', runId: 'r1', rows: [] },
      { type: 'checkpoints', runId: 'r1', items: [{ name: 'c', step: 'five' }] },
    ]) {
      await send(page, bad);
    }
    await frame(page);
    assert.equal((await chart(page, 'train/loss'))!.data[0]!.length, 50, 'an invalid series changed the chart');
    await send(page, series('r1', 'test/nll', [3, 2, 1]));
    await waitChart(page, 'test/nll');
    assert.equal(
      await page.locator('details[data-group="test"] [data-key="test/nll"]').count(),
      1,
      'a key the groups did not list joins its group',
    );
    assert.deepEqual((await chart(page, 'test/nll'))!.data[1], [3, 2, 1]);

    // A new init (the host found another run) keeps the charts and data of the keys it still lists.
    await send(page, init([run('r1'), run('r2')], ['r1'], ['train/loss', 'optim/lr']));
    await frame(page);
    const again = await page.$$eval('details.group', (ds) =>
      ds.map((d) => [d.getAttribute('data-group'), [...d.querySelectorAll('.chart')].map((c) => c.getAttribute('data-key'))]),
    );
    assert.deepEqual(again, [
      ['train', ['train/loss']],
      ['optim', ['optim/lr']],
    ]);
    assert.equal((await chart(page, 'train/loss'))!.data[0]!.length, 50);
    assert.equal(await page.locator('label.run').count(), 2);
  });

  it('appends rows in place: the data grows and reaches a painted frame within 100 ms', async () => {
    await send(page, init([run('r1', 'r1', 'running')], ['r1'], ['train/loss', 'optim/lr']));
    await send(page, series('r1', 'train/loss', ramp(1000)));
    await send(
      page,
      series(
        'r1',
        'optim/lr',
        ramp(1000, () => 1e-4),
      ),
    );
    await waitChart(page, 'train/loss');
    const times = await page.evaluate(async () => {
      const out: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const m = { type: 'append', runId: 'r1', rows: [{ x: 1000 + i, values: { 'train/loss': 0.5 - i / 100, 'optim/lr': 1e-4 } }] };
        window.dispatchEvent(new MessageEvent('message', { data: m }));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        out.push(performance.now() - t0);
      }
      return out;
    });
    const c = (await chart(page, 'train/loss'))!;
    assert.equal(c.data[0]!.length, 1020);
    assert.equal(c.data[0]![1019], 1019);
    assert.equal(c.data[1]![1019], 0.31);
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    assert.ok(median < 100, `append -> painted frame median ${median.toFixed(1)} ms`);
    // A new key in an appended row gets its chart.
    await send(page, { type: 'append', runId: 'r1', rows: [{ x: 1020, values: { 'time/step': 1.5 } }] });
    await waitChart(page, 'time/step');
    assert.deepEqual((await chart(page, 'time/step'))!.data, [[1020], [1.5], [1.5]]);
  });

  it('smooths with a debiased EMA (raw line kept), and switches the y scale to log with a note for values <= 0', async () => {
    await send(page, init([run('r1')], ['r1'], ['train/loss', 'train/adv'], { ema: 0.5 }));
    await send(page, series('r1', 'train/loss', [1, 2, 3, 4]));
    await send(page, series('r1', 'train/adv', [-1, 0, 1, 2]));
    await waitChart(page, 'train/adv');
    let c = (await chart(page, 'train/loss'))!;
    assert.deepEqual(c.data[1], [1, 2, 3, 4], 'the raw series is drawn as it is');
    const expected = [1, 1.25 / 0.75, 2.125 / 0.875, 3.0625 / 0.9375];
    c.data[2]!.forEach((v, i) => assert.ok(Math.abs(v! - expected[i]!) < 1e-9, `smoothed[${i}] = ${v}, expected ${expected[i]}`));
    assert.equal(c.series[2]!.show, true);

    await page.$eval('[data-ema]', (el) => {
      (el as HTMLInputElement).value = '0';
      el.dispatchEvent(new Event('input'));
      el.dispatchEvent(new Event('change'));
    });
    await frame(page);
    c = (await chart(page, 'train/loss'))!;
    assert.deepEqual(c.data[2], [1, 2, 3, 4], 'EMA 0 is the raw series');
    assert.equal(c.series[2]!.show, false, 'no smoothed line without smoothing');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'settings').at(-1), {
      type: 'settings',
      settings: { ema: 0, logScale: false, xKey: 'step' },
    });

    assert.equal(c.distr, 1);
    await page.click('[data-log]');
    await frame(page);
    assert.equal((await chart(page, 'train/loss'))!.distr, 3, 'log scale');
    assert.deepEqual((await chart(page, 'train/adv'))!.data[1], [null, null, 1, 2], 'values <= 0 are not drawn on a log scale');
    assert.match((await page.textContent('[data-key="train/adv"] .note')) ?? '', /2 values are zero or negative/);
    assert.equal(await page.isHidden('[data-key="train/loss"] .note'), true);
    await page.click('[data-log]');
    await frame(page);
    assert.equal((await chart(page, 'train/loss'))!.distr, 1);
    assert.equal(await page.isHidden('[data-key="train/adv"] .note'), true);
  });

  it('shows the values under the cursor in every chart (synced cursors), and follows the panel’s width', async () => {
    await send(page, init([run('r1', 'run-1')], ['r1'], ['train/loss', 'optim/lr'], { ema: 0.5 }));
    await send(page, series('r1', 'train/loss', [4, 3, 2, 1, 0.5], [0, 10, 20, 30, 40]));
    await send(page, series('r1', 'optim/lr', [1, 2, 3, 4, 5], [0, 10, 20, 30, 40]));
    await waitChart(page, 'optim/lr');
    assert.match((await page.textContent('[data-key="train/loss"] .legend')) ?? '', /step 40 \(latest\).*run-1.*raw 0\.5/);
    const box = (await page.locator('[data-key="train/loss"] .u-over').boundingBox())!;
    await page.mouse.move(box.x + 1, box.y + box.height / 2);
    await frame(page);
    assert.match((await page.textContent('[data-key="train/loss"] .legend')) ?? '', /^step 0run-14 \(raw 4\)$/);
    assert.match(
      (await page.textContent('[data-key="optim/lr"] .legend')) ?? '',
      /^step 0run-11 \(raw 1\)$/,
      'the other chart follows the cursor',
    );
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    await frame(page);
    assert.match((await page.textContent('[data-key="optim/lr"] .legend')) ?? '', /^step 40/);

    // 1200 px holds three columns of charts; 600 px one, wider than each of the three.
    const before = await page.evaluate(() => (window as any).mintDashboard.chart('train/loss').width as number);
    await page.setViewportSize({ width: 600, height: 900 });
    await page.waitForFunction((w) => (window as any).mintDashboard.chart('train/loss').width > w + 100, before, { timeout: 5000 });
    const after = await page.evaluate(() => {
      const el = document.querySelector('[data-key="train/loss"] .plot') as HTMLElement;
      return { chart: (window as any).mintDashboard.chart('train/loss').width as number, cell: el.clientWidth };
    });
    assert.equal(after.chart, after.cell, 'the chart fills its cell');
    await page.setViewportSize({ width: 450, height: 900 });
    await page.waitForFunction((w) => (window as any).mintDashboard.chart('train/loss').width < w - 100, after.chart, { timeout: 5000 });
  });

  it('opens a sampler checkpoint from its marker; a weights-only marker says why and posts nothing', async () => {
    await send(page, init([run('r1')], ['r1'], ['train/loss']));
    await send(page, series('r1', 'train/loss', ramp(101)));
    await send(page, {
      type: 'checkpoints',
      runId: 'r1',
      items: [
        { name: 's50', step: 50, sampler_path: 'mint://run1/sampler_weights/s50', state_path: 'mint://run1/weights/s50' },
        { name: 'w80', step: 80, state_path: 'mint://run1/weights/w80' },
        { name: 'far', step: 5000, sampler_path: 'mint://run1/sampler_weights/far' },
      ],
    });
    await waitChart(page, 'train/loss');
    assert.equal(await page.locator('[data-key="train/loss"] .ckpt').count(), 2, 'a checkpoint outside the x range has no marker');
    await page.click('[data-key="train/loss"] .ckpt[data-checkpoint="s50"]');
    assert.deepEqual(
      (await posted(page)).filter((m) => m.type === 'openCheckpoint'),
      [{ type: 'openCheckpoint', runId: 'r1', sampler_path: 'mint://run1/sampler_weights/s50' }],
    );
    const w = page.locator('[data-key="train/loss"] .ckpt[data-checkpoint="w80"]');
    assert.equal(await w.getAttribute('aria-disabled'), 'true');
    assert.match((await w.getAttribute('title')) ?? '', /training-state weights only.*save_weights_for_sampler/);
    await w.click({ force: true }); // aria-disabled: Playwright would wait for it to be enabled
    assert.equal((await posted(page)).filter((m) => m.type === 'openCheckpoint').length, 1, 'a weights-only checkpoint posted something');
    // The markers sit where the steps are: s50 left of w80.
    const xs = await page.$$eval('[data-key="train/loss"] .ckpt', (els) => els.map((e) => parseFloat((e as HTMLElement).style.left)));
    assert.ok(xs[0]! < xs[1]!, `marker positions ${xs}`);
  });

  it('overlays up to 8 runs: picking runs posts select and adds their series; a ninth is refused with a message', async () => {
    const runs = ['a', 'b', 'c'].map((id) => run(id, `run-${id}`));
    await send(page, init(runs, ['a'], ['train/loss']));
    for (const [i, id] of ['a', 'b', 'c'].entries())
      await send(
        page,
        series(
          id,
          'train/loss',
          ramp(20 + i * 5, (k) => (i + 1) / (k + 1)),
        ),
      );
    await waitChart(page, 'train/loss');
    assert.equal((await chart(page, 'train/loss'))!.series.length, 3);
    await page.click('[data-run="b"] input');
    await page.click('[data-run="c"] input');
    await frame(page);
    assert.deepEqual(
      (await posted(page)).filter((m) => m.type === 'select').map((m) => m.runIds),
      [
        ['a', 'b'],
        ['a', 'b', 'c'],
      ],
    );
    const c = (await chart(page, 'train/loss'))!;
    assert.equal(c.series.length, 1 + 3 * 2, 'raw and smoothed per run');
    assert.deepEqual(
      c.series.filter((_, i) => i % 2 === 0 && i > 0).map((s) => s.label),
      ['run-a', 'run-b', 'run-c'],
    );
    assert.equal(c.data[0]!.length, 30, 'runs of different lengths share one x axis');
    assert.equal(c.data[1]![29], null, 'run a has no row at x = 29');
    assert.equal(await page.locator('[data-key="train/loss"] .legend .entry').count(), 3);
    // Colours are distinct.
    const colors = await page.$$eval('.run.on .swatch', (els) => els.map((e) => (e as HTMLElement).style.background));
    assert.equal(new Set(colors).size, 3);

    const nine = Array.from({ length: 9 }, (_, i) => run(`r${i}`));
    await send(
      page,
      init(
        nine,
        nine.slice(0, 8).map((r) => r.id),
        ['train/loss'],
      ),
    );
    const before = (await posted(page)).length;
    await page.click('[data-run="r8"] input');
    assert.equal(await page.isChecked('[data-run="r8"] input'), false);
    assert.match((await page.textContent('[data-picker-message]')) ?? '', /At most 8 runs can be overlaid/);
    assert.equal(await page.isVisible('[data-picker-message]'), true);
    assert.equal((await posted(page)).length, before, 'a ninth run was posted');
  });

  it('exports a chart as PNG (a real PNG) and as SVG (well-formed, a polyline per series)', async () => {
    await send(page, init([run('a', 'run <a>'), run('b')], ['a', 'b'], ['train/loss'], { ema: 0.6 }));
    await send(page, series('a', 'train/loss', ramp(300)));
    await send(
      page,
      series(
        'b',
        'train/loss',
        ramp(200, (i) => 2 / (i + 1)),
      ),
    );
    await send(page, { type: 'checkpoints', runId: 'a', items: [{ name: 's1', step: 100, sampler_path: 'mint://a/sampler_weights/s1' }] });
    await waitChart(page, 'train/loss');
    await page.click('[data-key="train/loss"] [data-export="png"]');
    await page.click('[data-key="train/loss"] [data-export="svg"]');
    const exports = (await posted(page)).filter((m) => m.type === 'export');
    assert.equal(exports.length, 2);
    const png = exports[0]!;
    assert.equal(png.format, 'png');
    assert.equal(png.key, 'train/loss');
    const bytes = Buffer.from(String(png.dataUrl).replace(/^data:image\/png;base64,/, ''), 'base64');
    assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(bytes.length > 2000, `a ${bytes.length}-byte PNG is too small to hold the chart`);

    const svg = exports[1]!;
    assert.equal(svg.format, 'svg');
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.nodeName,
        groups: [...doc.querySelectorAll('g[data-series]')].map((g) => [
          g.getAttribute('data-series'),
          g.querySelectorAll('polyline').length,
        ]),
        ticks: doc.querySelectorAll('.axes text').length,
        legend: [...doc.querySelectorAll('.legend text')].map((t) => t.textContent),
        checkpoints: doc.querySelectorAll('.checkpoints line').length,
      };
    }, String(svg.svg));
    assert.equal(parsed.error, null);
    assert.equal(parsed.root, 'svg');
    assert.deepEqual(parsed.groups, [
      ['run <a> (raw)', 1],
      ['run <a>', 1],
      ['b (raw)', 1],
      ['b', 1],
    ]);
    assert.ok(parsed.ticks >= 4, 'axes have labelled ticks');
    assert.deepEqual(parsed.legend, ['run <a>', 'b']);
    assert.equal(parsed.checkpoints, 1);
  });

  it('shows eval samples and rollouts per step, with a reward histogram', async () => {
    await send(page, init([run('r1')], ['r1'], ['train/loss']));
    await page.click('[data-tab="samples"]');
    assert.deepEqual(
      (await posted(page)).filter((m) => m.type === 'requestSamples'),
      [{ type: 'requestSamples', runId: 'r1', kind: 'eval' }],
    );
    await send(page, {
      type: 'samples',
      runId: 'r1',
      kind: 'eval',
      availableSteps: [0, 10],
      steps: [
        {
          step: 10,
          items: [
            { id: 'q1', prediction: 'x = 4', expected: '4', correct: true },
            { id: 'q2', prediction: '<b>5</b>', expected: '6', correct: false },
          ],
        },
      ],
    });
    assert.equal(await page.textContent('[data-samples-summary]'), 'Step 10: 1 of 2 correct (50%)');
    const rows = await page.$$eval('.sample-row', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['q1', '✓', 'x = 4', '4'],
      ['q2', '✗', '<b>5</b>', '6'],
    ]);
    assert.equal(await page.$eval('[data-samples-step]', (s) => (s as HTMLSelectElement).value), '10');
    await page.selectOption('[data-samples-step]', '0');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'requestSamples').at(-1), {
      type: 'requestSamples',
      runId: 'r1',
      kind: 'eval',
      step: 0,
    });

    await page.click('[data-samples-kind="rollouts"]');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'requestSamples').at(-1), {
      type: 'requestSamples',
      runId: 'r1',
      kind: 'rollouts',
    });
    await send(page, {
      type: 'samples',
      runId: 'r1',
      kind: 'rollouts',
      availableSteps: [3],
      steps: [
        {
          step: 3,
          rewards: [0, 1, 1, 1],
          items: [
            { id: 'g1', prompt: 'What is 2+2?', text: 'It is 4.', reward: 1, correct: true },
            { id: 'g2', prompt: 'What is 2+3?', text: 'It is 6.', reward: 0, correct: false },
          ],
        },
      ],
    });
    assert.equal(await page.textContent('[data-samples-summary]'), 'Step 3: 4 rewards, mean 0.75, min 0, max 1');
    assert.equal(await page.locator('canvas[data-hist]').count(), 1);
    assert.match((await page.getAttribute('canvas[data-hist]', 'aria-label')) ?? '', /-0\.5 to 0\.5: 1; 0\.5 to 1\.5: 3/);
    assert.match((await page.textContent('.samples-body')) ?? '', /What is 2\+3\?.*It is 6\./s);
  });

  it('diffs two runs’ configs: differing keys highlighted, identical ones folded', async () => {
    await send(page, init([run('a', 'lr-1e-4'), run('b', 'lr-3e-4')], ['a', 'b'], ['train/loss']));
    await page.click('[data-tab="config"]');
    assert.deepEqual(
      (await posted(page)).filter((m) => m.type === 'requestConfigDiff'),
      [{ type: 'requestConfigDiff', a: 'a', b: 'b' }],
    );
    await send(page, {
      type: 'configDiff',
      a: 'a',
      b: 'b',
      rows: [
        { key: 'learning_rate', a: '0.0001', b: '0.0003', same: false },
        { key: 'lora_rank', a: '16', b: '16', same: true },
        { key: 'seed', a: '1', same: false },
      ],
    });
    assert.equal(await page.textContent('[data-config-summary]'), '2 keys differ, 1 identical.');
    const diff = await page.$$eval('table.differs tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
    );
    assert.deepEqual(diff, [
      ['learning_rate', '0.0001', '0.0003'],
      ['seed', '1', 'not set'],
    ]);
    assert.deepEqual(await page.$$eval('table.differs th', (ths) => ths.map((t) => t.textContent)), ['key', 'lr-1e-4', 'lr-3e-4']);
    assert.equal(await page.isVisible('[data-config-key="lora_rank"]'), false, 'identical keys start folded');
    await page.click('.same-keys summary');
    assert.equal(await page.isVisible('[data-config-key="lora_rank"]'), true);
  });

  it('says what to do when there are no runs, and shows a run’s live status', async () => {
    assert.match((await page.textContent('[data-empty]')) ?? '', /Loading/);
    await send(page, init([], [], []));
    const text = (await page.textContent('[data-empty]')) ?? '';
    assert.match(text, /No training runs found/);
    assert.match(text, /MinT: Fine-tune on This Dataset/);
    assert.match(text, /log_path/);
    await send(page, init([run('r1', 'r1', 'running')], [], []));
    assert.match((await page.textContent('[data-empty]')) ?? '', /Pick a run/);
    assert.equal(await page.textContent('[data-run="r1"] .badge'), 'running');
    await send(page, { type: 'status', runId: 'r1', status: 'failed', updatedAt: '2026-01-02T03:04:05Z' });
    assert.equal(await page.textContent('[data-run="r1"] .badge'), 'failed');
    await page.click('[data-run="r1"] input');
    assert.match((await page.textContent('[data-empty]')) ?? '', /No metrics yet/);
  });

  it('creates only the charts near the viewport (100 keys), and the others as they scroll in', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `env/metric_${String(i).padStart(3, '0')}`);
    await send(page, init([run('r1')], ['r1'], keys));
    for (const k of keys) await send(page, series('r1', k, ramp(500)));
    await waitChart(page, keys[0]!);
    await frame(page);
    const created = await page.evaluate(() => (window as any).mintDashboard.created().length as number);
    assert.ok(created > 0 && created < 40, `${created} of 100 charts were created up front`);
    await page.locator(`[data-key="${keys[99]}"]`).scrollIntoViewIfNeeded();
    await waitChart(page, keys[99]!);
    assert.equal((await chart(page, keys[99]!))!.data[0]!.length, 500);
  });
});
