/**
 * Prompt-file batches (issue 11): 10,000 rows through the batch runner at concurrency 64 against
 * the emulator (a child process) with 50 ms server latency, each finished row appended to a real
 * results file, vs the ideal wall time (rows / concurrency x latency); then the same with 10 % of
 * submissions failing (429, 500, a dropped connection, a failed future), where no row may be
 * lost: every row ends with a result or a recorded error, each exactly once in the results file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePromptFile, type PromptRow } from '../src/batch/promptFile';
import { ResultsFile, type ResultRecord } from '../src/batch/results';
import { runBatch } from '../src/batch/runner';
import { ModelInput, ServiceClient, type SamplingClient } from '../src/mint/index';
import { DEFAULT_PARAMS } from '../src/shared/playground';
import { API_KEY, BASE_MODEL, control, startChildEmulator } from './client';

const ROWS = 10_000;
const CONC = 64;
const LATENCY = 50;

function sampleRow(sampler: SamplingClient) {
  return async (row: PromptRow, signal: AbortSignal): Promise<ResultRecord> => {
    const base = { row: row.key, label: row.label, line: row.line, target: { base_model: BASE_MODEL }, params: DEFAULT_PARAMS, at: '' };
    const t0 = performance.now();
    try {
      const res = await sampler.sample(
        { prompt: ModelInput.fromInts([1, 2, 3 + (row.line % 50)]), sampling_params: { max_tokens: 4 }, num_samples: 1 },
        { signal },
      );
      return {
        ...base,
        status: 'ok',
        tokens: res.sequences[0]!.tokens.length,
        request_id: res.request_id,
        latency_ms: performance.now() - t0,
      };
    } catch (e) {
      if (signal.aborted) throw e;
      const err = e as Error & { request_id?: string };
      return {
        ...base,
        status: 'error',
        error: { class: err.name, message: err.message, ...(err.request_id ? { request_id: err.request_id } : {}) },
      };
    }
  };
}

async function run(sampler: SamplingClient, rows: PromptRow[], dir: string, name: string) {
  const results = await ResultsFile.open(join(dir, `${name}.results.jsonl`));
  const t0 = performance.now();
  const summary = await runBatch({
    rows,
    concurrency: CONC,
    signal: new AbortController().signal,
    sampleRow: sampleRow(sampler),
    onRecord: (r) => void results.append(r),
  });
  await results.compact(rows.map((r) => r.key));
  const wall = performance.now() - t0;
  const reopened = await ResultsFile.open(join(dir, `${name}.results.jsonl`));
  const recorded = new Set(reopened.all().map((r) => r.row));
  return { summary, wall, recorded: recorded.size, lines: reopened.all().length };
}

export async function benchBatch(root: string, print: (l: string) => void): Promise<void> {
  const { url, child } = await startChildEmulator(root);
  const dir = mkdtempSync(join(tmpdir(), 'mint-bench-batch-'));
  const client = new ServiceClient({ baseUrl: url, apiKey: API_KEY, env: {}, heartbeatIntervalMs: 0, maxRetries: 2 });
  try {
    const rows = parsePromptFile(
      Array.from({ length: ROWS }, (_, i) => JSON.stringify({ id: `row-${i}`, prompt: `p${i}` })).join('\n'),
    ).rows;
    await control(url, 'POST', 'config', { latencyMs: LATENCY, longPollMs: 20_000 });
    const sampler = await client.createSamplingClient({ base_model: BASE_MODEL });
    await run(sampler, rows.slice(0, 640), dir, 'warmup');
    const ideal = (ROWS / CONC) * LATENCY;
    const clean = await run(sampler, rows, dir, 'clean');
    const ratio = clean.wall / ideal;
    const ok = clean.summary.ok === ROWS && clean.recorded === ROWS && clean.lines === ROWS;
    print(
      `${ROWS} rows, concurrency ${CONC}, server latency ${LATENCY} ms, each row appended to the results file: wall ${clean.wall.toFixed(0)} ms ` +
        `vs ideal ${ideal.toFixed(0)} ms -> ${ratio.toFixed(3)}x   goal <= 1.15x   ${ratio <= 1.15 && ok ? 'PASS' : 'MISS'}  (all ${ROWS} done: ${ok ? 'yes' : 'NO'})`,
    );

    // 10 % of submissions fail, four ways: rule i hits the (10 i + 5)-th submission (a rule still
    // skipping lets requests through to later rules, so its skip counts all but the i earlier hits).
    const kinds = [
      { status: 429, body: { detail: 'Too many concurrent requests' }, headers: { 'Retry-After': '0' } },
      { status: 500, body: { detail: 'An unexpected error occurred. Log ID: bench' } },
      { drop: 'before-headers' },
      { futureError: { error: 'sampler crashed', category: 'server' } },
    ];
    for (let i = 0; i < ROWS / 10; i++) {
      await control(url, 'POST', 'faults', {
        route: '/api/v1/asample',
        method: 'POST',
        times: 1,
        skip: 9 * i + 5,
        ...kinds[i % kinds.length],
      });
    }
    const faulty = await run(sampler, rows, dir, 'faults');
    const lost = ROWS - faulty.recorded;
    print(
      `    with 10 % of submissions failing (429, 500, dropped connection, failed future): ${faulty.summary.ok} done, ${faulty.summary.failed} recorded errors, ` +
        `${lost} lost, ${faulty.lines} lines for ${ROWS} rows; wall ${faulty.wall.toFixed(0)} ms   goal: 0 lost, one line per row   ${lost === 0 && faulty.lines === ROWS ? 'PASS' : 'MISS'}`,
    );
  } finally {
    await client.close();
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
