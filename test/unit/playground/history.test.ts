import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HISTORY_LIMIT, HistoryStore } from '../../../src/vscode/playground/history';
import { pythonSnippet, typescriptSnippet } from '../../../src/vscode/playground/snippets';
import {
  HostToWebviewSchema,
  WebviewToHostSchema,
  checkpointPathProblem,
  paramProblems,
  shortTargetLabel,
  type Run,
} from '../../../src/shared/playground';

const KEY = 'sk-mint-history-SECRET-abcdef123456';
const redact = (s: string) => s.split(KEY).join('[redacted]');

function run(id: string, text = 'Hello', extra: Partial<Run> = {}): Run {
  return {
    id,
    time: new Date(Date.UTC(2026, 10, 25, 10, 0, Number(id.replace(/\D/g, '')) % 60)).toISOString(),
    prompt: { mode: 'raw', text },
    params: { max_tokens: 8, num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0 },
    outcomes: [
      {
        target: { base_model: 'Qwen/Qwen3-0.6B' },
        status: 'done',
        via: 'native',
        request_id: `req_${id}`,
        samples: [{ text: `answer ${id}`, stop_reason: 'length', tokens: { ids: [1, 2], pieces: ['a', 'b'], logprobs: [-0.1, -2] } }],
      },
    ],
    ...extra,
  };
}

describe('playground history store', function () {
  let dir: string;
  const warnings: string[] = [];
  const store = () => new HistoryStore(dir, redact, (m) => warnings.push(m));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mint-hist-'));
    warnings.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('searches prompts, answers, branches and names; pins stay on top and names and pins survive a restart and a rerun', async () => {
    const a = store();
    await a.load();
    const branched = run('r1', 'Tell me about cats');
    branched.outcomes[0]!.branches = [
      {
        id: 'b1',
        from: 0,
        at: 1,
        token: [5, ' platypus'],
        status: 'done',
        sample: { text: 'a platypus swims', stop_reason: 'length' },
      },
    ];
    await a.put(branched);
    await a.put(run('r2', 'Tell me about dogs'));
    await a.put(run('r3', 'Something else'));
    assert.deepEqual(
      a.search('PLATYPUS').map((h) => h.id),
      ['r1'],
      'a branch text is found',
    );
    assert.deepEqual(
      a.search('tell about').map((h) => h.id),
      ['r2', 'r1'],
      'every word, in list order',
    );
    assert.deepEqual(
      a.search('answer r3').map((h) => h.id),
      ['r3'],
      'sample text',
    );
    assert.equal(a.list().find((h) => h.id === 'r1')?.branches, 1);
    assert.equal(await a.setMeta('r1', { pinned: true, name: 'Cat baseline' }), true);
    assert.equal(await a.setMeta('nope', { pinned: true }), false);
    assert.deepEqual(
      a.list().map((h) => h.id),
      ['r1', 'r3', 'r2'],
      'pinned first, then newest first',
    );
    assert.deepEqual(
      a.search('baseline').map((h) => h.id),
      ['r1'],
      'the name is searched',
    );
    // A later write of the run (a branch finished, a rerun's update) keeps what the user gave it.
    await a.put({ ...branched, outcomes: [{ ...branched.outcomes[0]!, note: 'updated' }] });
    const b = store();
    await b.load();
    const top = b.list()[0]!;
    assert.equal(top.id, 'r1');
    assert.equal(top.pinned, true);
    assert.equal(top.name, 'Cat baseline');
    await b.setMeta('r1', { pinned: false, name: '' });
    const r1 = b.list().find((h) => h.id === 'r1')!;
    assert.equal(r1.pinned, undefined);
    assert.equal(r1.name, undefined);
    assert.equal(b.get('r1')!.name, undefined);
  });

  it('survives a restart: newest first, latest record of an id wins, deletions kept', async () => {
    const a = store();
    await a.load();
    await a.put(run('r1'));
    await a.put(run('r2'));
    await a.put({
      ...run('r1'),
      outcomes: [{ ...run('r1').outcomes[0]!, status: 'failed', error: { kind: 'RateLimitError', message: 'slow down' } }],
    });
    await a.put(run('r3'));
    await a.delete('r2');
    const b = store();
    await b.load();
    assert.deepEqual(
      b.list().map((s) => s.id),
      ['r3', 'r1'],
    );
    assert.equal(b.get('r1')!.outcomes[0]!.status, 'failed');
    assert.equal(b.list()[1]!.status, 'failed');
  });

  it('never stores a pending column as pending (a reload would spin forever)', async () => {
    const a = store();
    await a.put(run('r1', 'x', { outcomes: [{ target: { base_model: 'm' }, status: 'pending', queue: { queue_state: 'active' } }] }));
    const b = store();
    await b.load();
    assert.equal(b.get('r1')!.outcomes[0]!.status, 'cancelled');
  });

  it('skips torn or hand-edited lines and says so, keeping the rest', async () => {
    const a = store();
    await a.put(run('r1'));
    appendFileSync(a.path, '{"id":"r9","time":\n not json\n{"id":"bad id!"}\n');
    await a.put(run('r2'));
    const b = store();
    await b.load();
    assert.deepEqual(
      b.list().map((s) => s.id),
      ['r2', 'r1'],
    );
    assert.ok(
      warnings.some((w) => /skipped 3 unreadable line/.test(w)),
      warnings.join('|'),
    );
  });

  it('keeps the key out of the file and the exports even when it was pasted into a prompt', async () => {
    const a = store();
    await a.put(run('r1', `my key is ${KEY}`));
    assert.ok(!readFileSync(a.path, 'utf8').includes(KEY));
    assert.ok(!a.exportJsonl().includes(KEY));
    assert.ok(!a.exportMarkdown().includes(KEY));
  });

  it('exports JSONL (one valid run per line) and Markdown with prompts, params, request ids', async () => {
    const a = store();
    await a.put(run('r1', 'Tell me ```code```'));
    await a.put(run('r2', 'Second'));
    const lines = a.exportJsonl().trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as Run).id),
      ['r1', 'r2'],
    );
    const md = a.exportMarkdown();
    assert.ok(md.indexOf('Second') < md.indexOf('Tell me'), 'newest first');
    assert.match(md, /request_id `req_r1`/);
    assert.match(md, /max_tokens 8/);
    assert.match(md, /````\nTell me ```code```\n````/, 'a fence longer than any backtick run in the text');
  });

  it(`caps at ${HISTORY_LIMIT} runs, oldest dropped first; 10,000 entries load and list quickly`, async function () {
    this.timeout(30_000);
    const lines: string[] = [];
    for (let i = 0; i < HISTORY_LIMIT + 50; i++) lines.push(JSON.stringify(run(`r${i}`, `prompt ${i}`)));
    writeFileSync(join(dir, 'playground-history.jsonl'), lines.join('\n') + '\n');
    const a = store();
    const t0 = performance.now();
    await a.load();
    const list = a.list();
    const ms = performance.now() - t0;
    assert.equal(list.length, HISTORY_LIMIT);
    assert.equal(list[0]!.id, `r${HISTORY_LIMIT + 49}`);
    assert.equal(a.get('r0'), undefined, 'the oldest went first');
    assert.ok(ms < 3_000, `loading 10,050 runs took ${ms.toFixed(0)} ms`);
    await a.clear();
    const b = store();
    await b.load();
    assert.equal(b.size, 0);
  });
});

describe('playground history compaction', function () {
  it('rewrites the file when superseded lines pile up, keeping every live run', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'mint-hist-'));
    try {
      const a = new HistoryStore(dir, redact, () => undefined);
      for (let i = 0; i < 10; i++) await a.put(run(`r${i}`));
      for (let k = 0; k < 200; k++) await a.put(run(`r${k % 10}`, `edit ${k}`));
      const lines = readFileSync(a.path, 'utf8').trimEnd().split('\n').length;
      assert.ok(lines <= 2 * 10 + 101, `file was not compacted: ${lines} lines for 10 runs`);
      const b = new HistoryStore(dir, redact, () => undefined);
      await b.load();
      assert.equal(b.size, 10);
      const p = b.get('r9')!.prompt;
      assert.equal(p.mode === 'raw' ? p.text : undefined, 'edit 199');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('playground protocol and snippets', function () {
  it('labels a checkpoint column by its name first, so two checkpoints of one run stay apart', () => {
    const run = '27dafe4a-4f30-40ab-af34-6f3ea65635f4_0';
    assert.equal(shortTargetLabel({ model_path: `mint://${run}/sampler_weights/pg-late` }), 'pg-late · 27dafe4a');
    assert.equal(shortTargetLabel({ model_path: `tinker://${run}/weights/step-10` }), 'step-10 · 27dafe4a');
    assert.equal(shortTargetLabel({ model_path: 'ckpt_0123456789ab' }), 'ckpt_0123456789ab');
    assert.equal(shortTargetLabel({ base_model: 'Qwen/Qwen3-0.6B' }), 'Qwen/Qwen3-0.6B');
  });

  it('accepts what the webview sends and rejects what does not fit', function () {
    const params = { max_tokens: 16, num_samples: 1, prompt_logprobs: true, topk_prompt_logprobs: 2 };
    assert.ok(
      WebviewToHostSchema.safeParse({
        type: 'sample',
        runId: 'r1',
        target: { base_model: 'm' },
        prompt: { mode: 'raw', text: 'x' },
        params,
      }).success,
    );
    const bad = [
      {
        type: 'sample',
        runId: 'r1',
        target: { base_model: 'm' },
        prompt: { mode: 'raw', text: 'x' },
        params: { ...params, max_tokens: 0 },
      },
      { type: 'sample', runId: '../../etc', target: { base_model: 'm' }, prompt: { mode: 'raw', text: 'x' }, params },
      { type: 'compare', runId: 'r1', targets: [{ base_model: 'm' }], prompt: { mode: 'raw', text: 'x' }, params },
      { type: 'compare', runId: 'r1', targets: Array(5).fill({ base_model: 'm' }), prompt: { mode: 'raw', text: 'x' }, params },
      { type: 'exec', command: 'rm -rf /' },
      { type: 'sample', runId: 'r1', target: {}, prompt: { mode: 'raw', text: 'x' }, params },
      null,
      'ready',
    ];
    for (const b of bad) assert.equal(WebviewToHostSchema.safeParse(b).success, false, JSON.stringify(b));
    assert.equal(
      HostToWebviewSchema.safeParse({ type: 'outcome', runId: 'r1', index: 7, outcome: { target: { base_model: 'm' }, status: 'done' } })
        .success,
      false,
    );
  });

  it('explains each bad parameter in the words the form shows', function () {
    assert.deepEqual(paramProblems({ max_tokens: 16, num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0 }), {});
    const p = paramProblems({
      max_tokens: 1.5,
      temperature: -1,
      top_p: 0,
      top_k: 0,
      num_samples: 99,
      prompt_logprobs: false,
      topk_prompt_logprobs: 0,
    });
    assert.equal(p.max_tokens, 'Max tokens must be a whole number.');
    assert.equal(p.temperature, 'Temperature must be 0 or more.');
    assert.equal(p.top_p, 'Top-p must be above 0.');
    assert.equal(p.top_k, 'Top-k is -1 (no limit) or a positive number.');
    assert.equal(p.num_samples, 'At most 64 samples per target.');
    assert.equal(paramProblems({ num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0 }).max_tokens, 'Max tokens is required.');
  });

  it('flags training-state paths with the sampler_weights fix', function () {
    assert.match(checkpointPathProblem('tinker://abc/weights/final')!, /use tinker:\/\/abc\/sampler_weights\/final/);
    assert.match(checkpointPathProblem('abc/final')!, /starts with mint:\/\//);
    assert.equal(checkpointPathProblem('mint://abc/sampler_weights/final'), undefined);
  });

  it('writes Python and TypeScript that reproduce the request without any key', function () {
    const input = {
      targets: [{ base_model: 'Qwen/Qwen3-0.6B' }, { model_path: 'mint://run1/sampler_weights/s1' }],
      prompt: { mode: 'chat' as const, messages: [{ role: 'user' as const, content: 'Say "hi"\nnow' }] },
      params: { max_tokens: 32, temperature: 0.5, stop: ['\n\n'], num_samples: 2, prompt_logprobs: true, topk_prompt_logprobs: 3 },
      baseUrl: 'http://127.0.0.1:8765',
      mintJs: '/ext/dist/mint.js',
    };
    const py = pythonSnippet(input);
    assert.match(py, /^import mint$/m);
    assert.match(py, /create_sampling_client\(base_model="Qwen\/Qwen3-0\.6B"\)/);
    assert.match(py, /create_sampling_client\(model_path="mint:\/\/run1\/sampler_weights\/s1"\)/);
    assert.match(py, /types\.SamplingParams\(max_tokens=32, temperature=0\.5, stop=\["\\n\\n"\]\)/);
    assert.match(py, /include_prompt_logprobs=True/);
    assert.match(py, /"content": "Say \\"hi\\"\\nnow"/);
    const ts = typescriptSnippet(input, [1, 2, 3]);
    assert.match(ts, /ModelInput\.fromInts\(\[1,2,3\]\)/);
    assert.match(ts, /createSamplingClient\(\{ model_path: "mint:\/\/run1\/sampler_weights\/s1" \}\)/);
    assert.match(ts, /topk_prompt_logprobs: 3/);
    for (const code of [py, ts]) assert.ok(!/sk-|api_key\s*=|apiKey:/.test(code), code);
  });
});
