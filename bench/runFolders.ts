/**
 * Run folder benchmarks (src/runs), in-process, on a generated tinker-cookbook-style run folder:
 *  (a) open a 100,000-row metrics.jsonl (~15 keys a row, an eval key every 50 rows): JsonlTail
 *      reads and parses it, MetricsSeries takes the rows, every key is downsampled to 2,000
 *      points (the data a chart draws; drawing itself is timed by the webview bench): goal
 *      <= 1 s, median of 5;
 *  (b) a live run: one row appended at a time, 200 times; each tail read + series append is
 *      timed (and, separately, re-downsampling the primary key as a chart refresh would):
 *      goal <= 100 ms per row, median and p95;
 *  (c) discovery of the folder with its status (reads the metrics file's last line only).
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverRuns } from '../src/runs/discover';
import { JsonlTail } from '../src/runs/jsonlTail';
import { MetricsSeries, downsample } from '../src/runs/metrics';

const ROWS = 100_000;
const APPENDS = 200;
const POINTS = 2000;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

/** mulberry32: a small seeded PRNG, so every run writes the same file. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One SFT metrics row as the cookbooks write it (mint-workflows §2.2/§2.3 keys). */
export function metricsRow(r: () => number, step: number, total: number): Record<string, unknown> {
  const progress = (step + 1) / total;
  const nll = 0.6 + 1.8 * Math.exp(-step / (total / 8)) + 0.08 * (r() - 0.5);
  const seqs = 32;
  const tokens = Math.floor(seqs * (700 + 300 * r()));
  const stepTime = 1.2 + 0.4 * r();
  const row: Record<string, unknown> = {
    step,
    epoch: Math.floor((step / total) * 3),
    train_mean_nll: +nll.toFixed(6),
    train_mean_bpb: +(nll / Math.LN2 / 3.9).toFixed(6),
    learning_rate: +(2e-4 * (1 - progress)).toExponential(6),
    num_sequences: seqs,
    num_tokens: tokens,
    num_loss_tokens: Math.floor(tokens * 0.4),
    step_time_seconds: +stepTime.toFixed(4),
    tokens_per_second: +(tokens / stepTime).toFixed(2),
    progress: +progress.toFixed(6),
    lora_rank: 32,
    'optim/grad_norm': +(0.5 + r() * 2).toFixed(5),
    'optim/lr': +(2e-4 * (1 - progress)).toExponential(6),
    'time/step': +stepTime.toFixed(4),
  };
  if (step % 50 === 0) {
    row['test/nll'] = +(nll + 0.05).toFixed(6);
    row['test/eval_accuracy'] = +Math.min(1, 0.2 + progress * 0.5 + 0.05 * r()).toFixed(4);
  }
  return row;
}

interface Opened {
  tail: JsonlTail;
  series: MetricsSeries;
  readMs: number;
  fillMs: number;
  drawPrepMs: number;
  totalMs: number;
  points: number;
}

async function open(file: string): Promise<Opened> {
  const t0 = performance.now();
  const tail = new JsonlTail(file);
  const r = await tail.read();
  const t1 = performance.now();
  const series = new MetricsSeries();
  series.append(r.rows);
  const t2 = performance.now();
  let points = 0;
  for (const k of series.keys()) {
    const s = series.series(k)!;
    points += downsample(s.x, s.y, POINTS).x.length;
  }
  const t3 = performance.now();
  if (r.bad.length) throw new Error(`${r.bad.length} bad lines in the generated file`);
  return { tail, series, readMs: t1 - t0, fillMs: t2 - t1, drawPrepMs: t3 - t2, totalMs: t3 - t0, points };
}

export interface RunFoldersBenchResult {
  openMedianMs: number;
  appendMedianMs: number;
  appendP95Ms: number;
}

export async function benchRunFolders(_root = process.cwd(), print: (line: string) => void = console.log): Promise<RunFoldersBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mint-bench-runs-'));
  try {
    const run = join(dir, 'logs', 'sft-qwen3-8b-lr2e-4');
    const file = join(run, 'metrics.jsonl');
    const r = rng(1);
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i++) lines.push(JSON.stringify(metricsRow(r, i, ROWS + APPENDS)));
    const text = lines.join('\n') + '\n';
    mkdirSync(run, { recursive: true });
    writeFileSync(file, text);
    writeFileSync(join(run, 'config.json'), JSON.stringify({ model_name: 'Qwen/Qwen3-8B', learning_rate: 2e-4, lora_rank: 32 }));
    print(
      `file: ${ROWS.toLocaleString('en-US')} rows, ${(text.length / 1e6).toFixed(1)} MB, ${Object.keys(metricsRow(rng(2), 1, 10)).length} keys a row (+2 eval keys every 50th)`,
    );

    // (a) Open: read + parse, fill the series, downsample every key.
    const runs: Opened[] = [];
    for (let i = 0; i < 5; i++) runs.push(await open(file));
    const byTotal = [...runs].sort((a, b) => a.totalMs - b.totalMs);
    const med = byTotal[2]!;
    const openMs = median(runs.map((o) => o.totalMs));
    print(
      `(a) open 100k rows -> series -> ${med.series.keys().length} keys downsampled to <= ${POINTS} points: median ${openMs.toFixed(0)} ms of 5 ` +
        `(min ${byTotal[0]!.totalMs.toFixed(0)}, max ${byTotal[4]!.totalMs.toFixed(0)})  goal <= 1000 ms  ${verdict(openMs <= 1000)}`,
    );
    print(
      `    median run: read+parse ${med.readMs.toFixed(0)} ms, series ${med.fillMs.toFixed(0)} ms, downsample ${med.drawPrepMs.toFixed(0)} ms; ${med.points.toLocaleString('en-US')} points to draw`,
    );

    // (b) Live: append one row at a time.
    const { tail, series } = runs[runs.length - 1]!;
    const primary = series.primaryKey()!;
    const perRow: number[] = [];
    const withRedraw: number[] = [];
    const r2 = rng(3);
    for (let i = 0; i < APPENDS; i++) {
      appendFileSync(file, JSON.stringify(metricsRow(r2, ROWS + i, ROWS + APPENDS)) + '\n');
      const t0 = performance.now();
      const got = await tail.read();
      series.append(got.rows);
      const t1 = performance.now();
      const s = series.series(primary)!;
      downsample(s.x, s.y, POINTS);
      const t2 = performance.now();
      if (got.rows.length !== 1) throw new Error(`expected 1 new row, got ${got.rows.length}`);
      perRow.push(t1 - t0);
      withRedraw.push(t2 - t0);
    }
    if (series.length !== ROWS + APPENDS) throw new Error(`series has ${series.length} rows`);
    const appendMs = median(perRow);
    const appendP95 = pct(perRow, 0.95);
    print(
      `(b) one appended row -> tail read -> series: median ${appendMs.toFixed(3)} ms, p95 ${appendP95.toFixed(3)} ms, max ${Math.max(...perRow).toFixed(3)} ms of ${APPENDS}  goal <= 100 ms  ${verdict(appendP95 <= 100)}`,
    );
    print(
      `    with the primary key (${primary}) downsampled again from ${series.length.toLocaleString('en-US')} rows: median ${median(withRedraw).toFixed(2)} ms, p95 ${pct(withRedraw, 0.95).toFixed(2)} ms`,
    );

    // (c) Discovery with status.
    const d: number[] = [];
    let found = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const list = await discoverRuns([dir]);
      d.push(performance.now() - t0);
      found = list.length;
    }
    print(`(c) discover + status of the folder: median ${median(d).toFixed(1)} ms (${found} run)`);
    return { openMedianMs: openMs, appendMedianMs: appendMs, appendP95Ms: appendP95 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
