// The batch core without VS Code: prompt rows and their problems at exact positions, the results
// file (appends, a torn last line after a crash, compaction through a rename), and the runner
// (concurrency bound, partial failure, cancel) driving the real client against a real emulator.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, appendFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePromptFile, resultsPathFor, isResultsFile } from '../../../src/batch/promptFile';
import { ResultsFile, type ResultRecord } from '../../../src/batch/results';
import { runBatch } from '../../../src/batch/runner';
import { DEFAULT_PARAMS } from '../../../src/shared/playground';
import { ModelInput, type SamplingClient } from '../../../src/mint/index';
import { BASE_MODEL, useTestServer, type TestServer } from '../client/support';
import type { ServiceClient } from '../../../src/mint/index';

describe('batch: prompt files', () => {
  it('reads prompt and messages rows with ids, models and params; a trailing assistant turn is the reference', () => {
    const text = [
      '{"id": "a", "prompt": "Once upon a time"}',
      '',
      '{"messages": [{"role": "user", "content": "2+2?"}], "model": "mint://run-1/sampler_weights/s1", "params": {"max_tokens": 5}}',
      '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}], "model": "Qwen/Qwen3-8B"}',
    ].join('\r\n');
    const f = parsePromptFile(text);
    assert.equal(f.isPromptFile, true);
    assert.deepEqual(f.problems, []);
    assert.deepEqual(
      f.rows.map((r) => [r.line, r.label, r.key.slice(0, 2)]),
      [
        [0, 'a', 'id'],
        [2, 'line 3', 'h:'],
        [3, 'line 4', 'h:'],
      ],
    );
    assert.deepEqual(f.rows[1]!.target, { model_path: 'mint://run-1/sampler_weights/s1' });
    assert.deepEqual(f.rows[1]!.params, { max_tokens: 5 });
    assert.deepEqual(f.rows[2]!.target, { base_model: 'Qwen/Qwen3-8B' });
    assert.equal(f.rows[2]!.reference, 'Hello!');
    assert.deepEqual(f.rows[2]!.prompt, { mode: 'chat', messages: [{ role: 'user', content: 'Hi' }] });
  });

  it("puts each malformed row's problem at its position and never makes it a row", () => {
    const text = [
      '{"prompt": "ok"}',
      '{"prompt": "broken",}',
      '{"prompt": 3}',
      '{"messages": [{"role": "robot", "content": "x"}]}',
      '{"prompt": "p", "params": {"temprature": 0.5}}',
      '{"prompt": "p", "params": {"max_tokens": 0}}',
      '{"text": "no prompt"}',
      '[1, 2]',
      '{"id": 7, "prompt": "a"}',
      '{"id": 7, "prompt": "b"}',
    ].join('\n');
    const f = parsePromptFile(text);
    assert.deepEqual(
      f.rows.map((r) => r.line),
      [0, 8],
    );
    const byLine = new Map(f.problems.map((p) => [p.line, p]));
    assert.deepEqual([...byLine.keys()], [1, 2, 3, 4, 5, 6, 7, 9]);
    // The JSON error points at the offending character: the "}" after the trailing comma.
    assert.equal(byLine.get(1)!.span.start.character, '{"prompt": "broken",'.length);
    assert.match(byLine.get(3)!.message, /role must be "system", "user" or "assistant" \(found "robot"\)/);
    assert.equal(byLine.get(4)!.span.start.character, '{"prompt": "p", "params": {'.length);
    assert.match(byLine.get(4)!.message, /"params\.temprature" is not a sampling parameter/);
    assert.match(byLine.get(5)!.message, /max_tokens" must be at least 1/);
    assert.match(byLine.get(9)!.message, /already used on line 9/);
    for (const p of f.problems) assert.match(p.message, /This row is skipped\.$/);
  });

  it('checks every parameter range the playground form checks, so no row fails mid-run on its params', () => {
    const f = parsePromptFile(
      [
        '{"prompt": "a", "params": {"top_k": 0}}',
        `{"prompt": "b", "params": {"stop": ${JSON.stringify(Array.from({ length: 17 }, (_, i) => `s${i}`))}}}`,
        '{"prompt": "c", "params": {"max_tokens": 200000}}',
        '{"prompt": "d", "params": {"seed": -1}}',
        '{"prompt": "e", "params": {"top_k": 40, "max_tokens": 64}}',
      ].join('\n'),
    );
    assert.deepEqual(
      f.rows.map((r) => r.line),
      [4],
    );
    assert.deepEqual(
      f.problems.map((p) => p.line),
      [0, 1, 2, 3],
    );
    assert.match(f.problems[0]!.message, /"params\.top_k": Top-k is -1 \(no limit\) or a positive number\./);
    assert.match(f.problems[1]!.message, /"params\.stop": At most 16 stop strings\./);
  });

  it('keys rows without ids by content, so identical rows stay distinct and inserted lines do not change keys', () => {
    const a = parsePromptFile('{"prompt": "x"}\n{"prompt": "x"}\n{"prompt": "y"}');
    const b = parsePromptFile('{"prompt": "new"}\n{"prompt": "x"}\n{"prompt": "x"}\n{"prompt": "y"}');
    assert.notEqual(a.rows[0]!.key, a.rows[1]!.key);
    assert.deepEqual(
      a.rows.map((r) => r.key),
      b.rows.slice(1).map((r) => r.key),
    );
  });

  it('a file of other JSONL is not a prompt file; results files are recognised', () => {
    assert.equal(parsePromptFile('{"text": "a"}\n{"text": "b"}').isPromptFile, false);
    assert.equal(resultsPathFor('/w/evals/math.jsonl'), '/w/evals/math.results.jsonl');
    assert.equal(isResultsFile('/w/evals/math.results.jsonl'), true);
    assert.equal(isResultsFile('/w/evals/math.jsonl'), false);
  });
});

function record(row: string, status: 'ok' | 'error', model = BASE_MODEL): ResultRecord {
  return {
    row,
    label: row,
    line: 0,
    target: { base_model: model },
    params: DEFAULT_PARAMS,
    status,
    at: new Date(0).toISOString(),
    ...(status === 'ok' ? { output: `out ${row}` } : { error: { class: 'RateLimitError', message: 'slow down', request_id: 'r1' } }),
  };
}

describe('batch: results file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mint-batch-'));
  });

  it('appends one whole line per record; the latest per (row, target) wins on reopen', async () => {
    const path = join(dir, 'p.results.jsonl');
    const f = await ResultsFile.open(path);
    await Promise.all([
      f.append(record('a', 'error')),
      f.append(record('b', 'ok')),
      f.append(record('a', 'ok')),
      f.append(record('a', 'ok', 'other')),
    ]);
    await f.flush();
    assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 4);
    const g = await ResultsFile.open(path);
    assert.equal(g.get('a', { base_model: BASE_MODEL })!.status, 'ok');
    assert.equal(g.get('a', { base_model: 'other' })!.status, 'ok');
    assert.equal(g.all().length, 3);
    assert.equal(g.targets().length, 2);
  });

  it('a torn last line (a crash mid-write) is dropped and cut off, so the next append starts a clean line', async () => {
    const path = join(dir, 'p.results.jsonl');
    writeFileSync(path, JSON.stringify(record('a', 'ok')) + '\n');
    appendFileSync(path, JSON.stringify(record('b', 'ok')).slice(0, 40));
    const f = await ResultsFile.open(path);
    assert.equal(f.all().length, 1);
    await f.append(record('c', 'ok'));
    await f.flush();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) JSON.parse(l);
  });

  it("compaction writes one line per (row, target) in the prompt file's order, through a rename, keeping rows no longer in the file", async () => {
    const path = join(dir, 'p.results.jsonl');
    const f = await ResultsFile.open(path);
    for (const r of ['c', 'gone', 'a', 'b', 'a']) await f.append(record(r, 'ok'));
    await f.compact(['a', 'b', 'c']);
    const rows = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as ResultRecord).row);
    assert.deepEqual(rows, ['a', 'b', 'c', 'gone']);
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.endsWith('.tmp')),
      [],
      'no temporary file is left',
    );
  });

  it('a write failure surfaces on flush instead of being lost', async () => {
    const f = await ResultsFile.open(join(dir, 'missing-dir', 'p.results.jsonl'));
    await f.append(record('a', 'ok'));
    await assert.rejects(f.flush(), /ENOENT/);
    assert.equal(existsSync(join(dir, 'missing-dir')), false);
  });
});

describe('batch: runner against the emulator', function () {
  this.timeout(60_000);
  let server: TestServer;
  let client: ServiceClient;
  useTestServer((t) => ({ server, client } = t), { client: { maxRetries: 2 } });

  const rows = (n: number) =>
    parsePromptFile(Array.from({ length: n }, (_, i) => JSON.stringify({ id: `r${i}`, prompt: `p${i}` })).join('\n')).rows;

  async function sampler(): Promise<SamplingClient> {
    return client.createSamplingClient({ base_model: BASE_MODEL });
  }

  function sampleWith(s: SamplingClient, inFlight: { now: number; max: number }) {
    return async (row: ReturnType<typeof rows>[number], signal: AbortSignal): Promise<ResultRecord> => {
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      const base = { row: row.key, label: row.label, line: row.line, target: { base_model: BASE_MODEL }, params: DEFAULT_PARAMS, at: '' };
      try {
        const res = await s.sample(
          { prompt: ModelInput.fromInts([1, 2, 3 + row.line]), sampling_params: { max_tokens: 4 }, num_samples: 1 },
          { signal },
        );
        return { ...base, status: 'ok', output: res.sequences[0]!.tokens.join(' '), request_id: res.request_id };
      } catch (e) {
        if (signal.aborted) throw e;
        const err = e as Error & { request_id?: string };
        return {
          ...base,
          status: 'error',
          error: { class: err.name, message: err.message, ...(err.request_id ? { request_id: err.request_id } : {}) },
        };
      } finally {
        inFlight.now--;
      }
    };
  }

  it('keeps at most `concurrency` rows in flight, and every row ends with a result or a recorded error under faults', async () => {
    const s = await sampler();
    await server.fault({ route: '/api/v1/asample', status: 500, body: { detail: 'boom' }, times: 30 });
    await server.fault({ route: '/api/v1/asample', skip: 5, futureError: { error: 'sampler crashed', category: 'server' }, times: 3 });
    await server.fault({ route: '/api/v1/asample', skip: 9, drop: 'before-headers', times: 2 });
    const inFlight = { now: 0, max: 0 };
    const seen: ResultRecord[] = [];
    const all = rows(60);
    const summary = await runBatch({
      rows: all,
      concurrency: 6,
      signal: new AbortController().signal,
      sampleRow: sampleWith(s, inFlight),
      onRecord: (r) => void seen.push(r),
    });
    assert.ok(inFlight.max <= 6 && inFlight.max >= 2, `in flight at most 6 (was ${inFlight.max})`);
    assert.equal(summary.ok + summary.failed, 60);
    assert.equal(summary.notRun, 0);
    assert.deepEqual(new Set(seen.map((r) => r.row)), new Set(all.map((r) => r.key)), 'every row has exactly one record');
    assert.equal(seen.length, 60);
    const failed = seen.filter((r) => r.status === 'error');
    assert.ok(failed.length > 0, 'the faults failed some rows');
    assert.ok(
      failed.some((r) => r.error!.class === 'RequestFailedError' && r.error!.request_id),
      'a failed future keeps its request id',
    );
  });

  it('cancel: no new row starts, the rows in flight are aborted and left without a result', async () => {
    const s = await sampler();
    await server.config({ latencyMs: 100 });
    const abort = new AbortController();
    const seen: ResultRecord[] = [];
    const all = rows(40);
    const done = runBatch({
      rows: all,
      concurrency: 4,
      signal: abort.signal,
      sampleRow: sampleWith(s, { now: 0, max: 0 }),
      onRecord: (r) => {
        seen.push(r);
        if (seen.length === 6) abort.abort();
      },
    });
    const summary = await done;
    const sentAfter = (await server.requestsTo('/api/v1/asample')).length;
    assert.ok(summary.notRun >= 40 - 6 - 4, `rows not run: ${summary.notRun}`);
    assert.equal(summary.ok + summary.failed + summary.notRun, 40);
    assert.ok(sentAfter <= 6 + 4 + 4, `no new requests after cancel (sent ${sentAfter})`);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await server.requestsTo('/api/v1/asample')).length, sentAfter, 'nothing is sent once the run has ended');
  });
});
