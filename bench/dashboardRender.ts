/**
 * Run dashboard benchmark: the real page (dist/webview/dashboard.js + .css) in headless Chromium,
 * fed the protocol's messages by a stand-in host. Goals from the issue: a 100,000-row metrics.jsonl
 * opens and draws in <= 1 s, and each appended row reaches the chart in <= 100 ms.
 *
 * (1) open: `init` + 15 keys x 100,000 points, from the message to the frame painted with all 15
 *     charts drawn (median of 5, a fresh page each), once with the raw 100,000 points per key and
 *     once with the 4,000-point version the host sends after downsampling;
 * (2) live: 200 `append` messages of one row (all 15 keys), each timed from the post to the next
 *     painted frame (median and p95), on the downsampled page and on the raw one.
 * The data is made inside the page before the clock starts: what is timed is the page's own work
 * (parsing the message against the protocol, building the columns, uPlot drawing), not the
 * transfer between the extension host and the webview. The viewport shows all 15 charts, so every
 * chart is drawn (the worst case; with fewer on screen the others are not created).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium.mjs';

export interface DashboardRenderResult {
  openRawMedianMs: number;
  openDownsampledMedianMs: number;
  appendMedianMs: number;
  appendP95Ms: number;
  appendRawMedianMs: number;
  appendRawP95Ms: number;
  chartsDrawn: number;
  /** Points per key the page hands uPlot for a 100,000-point column (it thins long columns, see MAX_PLOT_POINTS). */
  rawPointsPlotted: number;
}

const OPEN_GOAL_MS = 1000;
const APPEND_GOAL_MS = 100;
const KEYS = 15;
const RAW_ROWS = 100_000;
const DOWNSAMPLED = 4_000;
const OPEN_RUNS = 5;
const APPENDS = 200;
// A dark-theme subset of the variables VS Code injects, so colours and layout are realistic.
const THEME = `:root{--vscode-foreground:#ccc;--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-editor-background:#1e1e1e;--vscode-descriptionForeground:#999;--vscode-editorWidget-border:#444;--vscode-focusBorder:#007fd4}`;

/** SFT- and RL-style keys over the five groups, as a mint-cookbook run writes them. */
export const BENCH_KEYS = [
  'train_mean_nll',
  'learning_rate',
  'num_tokens',
  'progress',
  'train/loss',
  'train/accuracy',
  'test/nll',
  'test/eval_accuracy',
  'env/all/reward/total',
  'env/all/format',
  'optim/lr',
  'optim/grad_norm',
  'time/step',
  'time/total',
  'time/eta',
].slice(0, KEYS);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
}

/** Where the stand-in webview serves the bundle from (the host's `webview.cspSource`). */
const ORIGIN = 'https://webview.test';

/**
 * A page built the way the host builds the dashboard's HTML (see src/shared/dashboard.ts): CSP
 * `default-src 'none'`, the stylesheet and the nonce'd script from the webview's origin, no inline
 * style, no eval. A nonce'd inline script stands in for VS Code's acquireVsCodeApi (it records what
 * the page posts in `window.__posted`) and records CSP violations in `window.__csp`.
 */
export async function openDashboardPage(
  browser: Browser,
  root: string,
  viewport = { width: 1400, height: 1600 },
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const files: Record<string, { body: string; contentType: string }> = {
    '/dashboard.js': { body: readFileSync(join(root, 'dist/webview/dashboard.js'), 'utf8'), contentType: 'text/javascript' },
    '/dashboard.css': { body: readFileSync(join(root, 'dist/webview/dashboard.css'), 'utf8'), contentType: 'text/css' },
    '/theme.css': { body: THEME, contentType: 'text/css' },
  };
  // Nothing else may load: the page is self-contained.
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    const file = url.origin === ORIGIN ? files[url.pathname] : undefined;
    return file ? route.fulfill({ status: 200, body: file.body, contentType: file.contentType }) : route.abort();
  });
  const nonce = 'bench0nce';
  const csp = `default-src 'none'; style-src ${ORIGIN}; font-src ${ORIGIN}; img-src ${ORIGIN} data:; script-src 'nonce-${nonce}'`;
  await page.setContent(`<!doctype html><html lang="en"><head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${ORIGIN}/theme.css">
<link rel="stylesheet" href="${ORIGIN}/dashboard.css">
</head><body class="vscode-dark"><div id="app"></div>
<script nonce="${nonce}">
window.__posted = []; window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || '')));
window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) });
</script>
<script nonce="${nonce}" src="${ORIGIN}/dashboard.js"></script>
</body></html>`);
  // esbuild's keepNames wraps functions in __name(); callbacks serialised into the page need it too.
  await page.evaluate('window.__name = (f) => f');
  await page.waitForFunction(
    () => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'),
    undefined,
    {
      timeout: 10_000,
    },
  );
  return { page, errors };
}

/** Time from `init` + every `series` to the frame painted with all charts drawn at `points` points each. */
async function timeOpen(page: Page, points: number): Promise<{ ms: number; drawn: number }> {
  return page.evaluate(
    async ({ keys, points, rows }) => {
      // Deterministic, loss-like data (a decaying curve with noise), made before the clock starts.
      let s = 42;
      const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
      const stride = rows / points;
      const x = Array.from({ length: points }, (_, i) => Math.round(i * stride));
      const msgs: unknown[] = [
        {
          type: 'init',
          runs: [{ id: 'bench', name: 'bench-run', path: '/runs/bench', layout: 'mint-cookbook', status: 'running' }],
          selected: ['bench'],
          groups: [
            { name: 'other', keys: keys.filter((k) => !k.includes('/')) },
            ...['train', 'test', 'env', 'optim', 'time'].map((g) => ({ name: g, keys: keys.filter((k) => k.startsWith(`${g}/`)) })),
          ].filter((g) => g.keys.length),
          settings: { ema: 0.6, logScale: false, xKey: 'step' },
        },
        ...keys.map((key, k) => ({
          type: 'series',
          runId: 'bench',
          key,
          x,
          y: x.map((step) => (k + 1) * Math.exp(-step / 30_000) + 0.1 * rnd()),
        })),
      ];
      const dash = (window as unknown as { mintDashboard: { chart(k: string): { data: ArrayLike<unknown>[] } | undefined } }).mintDashboard;
      // Every message is dispatched before the first frame, so a chart that exists was built from all of its data.
      const done = () => keys.every((k) => (dash.chart(k)?.data[0]?.length ?? 0) > 0);
      const t0 = performance.now();
      for (const m of msgs) window.dispatchEvent(new MessageEvent('message', { data: m }));
      while (!done()) {
        await new Promise((r) => requestAnimationFrame(r));
        if (performance.now() - t0 > 30_000) break;
      }
      // The frame with the last chart drawn is painted once the next task runs.
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      return { ms: performance.now() - t0, drawn: keys.filter((k) => (dash.chart(k)?.data[0]?.length ?? 0) > 0).length };
    },
    { keys: BENCH_KEYS, points, rows: RAW_ROWS },
  );
}

/** `APPENDS` appends of one row carrying every key, each timed from the post to the next painted frame. */
async function timeAppends(page: Page, firstX: number): Promise<number[]> {
  return page.evaluate(
    async ({ keys, n, firstX }) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const values: Record<string, number> = {};
        keys.forEach((k, j) => (values[k] = (j + 1) * 0.05 + (i % 7) * 0.001));
        const msg = { type: 'append', runId: 'bench', rows: [{ x: firstX + i * 25, values }] };
        const t0 = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data: msg }));
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        out.push(performance.now() - t0);
      }
      return out;
    },
    { keys: BENCH_KEYS, n: APPENDS, firstX },
  );
}

async function appendedRows(page: Page): Promise<number> {
  return page.evaluate((k) => {
    const u = (
      window as unknown as { mintDashboard: { chart(k: string): { data: ArrayLike<unknown>[] } | undefined } }
    ).mintDashboard.chart(k);
    return u?.data[0]?.length ?? 0;
  }, BENCH_KEYS[0]!);
}

export async function benchDashboardRender(
  root = process.cwd(),
  print: (line: string) => void = console.log,
): Promise<DashboardRenderResult> {
  for (const f of ['dist/webview/dashboard.js', 'dist/webview/dashboard.css']) {
    if (!existsSync(join(root, f))) throw new Error(`${f} is missing: run "node scripts/build.mjs --only webview" first.`);
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
  try {
    const open = async (points: number) => {
      const times: number[] = [];
      let drawn = 0;
      let last: { page: Page; errors: string[] } | undefined;
      for (let i = 0; i < OPEN_RUNS; i++) {
        await last?.page.close();
        last = await openDashboardPage(browser, root);
        const t = await timeOpen(last.page, points);
        if (last.errors.length) throw new Error(`page errors: ${last.errors.join('; ')}`);
        times.push(t.ms);
        drawn = t.drawn;
      }
      if (drawn !== KEYS) throw new Error(`only ${drawn} of ${KEYS} charts were drawn with ${points} points`);
      return { ms: median(times), all: times, page: last! };
    };

    const raw = await open(RAW_ROWS);
    const rawPlotted = await appendedRows(raw.page.page);
    const appendRaw = await timeAppends(raw.page.page, RAW_ROWS + 1_000);
    if ((await appendedRows(raw.page.page)) !== rawPlotted + APPENDS) throw new Error('the raw page did not take every appended row');
    await raw.page.page.close();

    const down = await open(DOWNSAMPLED);
    if ((await appendedRows(down.page.page)) !== DOWNSAMPLED)
      throw new Error(`the downsampled page plots ${await appendedRows(down.page.page)} points, not ${DOWNSAMPLED}`);
    const append = await timeAppends(down.page.page, RAW_ROWS + 1_000);
    if ((await appendedRows(down.page.page)) !== DOWNSAMPLED + APPENDS)
      throw new Error('the downsampled page did not take every appended row');
    if (down.page.errors.length) throw new Error(`page errors: ${down.page.errors.join('; ')}`);
    await down.page.page.close();

    const result: DashboardRenderResult = {
      openRawMedianMs: raw.ms,
      openDownsampledMedianMs: down.ms,
      appendMedianMs: median(append),
      appendP95Ms: p95(append),
      appendRawMedianMs: median(appendRaw),
      appendRawP95Ms: p95(appendRaw),
      chartsDrawn: KEYS,
      rawPointsPlotted: rawPlotted,
    };
    const ok = (v: number, goal: number) => (v <= goal ? 'ok' : 'OVER GOAL');
    const fmt = (xs: number[]) => xs.map((v) => v.toFixed(0)).join(', ');
    print(
      `dashboard open, ${KEYS} keys x ${RAW_ROWS.toLocaleString('en')} points (raw): median ${result.openRawMedianMs.toFixed(0)} ms to painted frame with all ${KEYS} charts drawn, ${rawPlotted.toLocaleString('en')} points each after the page's thinning (goal <= ${OPEN_GOAL_MS} ms, ${ok(result.openRawMedianMs, OPEN_GOAL_MS)}); runs ${fmt(raw.all)} ms`,
    );
    print(
      `dashboard open, ${KEYS} keys x ${DOWNSAMPLED.toLocaleString('en')} points (downsampled by the host): median ${result.openDownsampledMedianMs.toFixed(0)} ms (goal <= ${OPEN_GOAL_MS} ms, ${ok(result.openDownsampledMedianMs, OPEN_GOAL_MS)}); runs ${fmt(down.all)} ms`,
    );
    print(
      `dashboard append, 1 row x ${KEYS} keys onto ${DOWNSAMPLED.toLocaleString('en')} points: post -> painted frame median ${result.appendMedianMs.toFixed(1)} ms, p95 ${result.appendP95Ms.toFixed(1)} ms (goal <= ${APPEND_GOAL_MS} ms, ${ok(result.appendP95Ms, APPEND_GOAL_MS)}); n=${APPENDS}`,
    );
    print(
      `dashboard append, 1 row x ${KEYS} keys onto ${RAW_ROWS.toLocaleString('en')} points: median ${result.appendRawMedianMs.toFixed(1)} ms, p95 ${result.appendRawP95Ms.toFixed(1)} ms (goal <= ${APPEND_GOAL_MS} ms, ${ok(result.appendRawP95Ms, APPEND_GOAL_MS)}); n=${APPENDS}`,
    );
    return result;
  } finally {
    await browser.close();
  }
}
