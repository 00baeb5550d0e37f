/**
 * Fine-tune overhead (src/finetune) on the in-process emulator: the same 30 steps of batch 8 run
 *  (a) bare: the training client alone, with datums built beforehand (create the LoRA run, then
 *      forward_backward + optim_step per step sent back to back, then the final save_state and
 *      save_weights_for_sampler, the calls fineTune makes), and
 *  (b) through fineTune: rendering 240 chat rows with Qwen3's template and tokenizer, the loss
 *      masks, batching, the run folder (config.json, metrics.jsonl per step, checkpoints.jsonl,
 *      run.json) and the metrics it computes.
 * Runs alternate in pairs, after a warm-up of each; the figure is the median of the pairs' ratios
 * (a pair shares the machine's load), goal <= 1.10x. The server does 5 ms of work per training op
 * (MinT's take seconds); the same with none at all is printed for reference.
 * The tokenizer is loaded once beforehand (the editor keeps it loaded).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/index';
import { ServiceClient } from '../src/mint/index';
import { loadTokenizer, type MintTokenizer } from '../src/mint/tokenizer';
import { BatchPlan, prepareExamples, seededRandom, toDatum } from '../src/finetune/data';
import { fineTune } from '../src/finetune/train';
import type { FineTuneConfig } from '../src/finetune/config';

const STEPS = 30;
const BATCH = 8;
const RUNS = 11;
const GOAL = 1.1;
const LATENCY_MS = 5;
const BASE_MODEL = 'Qwen/Qwen3-0.6B';

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const CITIES: Array<[string, string]> = [
  ['France', 'Paris'],
  ['Japan', 'Tokyo'],
  ['Italy', 'Rome'],
  ['Spain', 'Madrid'],
  ['Canada', 'Ottawa'],
  ['Kenya', 'Nairobi'],
  ['Peru', 'Lima'],
  ['Norway', 'Oslo'],
];

/** Chat rows like a small SFT file: a system message on some, two turns on some, reasoning on some. */
function rows(n: number): unknown[] {
  const r = seededRandom(11);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const [country, city] = CITIES[Math.floor(r() * CITIES.length)]!;
    const messages: Array<Record<string, string>> = [];
    if (i % 3 === 0) messages.push({ role: 'system', content: 'You are a concise geography tutor who answers in full sentences.' });
    messages.push({ role: 'user', content: `What is the capital of ${country}, and what is it known for?` });
    const a: Record<string, string> = {
      role: 'assistant',
      content: `The capital of ${country} is ${city}. It is known for its history, its food and its museums, and it is the country's largest centre of government.`,
    };
    if (i % 4 === 1) a.reasoning_content = `The user asks about ${country}; its capital is ${city}.`;
    messages.push(a);
    if (i % 5 === 2) {
      messages.push({ role: 'user', content: 'Thanks. Anything else worth seeing?' });
      messages.push({ role: 'assistant', content: `In ${city}, walk the old town and visit the national museum.` });
    }
    out.push({ messages });
  }
  return out;
}

export interface FineTuneBenchResult {
  bareMedianMs: number;
  fineTuneMedianMs: number;
  ratio: number;
}

export async function benchFineTune(root = process.cwd(), print: (line: string) => void = console.log): Promise<FineTuneBenchResult> {
  const tok = await loadTokenizer(BASE_MODEL, { bundledDir: join(root, 'dist/tokenizers'), hub: false });
  print(`-- emulator in this process, ${LATENCY_MS} ms of server work per training op (MinT's take seconds)`);
  const headline = await scenario(tok, LATENCY_MS, print);
  print('-- the same with no server work at all (everything on one thread: nothing to overlap; for reference)');
  await scenario(tok, 0, print, true);
  return headline;
}

async function scenario(
  tok: MintTokenizer,
  latencyMs: number,
  print: (line: string) => void,
  reference = false,
): Promise<FineTuneBenchResult> {
  const emu = await startEmulator({ host: '127.0.0.1', port: 0, faults: true, latencyMs, log: () => undefined });
  const reset = async () => {
    await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' }).then((r) => r.arrayBuffer());
    // reset clears the settings too: put the server latency back.
    await fetch(`${emu.url}/_emulator/config`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs }),
    }).then((r) => r.arrayBuffer());
  };
  const dirs = mkdtempSync(join(tmpdir(), 'mint-bench-finetune-'));
  try {
    const data = rows(STEPS * BATCH);
    const config: FineTuneConfig = {
      baseModel: BASE_MODEL,
      loraRank: 8,
      batchSize: BATCH,
      epochs: 1,
      learningRate: 1e-3,
      checkpointEvery: 0,
      seed: 1,
    };
    // The bare loop's datums: the very batches fineTune trains, built before the clock starts.
    const { examples } = await prepareExamples(
      tok,
      data,
      data.map((_, i) => i),
      { maxLength: 8192 },
    );
    const plan = new BatchPlan(examples.length, BATCH, 1, 1);
    if (plan.totalSteps !== STEPS) throw new Error(`expected ${STEPS} steps, the plan has ${plan.totalSteps}`);
    const batches = Array.from({ length: STEPS }, (_, i) => plan.batch(i + 1).map((k) => toDatum(examples[k]!)));
    const tokens = batches
      .flat()
      .reduce((a, d) => a + d.model_input.chunks.reduce((x, c) => x + (c.type === 'encoded_text' ? c.tokens.length : 0), 0), 0);
    print(`${STEPS} steps x batch ${BATCH} (${tokens.toLocaleString('en-US')} tokens), LoRA rank 8 on ${BASE_MODEL}`);

    const service = () => new ServiceClient({ baseUrl: emu.url, apiKey: 'sk-bench', env: {}, heartbeatIntervalMs: 0 });

    const bare = async (): Promise<number> => {
      await reset();
      const client = service();
      try {
        const t0 = performance.now();
        const tc = await client.createLoraTrainingClient({ base_model: BASE_MODEL, rank: 8, seed: 1 });
        for (let s = 0; s < STEPS; s++) {
          const [fb, opt] = await Promise.allSettled([
            tc.forwardBackward(batches[s]!, 'cross_entropy'),
            tc.optimStep({ learning_rate: 1e-3 }),
          ]);
          if (fb.status === 'rejected') throw fb.reason;
          if (opt.status === 'rejected') throw opt.reason;
        }
        await tc.saveState('final');
        await tc.saveWeightsForSampler('final');
        return performance.now() - t0;
      } finally {
        await client.close();
      }
    };

    let n = 0;
    const viaFineTune = async (): Promise<number> => {
      await reset();
      const client = service();
      try {
        const runDir = join(dirs, `run-${n++}`);
        const t0 = performance.now();
        const res = await fineTune({ service: client, tokenizer: tok, rows: data, config, runDir });
        const ms = performance.now() - t0;
        if (res.status !== 'completed' || res.steps !== STEPS)
          throw new Error(`fineTune ended ${res.status} at step ${res.steps}: ${res.error?.message}`);
        return ms;
      } finally {
        await client.close();
      }
    };

    // Warm-up (JIT, the template's parse, sockets), then alternate.
    await bare();
    await viaFineTune();
    const b: number[] = [];
    const f: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      b.push(await bare());
      f.push(await viaFineTune());
    }
    const t0 = performance.now();
    await prepareExamples(
      tok,
      data,
      data.map((_, i) => i),
      { maxLength: 8192 },
    );
    const renderMs = performance.now() - t0;
    const bm = median(b);
    const fm = median(f);
    // Each fineTune run follows its bare run at once, so a pair shares the machine's load: the
    // median of the pairs' ratios is the figure; the ratio of the medians is printed beside it.
    const ratio = median(f.map((x, i) => x / b[i]!));
    print(`bare training client: median ${bm.toFixed(0)} ms (${b.map((x) => x.toFixed(0)).join(', ')})`);
    print(`fineTune:             median ${fm.toFixed(0)} ms (${f.map((x) => x.toFixed(0)).join(', ')})`);
    print(`  rendering the ${data.length} rows alone (template, tokenizer, masks): ${renderMs.toFixed(0)} ms`);
    print(`  (fineTune renders batch by batch, the next one while the server works on the current one)`);
    print(
      `fine-tune overhead: ${ratio.toFixed(3)}x the bare client's calls (median of ${RUNS} paired runs; ratio of medians ${(fm / bm).toFixed(3)}x) ${
        reference ? '(reference, no goal)' : `goal <= ${GOAL.toFixed(2)}x ${ratio <= GOAL ? 'PASS' : 'MISS'}`
      }`,
    );
    return { bareMedianMs: bm, fineTuneMedianMs: fm, ratio };
  } finally {
    await emu.close();
    rmSync(dirs, { recursive: true, force: true });
  }
}
