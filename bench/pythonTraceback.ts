/**
 * Python traceback scanner benchmark: ~10 MB of realistic training-script output (step logs,
 * tqdm redraws with bare \r, logging records, colours, CRLF) holding 1,000 MinT tracebacks of
 * several shapes (plain, chained, ExceptionGroup, asyncio), fed through TracebackScanner in 64 KiB
 * chunks as a terminal would deliver it. Goal: <= 100 ms for the 10 MB. Also timed: the same size
 * of output with no traceback at all (the common case), and findLinks over every line.
 * Fixed sizes and run counts, so it ends by itself.
 */
import { TracebackScanner, findLinks, type TracebackFinding } from '../src/python/traceback';

const GOAL_MS = 100;
const TARGET_BYTES = 10_000_000;
const TRACEBACKS = 1000;
const CHUNK = 64 * 1024;
const RUNS = 7;

export interface PythonTracebackBenchResult {
  withTracebacksMedianMs: number;
  noiseOnlyMedianMs: number;
  findLinksMedianMs: number;
  findings: number;
  bytes: number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const PROJ = '/home/me/proj';
const SITE = `${PROJ}/.venv/lib/python3.11/site-packages`;
const uuid = (r: () => number) =>
  [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('')).join('-');

function frames(r: () => number): string {
  return (
    `  File "${PROJ}/train.py", line ${50 + Math.floor(r() * 200)}, in <module>\n    main(config)\n` +
    `  File "${PROJ}/train.py", line ${20 + Math.floor(r() * 30)}, in main\n    result = future.result()\n             ^^^^^^^^^^^^^^^\n` +
    `  File "${SITE}/tinker/lib/public_interfaces/api_future.py", line 31, in result\n    return self._future.result(timeout)\n` +
    `  File "/usr/lib/python3.11/concurrent/futures/_base.py", line 456, in result\n    return self.__get_result()\n` +
    `  File "${SITE}/tinker/lib/api_future_impl.py", line 210, in _result_async\n    raise RequestFailedError(\n`
  );
}

function traceback(r: () => number, i: number): string {
  const id = `${uuid(r)}:sample:0:${i}`;
  const kind = i % 4;
  if (kind === 0) {
    return (
      `Traceback (most recent call last):\n${frames(r)}\x1b[35mtinker.RequestFailedError\x1b[0m: Request failed: sampler restarted ` +
      `for self.request_id='${id}' and expected type self.model_cls=<class 'tinker.types.sample_response.SampleResponse'>\n`
    );
  }
  if (kind === 1) {
    return (
      `Traceback (most recent call last):\n${frames(r)}tinker.InternalServerError: Error code: 500 - {'detail': 'An unexpected error occurred. Log ID: ${uuid(r)}'}\n` +
      '\nThe above exception was the direct cause of the following exception:\n\n' +
      `Traceback (most recent call last):\n  File "${PROJ}/train.py", line 300, in <module>\nRuntimeError: training failed\n`
    );
  }
  if (kind === 2) {
    return (
      '  + Exception Group Traceback (most recent call last):\n' +
      `  |   File "${PROJ}/rl.py", line 60, in <module>\n  |     asyncio.run(main())\n` +
      '  | ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)\n' +
      '  +-+---------------- 1 ----------------\n' +
      `    | Traceback (most recent call last):\n    |   File "${PROJ}/rl.py", line 31, in rollout\n    | tinker.RateLimitError: Error code: 429\n` +
      '    +---------------- 2 ----------------\n' +
      `    | Traceback (most recent call last):\n    |   File "${PROJ}/rl.py", line 35, in grade\n    | KeyError: 'score'\n` +
      '    +------------------------------------\n'
    );
  }
  return (
    'Task exception was never retrieved\n' +
    `future: <Task finished name='Task-${i}' coro=<main() done, defined at ${PROJ}/train.py:10> exception=ValueError("Error retrieving result: ...")>\n` +
    `Traceback (most recent call last):\n${frames(r)}ValueError: Error retrieving result: Error code: 404 - {'detail': 'Future not found'} with status code e.status_code=404 ` +
    `for self.request_id='${id}' and expected type self.model_cls=<class 'tinker.types.sample_response.SampleResponse'>\n`
  );
}

function noise(r: () => number): string {
  const x = r();
  if (x < 0.45) return `step ${Math.floor(r() * 1e5)} loss=${r().toFixed(4)} lr=2.0e-05 tokens/s=${Math.floor(r() * 1e5)}\n`;
  if (x < 0.75)
    return ` ${Math.floor(r() * 100)}%|${'█'.repeat(Math.floor(r() * 10))}${' '.repeat(4)}| ${Math.floor(r() * 500)}/500 [00:10<00:12,  4.5it/s]\r`;
  if (x < 0.9)
    return `2025-01-04 10:22:${String(Math.floor(r() * 60)).padStart(2, '0')},004 - tinker - INFO - sampled ${Math.floor(r() * 64)} completions\r\n`;
  return `\x1b[32mINFO\x1b[0m eval accuracy=${r().toFixed(3)} on ${Math.floor(r() * 500)} items\n`;
}

export function buildOutput(withTracebacks: boolean, seed = 11): string {
  const r = rng(seed);
  const parts: string[] = [];
  let size = 0;
  const per = TARGET_BYTES / TRACEBACKS;
  for (let i = 0; i < TRACEBACKS; i++) {
    let block = '';
    while (block.length < per) block += noise(r);
    block += '\n';
    if (withTracebacks) block += traceback(r, i);
    parts.push(block);
    size += block.length;
  }
  while (size < TARGET_BYTES) {
    const n = noise(r);
    parts.push(n);
    size += n.length;
  }
  return parts.join('');
}

function scan(text: string): { ms: number; findings: TracebackFinding[] } {
  const t0 = performance.now();
  const s = new TracebackScanner();
  const findings: TracebackFinding[] = [];
  for (let i = 0; i < text.length; i += CHUNK) findings.push(...s.push(text.slice(i, i + CHUNK)));
  findings.push(...s.end());
  return { ms: performance.now() - t0, findings };
}

export async function benchPythonTraceback(_root: string, print: (l: string) => void): Promise<PythonTracebackBenchResult> {
  const withTb = buildOutput(true);
  const noiseOnly = buildOutput(false, 12);
  const runs: number[] = [];
  const quiet: number[] = [];
  let findings: TracebackFinding[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = scan(withTb);
    runs.push(a.ms);
    findings = a.findings;
    const b = scan(noiseOnly);
    quiet.push(b.ms);
    if (b.findings.length !== 0) throw new Error(`noise-only output gave ${b.findings.length} findings`);
  }
  // Kind 2 (a group) has one MinT exception of two; every traceback is one finding.
  if (findings.length !== TRACEBACKS) throw new Error(`found ${findings.length} tracebacks, expected ${TRACEBACKS}`);
  const withIds = findings.filter((f) => f.exceptions[0]!.requestId !== undefined).length;
  if (withIds !== TRACEBACKS * 0.75) throw new Error(`${withIds} findings with a request id, expected ${TRACEBACKS * 0.75}`);

  const lines = withTb.split('\n');
  const linkRuns: number[] = [];
  let links = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    links = 0;
    for (const l of lines) links += findLinks(l).length;
    linkRuns.push(performance.now() - t0);
  }

  const ms = median(runs);
  const mb = (withTb.length / 1e6).toFixed(1);
  print(
    `output: ${mb} M chars, ${TRACEBACKS} MinT tracebacks (plain, chained, ExceptionGroup, asyncio) among log/tqdm noise, ${CHUNK / 1024} KiB chunks`,
  );
  print(
    `scan with tracebacks: median ${ms.toFixed(1)} ms of ${RUNS} runs   goal <= ${GOAL_MS} ms  ${ms <= GOAL_MS ? 'OK' : 'OVER'}   (${findings.length} findings)`,
  );
  print(`scan of the same size with no traceback: median ${median(quiet).toFixed(1)} ms`);
  print(`findLinks on every line (${lines.length} lines, ${links} links): median ${median(linkRuns).toFixed(1)} ms`);
  return {
    withTracebacksMedianMs: ms,
    noiseOnlyMedianMs: median(quiet),
    findLinksMedianMs: median(linkRuns),
    findings: findings.length,
    bytes: withTb.length,
  };
}
