/**
 * Dataset linter benchmarks (src/datasets), in-process, on generated chat rows:
 *  (a) a full lint of 100,000 realistic rows (mixed lengths, ~2 % faulty) with the default length
 *      estimate: goal <= 2 s, median of runs;
 *  (b) re-lint after a one-line edit (typing inside a row, adding and removing a row), findings
 *      listed afresh each time: goal <= 50 ms, median of many;
 *  (c) one 5 MB row: bounded time;
 *  (d) the real tokenizer (bundled Qwen3 + its chat template, as the playground uses): rows per
 *      second, the projected time for the whole file, and the longest event-loop stall while
 *      measuring in chunks.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetLinter } from '../src/datasets/index';
import { measureWithTemplate } from '../src/datasets/templateLength';
import { clearTokenizerCache, loadTokenizer } from '../src/mint/tokenizer';

const ROWS = 100_000;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function verdict(ok: boolean): string {
  return ok ? 'PASS' : 'MISS';
}

/** mulberry32: a small seeded PRNG, so every run lints the same file. */
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

const WORDS = (
  'the model training data loss token step rate batch answer question because value function return ' +
  'write explain compute first second result example please could would should python code list number ' +
  'prove theorem integer prime sum product matrix vector gradient learning optimizer sample prompt reply'
).split(' ');
const CJK = '数据训练模型问题答案学习梯度优化样本'.split('');

function sentence(r: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(r() < 0.03 ? CJK[Math.floor(r() * CJK.length)]! : WORDS[Math.floor(r() * WORDS.length)]!);
  return out.join(' ') + '.';
}

function text(r: () => number): string {
  // Log-normal-ish lengths: most replies a few hundred characters, a tail of long ones.
  const words = Math.max(3, Math.floor(Math.exp(3.5 + 1.1 * (r() + r() + r() - 1.5) * 1.4)));
  return sentence(r, words);
}

/** One realistic SFT chat row; about 2 % carry a fault the linter reports. */
export function chatRow(r: () => number, i: number): string {
  const messages: Array<Record<string, unknown>> = [];
  if (r() < 0.3) messages.push({ role: 'system', content: 'You are a helpful assistant.' });
  const turns = r() < 0.8 ? 1 : 2 + Math.floor(r() * 3);
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: text(r) });
    const a: Record<string, unknown> = { role: 'assistant', content: text(r) };
    if (r() < 0.1) a.reasoning_content = text(r);
    messages.push(a);
  }
  const fault = r();
  let id = `row-${i}`;
  if (fault < 0.004) messages[messages.length - 1]!.content = `${text(r)}</think>${text(r)}`;
  else if (fault < 0.008) messages[0]!.role = 'human';
  else if (fault < 0.012) id = `row-${Math.max(0, i - 7)}`;
  else if (fault < 0.016) messages.pop();
  const row = JSON.stringify({ id, messages });
  if (fault > 0.996) return row.slice(0, row.length - 2); // truncated: a JSON error
  return row;
}

export function chatFile(rows: number, seed = 1): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(chatRow(r, i));
  return lines.join('\n') + '\n';
}

export interface DatasetLintBenchResult {
  fullLintMedianMs: number;
  editMedianMs: number;
  insertDeleteMedianMs: number;
  hugeRowMs: number;
  tokenizerRowsPerSecond?: number;
}

export async function benchDatasetLint(root = process.cwd(), print: (line: string) => void = console.log): Promise<DatasetLintBenchResult> {
  const doc = chatFile(ROWS);
  print(`file: ${ROWS.toLocaleString('en-US')} chat rows, ${(doc.length / 1e6).toFixed(1)} M characters`);

  // (a) Full lint, findings and summary included.
  const full: number[] = [];
  let linter = new DatasetLinter({ contextLength: 4096 });
  for (let run = 0; run < 5; run++) {
    linter = new DatasetLinter({ contextLength: 4096 });
    const t0 = performance.now();
    linter.setText(doc);
    linter.findings();
    linter.summary();
    full.push(performance.now() - t0);
  }
  const s = linter.summary();
  const fullMs = median(full);
  print(
    `(a) full lint: median ${fullMs.toFixed(0)} ms of 5 (min ${Math.min(...full).toFixed(0)}, max ${Math.max(...full).toFixed(0)})  goal <= 2000 ms  ${verdict(fullMs <= 2000)}`,
  );
  print(
    `    ${s.format.label}; ${s.counts.error} errors, ${s.counts.warning} warnings; est. tokens median ${s.lengths?.median}, p95 ${s.lengths?.p95}, max ${s.lengths?.max}`,
  );

  // (b) One-line edits: type a character inside a row's content, then list all findings again.
  const r = rng(7);
  const edits: number[] = [];
  for (let k = 0; k < 300; k++) {
    const line = Math.floor(r() * ROWS);
    const t = linter.lineText(line)!;
    const at = Math.max(1, t.indexOf('"content":"') + 12);
    const t0 = performance.now();
    linter.update([{ range: { start: { line, character: at }, end: { line, character: at } }, text: 'x' }]);
    edits.push(performance.now() - t0);
  }
  const editMs = median(edits);
  print(
    `(b) one-character edit + all findings: median ${editMs.toFixed(2)} ms of ${edits.length} (p95 ${[...edits].sort((a, b) => a - b)[Math.floor(edits.length * 0.95)]!.toFixed(2)})  goal <= 50 ms  ${verdict(editMs <= 50)}`,
  );
  const ins: number[] = [];
  for (let k = 0; k < 100; k++) {
    const line = Math.floor(r() * ROWS);
    const row = linter.lineText(line)!;
    let t0 = performance.now();
    linter.update([{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: row + '\n' }]);
    ins.push(performance.now() - t0);
    t0 = performance.now();
    linter.update([{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, text: '' }]);
    ins.push(performance.now() - t0);
  }
  const insMs = median(ins);
  print(`    duplicate a row / delete it again: median ${insMs.toFixed(2)} ms of ${ins.length}  goal <= 50 ms  ${verdict(insMs <= 50)}`);

  // (c) One 5 MB row.
  const big = JSON.stringify({
    messages: [
      { role: 'user', content: 'Summarise this.' },
      { role: 'assistant', content: 'lorem ipsum '.repeat(5_000_000 / 12) + '</think>' },
    ],
  });
  const hugeRuns: number[] = [];
  let hugeFindings = 0;
  for (let run = 0; run < 3; run++) {
    const l = new DatasetLinter({ contextLength: 32_768 });
    const t0 = performance.now();
    l.setText(big);
    hugeFindings = l.findings().length;
    hugeRuns.push(performance.now() - t0);
  }
  const hugeMs = median(hugeRuns);
  print(
    `(c) one ${(big.length / 1e6).toFixed(1)} M-character row: ${hugeMs.toFixed(0)} ms (${hugeFindings} findings)  goal: bounded (< 500 ms)  ${verdict(hugeMs < 500)}`,
  );

  // (d) The real tokenizer and chat template.
  const result: DatasetLintBenchResult = { fullLintMedianMs: fullMs, editMedianMs: editMs, insertDeleteMedianMs: insMs, hugeRowMs: hugeMs };
  const bundledDir = join(root, 'dist/tokenizers');
  if (!existsSync(join(bundledDir, 'Qwen3/tokenizer.json'))) {
    print('(d) real tokenizer: skipped (dist/tokenizers/Qwen3 missing: run "npm run build")');
    return result;
  }
  clearTokenizerCache();
  const tok = await loadTokenizer('Qwen/Qwen3-8B', { bundledDir, hub: false });
  const sampleRows = 2_000;
  const sampleDoc = chatFile(sampleRows, 3);
  const measured = new DatasetLinter({
    measure: measureWithTemplate(tok),
    measureLabel: 'Qwen3 tokenizer and chat template',
    contextLength: 4096,
  });
  measured.setText(sampleDoc);
  let stall = 0;
  let last = performance.now();
  const t0 = performance.now();
  await measured.measureAll({
    budgetMs: 10,
    yieldFn: () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          const now = performance.now();
          stall = Math.max(stall, now - last);
          last = now;
          resolve();
        }),
      ),
  });
  const ms = performance.now() - t0;
  const perSecond = (sampleRows / ms) * 1000;
  result.tokenizerRowsPerSecond = perSecond;
  const ms2 = measured.summary();
  print(
    `(d) Qwen3 tokenizer + chat template: ${sampleRows.toLocaleString('en-US')} rows in ${ms.toFixed(0)} ms = ${perSecond.toFixed(0)} rows/s; ` +
      `the 100,000-row file would take ~${(ROWS / perSecond).toFixed(0)} s in the background (10 ms slices: longest stall ${stall.toFixed(1)} ms)`,
  );
  const est = new DatasetLinter({ contextLength: 4096 });
  est.setText(sampleDoc);
  const es = est.summary();
  print(
    `    tokens median ${ms2.lengths?.median}, p95 ${ms2.lengths?.p95}, max ${ms2.lengths?.max} (estimate: median ${es.lengths?.median}, p95 ${es.lengths?.p95}, max ${es.lengths?.max})`,
  );
  return result;
}
