/**
 * Playground render benchmark: the real webview bundle in headless Chromium, fed by a stand-in
 * acquireVsCodeApi, timed on (1) a run of 4 samples x 1,000 tokens with logprobs, (2) a history
 * of 10,000 runs (first paint and scroll frames), and the instrument (issue 13): (3) a fan-out of
 * 4 targets x 64 samples x 256 tokens with its outcome distribution, (4) 4 x 8,000-token outputs,
 * (5) a branch tree of 1,000 nodes. Goals: (1) <= 100 ms, (3) and (4) <= 150 ms, (5) <= 50 ms,
 * message in to painted frame. Needs a built dist/webview/playground.js; fixed iteration counts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostToWebview, Run } from '../src/shared/playground';
import { CHROMIUM_ARGS, chromiumPath } from '../scripts/chromium.mjs';

export interface WebviewRenderResult {
  renderMedianMs: number;
  renderToFrameMedianMs: number;
  historyFirstRenderMs: number;
  historyScrollMedianMs: number;
  domNodesWith10kHistory: number;
  fanOutToFrameMedianMs: number;
  longToFrameMedianMs: number;
  branchTreeToFrameMedianMs: number;
}

const GOAL_MS = 100;
const ITERATIONS = 15;

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

/** A fan-out: `targets` columns of `samples` answers, `tokens` tokens each, answers drawn from a few so groups repeat. */
export function fanOutRun(id: string, targets = 4, samples = 64, tokens = 256): Run {
  const r = rng(7);
  const answers = [' 42', ' 41', ' 40', ' forty-two', ' 7'];
  const mk = (t: number) => {
    const ids: number[] = [];
    const pieces: string[] = [];
    const logprobs: number[] = [];
    for (let i = 0; i < tokens - 1; i++) {
      ids.push(1000 + i);
      pieces.push(i % 9 === 0 ? ' so' : ' x');
      logprobs.push(-Math.pow(r(), 2) * 6);
    }
    const answer = answers[Math.min(answers.length - 1, Math.floor(Math.pow(r(), 1 + t) * answers.length))]!;
    ids.push(50);
    pieces.push(answer);
    logprobs.push(-r());
    return { text: `<think>${pieces.slice(0, -1).join('')}</think>${answer}`, stop_reason: 'stop', tokens: { ids, pieces, logprobs } };
  };
  const target = (t: number) => (t === 0 ? { base_model: 'Qwen/Qwen3-0.6B' } : { model_path: `mint://run${t}/sampler_weights/ckpt-${t}` });
  return {
    id,
    time: new Date(0).toISOString(),
    prompt: { mode: 'raw', text: 'What is six times seven?' },
    params: { max_tokens: tokens, num_samples: samples, prompt_logprobs: false, topk_prompt_logprobs: 0 },
    outcomes: Array.from({ length: targets }, (_, t) => ({
      target: target(t),
      status: 'done' as const,
      via: 'native' as const,
      request_id: `sample_fan${t}`,
      latency_ms: 900,
      samples: Array.from({ length: samples }, () => mk(t)),
    })),
  };
}

/** One sample with a tree of `nodes` branches: each branches from the sample or from an earlier branch. */
export function branchTreeRun(id: string, nodes = 1000, tokens = 24): Run {
  const r = rng(9);
  const base = syntheticRun(id, 1, tokens);
  const tv = base.outcomes[0]!.samples![0]!.tokens!;
  const branches = Array.from({ length: nodes }, (_, i) => {
    const at = Math.floor(r() * (tokens - 2));
    const parent = i > 0 && r() < 0.7 ? `b${Math.floor(r() * i)}` : undefined;
    return {
      id: `b${i}`,
      from: 0,
      ...(parent ? { parent } : {}),
      at,
      token: [7, ' alt'] as [number, string],
      forced: 1,
      status: 'done' as const,
      sample: { text: tv.pieces.join(''), stop_reason: 'length', tokens: tv },
    };
  });
  base.outcomes[0]!.branches = branches;
  return base;
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
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true, timeout: 30_000 });
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

    // The instrument: each case is a `run` message, timed from dispatch to the next painted frame.
    const toFrame = async (make: (i: number) => Run, check: string, expect: (n: number) => boolean, n = 9) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const msg: HostToWebview = { type: 'run', run: make(i) };
        const t = await page.evaluate(
          async ({ m, sel }) => {
            const t0 = performance.now();
            window.dispatchEvent(new MessageEvent('message', { data: m }));
            document.body.getBoundingClientRect();
            await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
            return { frame: performance.now() - t0, found: document.querySelectorAll(`[data-run="${m.run.id}"] ${sel}`).length };
          },
          { m: msg, sel: check },
        );
        if (!expect(t.found)) throw new Error(`${check}: the page rendered ${t.found}`);
        out.push(t.frame);
      }
      return median(out);
    };
    const fanOut = await toFrame(
      (i) => fanOutRun(`fan${i}`),
      '.distribution .bar-line[data-key], .card.compact',
      (n) => n >= 4 * 64 + 4,
    );
    const long = await toFrame(
      (i) => syntheticRun(`long${i}`, 4, 8000),
      '.tokens .tk',
      (n) => n >= 4 * 2000,
    );
    // The long outputs' remaining slices must not land inside the next case's frames.
    await page.waitForFunction(() => !document.querySelector('[data-rendering]'), undefined, { timeout: 30_000 });
    const tree = await toFrame(
      (i) => branchTreeRun(`tree${i}`),
      '.branches[data-branches="1000"] .btree [data-branch]',
      (n) => n > 0 && n < 100,
    );
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);

    const result: WebviewRenderResult = {
      renderMedianMs: median(sync),
      renderToFrameMedianMs: median(frame),
      historyFirstRenderMs: hist.first,
      historyScrollMedianMs: median(hist.scrolls),
      domNodesWith10kHistory: hist.nodes,
      fanOutToFrameMedianMs: fanOut,
      longToFrameMedianMs: long,
      branchTreeToFrameMedianMs: tree,
    };
    const verdict = (ms: number, goal: number) => `goal <= ${goal} ms, ${ms <= goal ? 'ok' : 'OVER GOAL'}`;
    // The goal is judged on "message in -> frame painted", which is what a person waits for; the
    // script+layout part alone is printed too, as it is the part this code controls most.
    const ok = result.renderToFrameMedianMs <= GOAL_MS ? 'ok' : 'OVER GOAL';
    print(
      `webview render, 4 samples x 1,000 tokens with logprobs: median ${result.renderToFrameMedianMs.toFixed(1)} ms to painted frame (goal <= ${GOAL_MS} ms, ${ok}); script+layout ${result.renderMedianMs.toFixed(1)} ms; n=${ITERATIONS}`,
    );
    print(
      `webview history, 10,000 entries: first render ${result.historyFirstRenderMs.toFixed(1)} ms, scroll frame median ${result.historyScrollMedianMs.toFixed(1)} ms, ${hist.rows} rows in the DOM (${result.domNodesWith10kHistory} elements on the page)`,
    );
    print(
      `webview fan-out, 4 targets x 64 samples x 256 tokens with the outcome distribution: median ${fanOut.toFixed(1)} ms to painted frame (${verdict(fanOut, 150)})`,
    );
    print(
      `webview long outputs, 4 x 8,000 tokens: median ${long.toFixed(1)} ms to the first painted frame (${verdict(long, 150)}; the rest follows in slices)`,
    );
    print(`webview branch tree, 1,000 nodes: median ${tree.toFixed(1)} ms to painted frame (${verdict(tree, 50)})`);
    return result;
  } finally {
    await browser.close();
  }
}
