/**
 * Playground render benchmark: the real webview bundle in headless Chromium, fed by a stand-in
 * acquireVsCodeApi, timed on (1) a run of 4 samples x 1,000 tokens with logprobs and (2) a history
 * of 10,000 runs (first paint and scroll frames). Goal from the issue: (1) <= 100 ms.
 * Needs a built dist/webview/playground.js; fixed iteration counts, so it ends by itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostToWebview, Run } from '../src/shared/playground';

export interface WebviewRenderResult {
  renderMedianMs: number;
  renderToFrameMedianMs: number;
  historyFirstRenderMs: number;
  historyScrollMedianMs: number;
  domNodesWith10kHistory: number;
}

const GOAL_MS = 100;
const ITERATIONS = 15;
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Deterministic pseudo-random data, so runs are comparable. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function syntheticRun(id: string, samples = 4, tokens = 1000): Run {
  const r = rng(42);
  const words = [' the', ' model', ' token', ' of', ',', '.', '\n', ' 学习', ' 🙂', ' probability', ' a', ' and', ' </think>', ' is'];
  const mk = () => {
    const ids: number[] = [];
    const pieces: string[] = [];
    const logprobs: number[] = [];
    for (let i = 0; i < tokens; i++) {
      const w = Math.floor(r() * words.length);
      ids.push(1000 + w * 37 + i);
      pieces.push(words[w]!);
      logprobs.push(-Math.pow(r(), 2) * 9);
    }
    return { text: pieces.join(''), stop_reason: 'length', tokens: { ids, pieces, logprobs } };
  };
  return {
    id,
    time: new Date(0).toISOString(),
    prompt: { mode: 'raw', text: 'Benchmark prompt' },
    params: { max_tokens: tokens, num_samples: samples, prompt_logprobs: false, topk_prompt_logprobs: 0 },
    outcomes: [
      {
        target: { base_model: 'Qwen/Qwen3-0.6B' },
        status: 'done',
        via: 'native',
        request_id: 'sample_bench',
        latency_ms: 1234,
        samples: Array.from({ length: samples }, mk),
      },
    ],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// A dark-theme subset of the variables VS Code injects, so colours and layout are realistic.
const THEME = `:root{--vscode-foreground:#ccc;--vscode-font-family:sans-serif;--vscode-font-size:13px;--vscode-editor-font-family:monospace;--vscode-editor-font-size:13px;--vscode-editor-background:#1e1e1e;--vscode-panel-border:#444;--vscode-charts-green:#89d185;--vscode-charts-yellow:#cca700;--vscode-charts-orange:#d18616;--vscode-charts-red:#f14c4c;--vscode-descriptionForeground:#999;--vscode-editorWhitespace-foreground:#555}`;

export async function benchWebviewRender(root = process.cwd(), print: (line: string) => void = console.log): Promise<WebviewRenderResult> {
  const bundle = join(root, 'dist/webview/playground.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "node scripts/build.mjs --only webview" first.`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS, headless: true, timeout: 30_000 });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Nothing may load from the network: the page is built from strings.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(
      `<!doctype html><html><head><style>${THEME}\n${readFileSync(join(root, 'media/playground.css'), 'utf8')}</style></head><body><div id="app"></div></body></html>`,
    );
    // esbuild's keepNames wraps functions in __name(); callbacks serialised into the page need it too.
    await page.evaluate('window.__name = (f) => f');
    // The stand-in for VS Code's webview API: it records what the page posts to the host.
    await page.evaluate(() => {
      const w = window as unknown as { __posted: unknown[]; acquireVsCodeApi: () => { postMessage(m: unknown): void } };
      w.__posted = [];
      w.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => void w.__posted.push(m) });
    });
    await page.addScriptTag({ content: readFileSync(bundle, 'utf8') });
    await page
      .waitForFunction(
        () => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'),
        undefined,
        { timeout: 10_000 },
      )
      .catch((e: Error) => {
        throw new Error(`the playground never posted "ready" (${e.message})${errors.length ? `; page errors: ${errors.join('; ')}` : ''}`);
      });
    const state: HostToWebview = {
      type: 'state',
      models: [{ model_name: 'Qwen/Qwen3-0.6B', max_context_length: 32768 }],
      checkpoints: [],
      runs: [],
      history: [],
    };
    await page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), state);

    const sync: number[] = [];
    const frame: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const msg: HostToWebview = { type: 'run', run: syntheticRun(`bench${i}`) };
      const t = await page.evaluate(async (m) => {
        const t0 = performance.now();
        window.dispatchEvent(new MessageEvent('message', { data: m }));
        document.body.getBoundingClientRect(); // force style + layout inside the timed span
        const t1 = performance.now();
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return {
          sync: t1 - t0,
          frame: performance.now() - t0,
          spans: document.querySelectorAll(`[data-run="${m.run.id}"] .tokens .tk`).length,
        };
      }, msg);
      if (t.spans !== 4000) throw new Error(`expected 4000 token spans, the page rendered ${t.spans}`);
      sync.push(t.sync);
      frame.push(t.frame);
    }

    const summaries = Array.from({ length: 10_000 }, (_, i) => ({
      id: `h${i}`,
      time: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      title: `Prompt number ${i} about something`,
      models: ['Qwen/Qwen3-0.6B'],
      status: 'done' as const,
    }));
    const hist = await page.evaluate(async (items) => {
      const t0 = performance.now();
      window.dispatchEvent(new MessageEvent('message', { data: { type: 'history', history: items } }));
      document.body.getBoundingClientRect();
      const first = performance.now() - t0;
      const vp = document.querySelector<HTMLElement>('.history-viewport')!;
      const scrolls: number[] = [];
      for (let k = 1; k <= 20; k++) {
        const s0 = performance.now();
        vp.scrollTop = (k * 4999) % (items.length * 46);
        vp.dispatchEvent(new Event('scroll'));
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        document.body.getBoundingClientRect();
        scrolls.push(performance.now() - s0);
      }
      return { first, scrolls, rows: document.querySelectorAll('.history-row').length, nodes: document.getElementsByTagName('*').length };
    }, summaries);
    if (hist.rows === 0 || hist.rows > 100) throw new Error(`history virtualisation broken: ${hist.rows} rows in the DOM`);
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);

    const result: WebviewRenderResult = {
      renderMedianMs: median(sync),
      renderToFrameMedianMs: median(frame),
      historyFirstRenderMs: hist.first,
      historyScrollMedianMs: median(hist.scrolls),
      domNodesWith10kHistory: hist.nodes,
    };
    // The goal is judged on "message in -> frame painted", which is what a person waits for; the
    // script+layout part alone is printed too, as it is the part this code controls most.
    const ok = result.renderToFrameMedianMs <= GOAL_MS ? 'ok' : 'OVER GOAL';
    print(
      `webview render, 4 samples x 1,000 tokens with logprobs: median ${result.renderToFrameMedianMs.toFixed(1)} ms to painted frame (goal <= ${GOAL_MS} ms, ${ok}); script+layout ${result.renderMedianMs.toFixed(1)} ms; n=${ITERATIONS}`,
    );
    print(
      `webview history, 10,000 entries: first render ${result.historyFirstRenderMs.toFixed(1)} ms, scroll frame median ${result.historyScrollMedianMs.toFixed(1)} ms, ${hist.rows} rows in the DOM (${result.domNodesWith10kHistory} elements on the page)`,
    );
    return result;
  } finally {
    await browser.close();
  }
}
