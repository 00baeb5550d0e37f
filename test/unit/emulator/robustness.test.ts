import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/emulator/core';
import { FutureStore, FutureWorkError } from '../../../src/emulator/futures';
import { startEmulator, type Emulator } from '../../../src/emulator/index';
import { loadLanguageModel } from '../../../src/emulator/languageModel';
import { seededRng, type Rng } from '../../../src/emulator/rng';
import { datum, op, post, prompt, result, samplingSession, session, trainingModel, type Answer } from './helpers';

/**
 * Property-style sweep over the sampler's edge cases, over real HTTP: adapters that grew rows and
 * columns for tokens outside the base vocabulary, checkpoints reloaded from --data-dir, extreme
 * sampling parameters. A seeded generator keeps every failing case reproducible: the assertion
 * message carries the request that broke.
 */

const lm = loadLanguageModel();
const V = lm.vocabSize;
const ACTIVE = Array.from(lm.activeTokens);
const [IM_END, EOT] = lm.eosIds as [number, number];
/** Ids the corpus never uses: specials, both ends of the id space, and some plain tokens. */
const UNSEEN = [0, 1, V - 1, V - 2, IM_END - 1, 151644, 151665, 100000, 12345, 77777].filter((t) => lm.activeIndex[t] === -1);
const INTERNAL = /TypeError|RangeError|ReferenceError|Cannot read|undefined|is not a function|is not iterable|NaN/;

function pickOf<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

function randomToken(rng: Rng, grown: number[]): number {
  const r = rng();
  if (r < 0.35) return pickOf(rng, ACTIVE);
  if (r < 0.6) return pickOf(rng, grown);
  if (r < 0.8) return pickOf(rng, UNSEEN);
  return Math.floor(rng() * V);
}

/** A reply is either a clean 4xx naming its cause or a well-formed result; never a 500 or an internal error. */
function assertClean4xx(a: Answer, what: string): void {
  assert.ok(a.status >= 400 && a.status < 500, `${what}: status ${a.status} ${a.text}`);
  const msg = typeof a.json?.detail === 'string' ? a.json.detail : JSON.stringify(a.json?.detail ?? a.json);
  assert.ok(msg && msg.length > 10, `${what}: 4xx without a message: ${a.text}`);
  assert.doesNotMatch(msg, INTERNAL, `${what}: 4xx leaks an internal error: ${msg}`);
}

function assertSample(res: any, req: any, what: string): void {
  assert.equal(res.error, undefined, `${what}: the future failed: ${JSON.stringify(res)}`);
  assert.equal(res.type, 'sample', what);
  const sp = req.sampling_params;
  assert.equal(res.sequences.length, req.num_samples ?? 1, what);
  const stops = new Set<number>([IM_END, EOT, ...(Array.isArray(sp.stop) ? sp.stop.filter((s: unknown) => typeof s === 'number') : [])]);
  for (const s of res.sequences) {
    assert.equal(s.tokens.length, s.logprobs.length, `${what}: tokens and logprobs differ in length`);
    assert.ok(
      s.tokens.length >= 1 && s.tokens.length <= sp.max_tokens,
      `${what}: ${s.tokens.length} tokens for max_tokens ${sp.max_tokens}`,
    );
    for (const t of s.tokens) assert.ok(Number.isInteger(t) && t >= 0 && t < V, `${what}: token ${t} outside the vocabulary`);
    for (const lp of s.logprobs) assert.ok(Number.isFinite(lp) && lp <= 0, `${what}: logprob ${lp}`);
    const last = s.tokens[s.tokens.length - 1];
    if (s.stop_reason === 'length') assert.equal(s.tokens.length, sp.max_tokens, `${what}: 'length' before max_tokens`);
    else if (!sp.stop || sp.stop.some((x: unknown) => typeof x === 'number'))
      assert.ok(stops.has(last), `${what}: 'stop' on ${last}, not a stop token`);
    for (const t of s.tokens.slice(0, -1)) assert.ok(!stops.has(t), `${what}: generation ran past stop token ${t}`);
  }
  const n = req.prompt.chunks[0].tokens.length;
  if (req.prompt_logprobs) {
    assert.equal(res.prompt_logprobs.length, n, what);
    res.prompt_logprobs.forEach((lp: number | null, i: number) =>
      i === 0 ? assert.equal(lp, null) : assert.ok(Number.isFinite(lp) && lp! <= 0, `${what}: prompt logprob ${lp}`),
    );
  }
  if (req.topk_prompt_logprobs > 0) {
    assert.equal(res.topk_prompt_logprobs.length, n, what);
    res.topk_prompt_logprobs.forEach((row: [number, number][] | null, i: number) => {
      if (i === 0) return assert.equal(row, null);
      assert.ok(row!.length >= 1 && row!.length <= req.topk_prompt_logprobs, `${what}: ${row!.length} top-k entries`);
      for (let j = 0; j < row!.length; j++) {
        const [t, lp] = row![j]!;
        assert.ok(Number.isInteger(t) && t >= 0 && t < V && Number.isFinite(lp) && lp <= 0, `${what}: top-k entry ${t}, ${lp}`);
        if (j > 0) assert.ok(lp <= row![j - 1]![1], `${what}: top-k not in falling order`);
      }
    });
  }
}

const adam = { learning_rate: 0.05, beta1: 0.9, beta2: 0.95, eps: 1e-8 };

describe('emulator robustness: sampler and training edge cases over HTTP', function () {
  this.timeout(30_000);
  let dir: string;
  let emu: Emulator;
  let base: string;
  const logLines: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mint-emu-robust-'));
  });
  afterEach(async () => {
    await emu?.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function start(): Promise<void> {
    emu = await startEmulator({ dataDir: dir, faults: true, longPollMs: 2_000, log: (l) => logLines.push(l), logRequests: false });
    base = emu.url;
  }

  /** Trains an adapter on tokens outside the corpus with every loss, so it grows rows and columns. */
  async function trainGrown(rng: Rng, grown: number[]): Promise<{ id: string; seq: () => number }> {
    const sid = await session(base);
    const id = await trainingModel(base, sid, 0, 4, 11);
    let n = 0;
    const seq = () => ++n;
    const seqs = [0, 1, 2].map(() => [pickOf(rng, ACTIVE), ...Array.from({ length: 6 }, () => randomToken(rng, grown)), IM_END]);
    for (const s of seqs) s.splice(2, 0, ...grown.slice(0, 3));
    const fb = await op(base, 'forward_backward', {
      model_id: id,
      seq_id: seq(),
      forward_backward_input: { data: seqs.map((s) => datum(s)), loss_fn: 'cross_entropy' },
    });
    assert.equal(fb.error, undefined, JSON.stringify(fb));
    assert.equal((await op(base, 'optim_step', { model_id: id, seq_id: seq(), adam_params: adam })).error, undefined);
    for (const loss_fn of ['importance_sampling', 'ppo', 'cispo', 'dro']) {
      const fresh = [pickOf(rng, ACTIVE), pickOf(rng, UNSEEN), Math.floor(rng() * V), pickOf(rng, grown), EOT];
      const len = fresh.length - 1;
      const d = datum(fresh, {
        logprobs: Array.from({ length: len }, () => -3 - rng() * 5),
        advantages: Array.from({ length: len }, () => rng() * 2 - 1),
      });
      const r = await op(base, 'forward_backward', { model_id: id, seq_id: seq(), forward_backward_input: { data: [d], loss_fn } });
      assert.equal(r.error, undefined, `${loss_fn}: ${JSON.stringify(r)}`);
      for (const lp of r.loss_fn_outputs[0].logprobs.data) assert.ok(Number.isFinite(lp), `${loss_fn} logprob ${lp}`);
    }
    assert.equal((await op(base, 'optim_step', { model_id: id, seq_id: seq(), adam_params: adam })).error, undefined);
    return { id, seq };
  }

  it('samples from grown adapters, reloaded checkpoints and the base with edge-case inputs (seeded sweep)', async function () {
    this.timeout(20_000);
    const rng = seededRng(20261125);
    const grown = [V - 1, 0, 151665, 98765, 4242].filter((t) => lm.activeIndex[t] === -1);
    await start();
    const { id, seq } = await trainGrown(rng, grown);
    const saved = await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: seq(), path: 'grown' });
    const withOpt = await op(base, 'save_state', { model_id: id, seq_id: seq(), path: 'grown-state' });
    assert.ok(saved.path && withOpt.path, JSON.stringify([saved, withOpt]));

    // Reload the training state both ways, keep training, and check forward agrees with the sampler.
    for (const optimizer of [true, false]) {
      const lw = await op(base, 'load_state', { model_id: id, seq_id: seq(), path: withOpt.path, optimizer });
      assert.equal(lw.error, undefined, JSON.stringify(lw));
      const fw = await op(base, 'forward', {
        model_id: id,
        seq_id: seq(),
        forward_input: { data: [datum([pickOf(rng, ACTIVE), ...grown, V - 1, 0])], loss_fn: 'cross_entropy' },
      });
      assert.equal(fw.error, undefined, JSON.stringify(fw));
      for (const lp of fw.loss_fn_outputs[0].logprobs.data) assert.ok(Number.isFinite(lp));
    }
    const eph = await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: seq(), sampling_session_seq_id: 7 });
    assert.ok(eph.sampling_session_id, JSON.stringify(eph));

    // Restart on the same --data-dir: the checkpoints come back from disk, the live model does not.
    await emu.close();
    await start();
    const sid = await session(base);
    const fromDisk = await samplingSession(base, sid, 1, { model_path: saved.path });
    const survivor = await trainingModel(base, sid, 1, 4, 11);
    const loaded = await op(base, 'load_state', { model_id: survivor, seq_id: 1, path: withOpt.path, optimizer: true });
    assert.equal(loaded.error, undefined, JSON.stringify(loaded));
    const live = await op(base, 'save_weights_for_sampler', { model_id: survivor, seq_id: 2, sampling_session_seq_id: 9 });

    const targets: Record<string, unknown>[] = [
      { base_model: 'Qwen/Qwen3-0.6B' },
      { model_path: saved.path },
      { sampling_session_id: fromDisk },
      { sampling_session_id: live.sampling_session_id },
    ];
    let survivorSeq = 2;
    let requests = 0;
    for (let i = 0; i < 110; i++) {
      const promptLen = pickOf(rng, [0, 1, 1, 2, 3, 5, 9]);
      const tokens = Array.from({ length: promptLen }, () => randomToken(rng, grown));
      const bad = rng() < 0.08;
      if (bad) tokens.push(pickOf(rng, [-1, V, V + 1000, 2 ** 31 - 1]));
      const sampling_params: Record<string, unknown> = {
        max_tokens: pickOf(rng, [1, 2, 5, 16]),
        temperature: pickOf(rng, [0, 1, 1, 0.7, 2, 1e-9, 5e-324, 1e-310, 50]),
        top_p: pickOf(rng, [1, 1, 0.9, 0.5, 1e-12]),
        top_k: pickOf(rng, [-1, -1, 0, 1, 2, 50, lm.nActive, lm.nActive + 1, 1_000_000]),
        seed: rng() < 0.8 ? Math.floor(rng() * 2 ** 31) : null,
      };
      if (rng() < 0.25) sampling_params['stop'] = Array.from({ length: 1 + Math.floor(rng() * 3) }, () => randomToken(rng, grown));
      else if (rng() < 0.1) sampling_params['stop'] = ['.', ' the'];
      const req: any = {
        ...pickOf(rng, targets),
        prompt: prompt(tokens),
        sampling_params,
        num_samples: pickOf(rng, [1, 1, 2, 3]),
        prompt_logprobs: rng() < 0.4,
        topk_prompt_logprobs: pickOf(rng, [0, 0, 1, 5, lm.nActive + 7, 200_000]),
        type: 'sample',
      };
      const what = `request ${i}: ${JSON.stringify({ ...req, prompt: tokens })}`;
      const r = await post(base, '/api/v1/asample', req);
      requests++;
      if (bad) {
        assertClean4xx(r, what);
        assert.match(r.json.detail, /outside the vocabulary/, what);
        continue;
      }
      assert.equal(r.status, 200, `${what}: ${r.status} ${r.text}`);
      // Meanwhile the survivor keeps training on the same grown tokens: sampling must not see it move.
      if (i % 10 === 0) {
        const tr = post(base, '/api/v1/forward_backward', {
          model_id: survivor,
          seq_id: ++survivorSeq,
          forward_backward_input: {
            data: [datum([pickOf(rng, ACTIVE), randomToken(rng, grown), randomToken(rng, grown), EOT])],
            loss_fn: 'cross_entropy',
          },
        });
        const st = post(base, '/api/v1/optim_step', { model_id: survivor, seq_id: ++survivorSeq, adam_params: adam });
        for (const a of await Promise.all([tr, st])) {
          assert.equal(a.status, 200, a.text);
          assert.equal((await result(base, a.json.request_id)).error, undefined);
        }
        requests += 4;
      }
      assertSample(await result(base, r.json.request_id), req, what);
      requests++;
    }
    assert.ok(requests <= 260, `${requests} requests`);
    assert.deepEqual(
      logLines.filter((l) => /internal|TypeError/.test(l)),
      [],
    );
  });

  it('a temperature so small that 1/T overflows samples greedily, not from the tail', async () => {
    await start();
    const tokens = [pickOf(seededRng(1), ACTIVE), pickOf(seededRng(2), ACTIVE)];
    const sampleWith = async (temperature: number, top_k: number, top_p: number) => {
      const r = await post(base, '/api/v1/asample', {
        base_model: 'Qwen/Qwen3-0.6B',
        num_samples: 1,
        prompt: prompt(tokens),
        sampling_params: { max_tokens: 8, temperature, top_k, top_p, seed: 3 },
        type: 'sample',
      });
      assert.equal(r.status, 200, r.text);
      return (await result(base, r.json.request_id)).sequences[0].tokens as number[];
    };
    const greedy = await sampleWith(0, -1, 1);
    for (const [t, k, p] of [
      [5e-324, -1, 1],
      [1e-310, -1, 1],
      [5e-324, 5, 1],
      [5e-324, -1, 0.5],
      [1e-9, -1, 1],
    ] as const) {
      assert.deepEqual(await sampleWith(t, k, p), greedy, `temperature ${t}, top_k ${k}, top_p ${p}`);
    }
  });
  it('an optim_step whose learning rate would overflow the logits is refused and leaves the model as it was', async () => {
    await start();
    const rng = seededRng(99);
    const { id, seq } = await trainGrown(rng, [V - 1, 151665]);
    const tokens = [ACTIVE[5]!, V - 1, ACTIVE[9]!, 151665];
    const forward = async () =>
      (await op(base, 'forward', { model_id: id, seq_id: seq(), forward_input: { data: [datum(tokens)], loss_fn: 'cross_entropy' } }))
        .loss_fn_outputs[0].logprobs.data as number[];
    const before = await forward();
    const fb = await op(base, 'forward_backward', {
      model_id: id,
      seq_id: seq(),
      forward_backward_input: { data: [datum(tokens)], loss_fn: 'cross_entropy' },
    });
    assert.equal(fb.error, undefined);
    const step = await op(base, 'optim_step', { model_id: id, seq_id: seq(), adam_params: { learning_rate: 1e308 } });
    assert.match(step.error ?? '', /^optim_step refused: learning_rate 1e\+308 .*unchanged/, JSON.stringify(step));
    assert.deepEqual(await forward(), before);
    const eph = await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: seq(), sampling_session_seq_id: 3 });
    const req = {
      sampling_session_id: eph.sampling_session_id,
      prompt: prompt(tokens),
      sampling_params: { max_tokens: 6, seed: 5 },
      num_samples: 2,
      prompt_logprobs: true,
      topk_prompt_logprobs: 3,
      type: 'sample',
    };
    const r = await post(base, '/api/v1/asample', req);
    assertSample(await result(base, r.json.request_id), req, 'after the refused step');
  });

  it('a checkpoint on disk that does not fit the model is skipped with a warning, and sampling it is a clean 404', async () => {
    const rng = seededRng(7);
    const grown = [V - 1, 151665].filter((t) => lm.activeIndex[t] === -1);
    await start();
    const { id, seq } = await trainGrown(rng, grown);
    const good = await op(base, 'save_weights_for_sampler', { model_id: id, seq_id: seq(), path: 'fits' });
    await emu.close();

    // What another emulator model leaves behind: an older corpus gives other vocabulary sizes,
    // or a file written before the adapter kept its grown tokens.
    const runs = join(dir, 'runs');
    const runDir = join(
      runs,
      readdirSync(runs).find((d) => readFileSync(join(runs, d, 'run.json'), 'utf8').includes(JSON.stringify(id)))!,
      'checkpoints',
    );
    const file = JSON.parse(readFileSync(join(runDir, `${encodeURIComponent('sampler_weights/fits')}.json`), 'utf8'));
    const misfit = {
      ...file,
      checkpointId: 'sampler_weights/misfit',
      adapter: { ...file.adapter, extraColTokens: [...file.adapter.extraColTokens, 54321] },
    };
    const inBase = {
      ...file,
      checkpointId: 'sampler_weights/inbase',
      adapter: { ...file.adapter, extraRowTokens: [ACTIVE[3], ...file.adapter.extraRowTokens.slice(1)] },
    };
    const { extraRowTokens: _dropped, ...noRows } = file.adapter;
    const old = { ...file, checkpointId: 'sampler_weights/old', adapter: noRows };
    for (const c of [misfit, inBase, old]) writeFileSync(join(runDir, `${encodeURIComponent(c.checkpointId)}.json`), JSON.stringify(c));

    logLines.length = 0;
    await start();
    const warnings = logLines.filter((l) => l.startsWith('warning:'));
    for (const name of ['misfit', 'inbase', 'old'])
      assert.ok(
        warnings.some((w) => w.includes(name)),
        `no warning for ${name}: ${JSON.stringify(warnings)}`,
      );
    const sid = await session(base);
    const fine = await post(base, '/api/v1/asample', {
      model_path: good.path,
      num_samples: 1,
      prompt: prompt([ACTIVE[0]!, V - 1]),
      sampling_params: { max_tokens: 4, seed: 1 },
      type: 'sample',
    });
    assert.equal(fine.status, 200, fine.text);
    assertSample(
      await result(base, fine.json.request_id),
      { prompt: prompt([ACTIVE[0]!, V - 1]), sampling_params: { max_tokens: 4 } },
      'the checkpoint that fits',
    );
    for (const name of ['misfit', 'inbase', 'old']) {
      const path = good.path.replace('/fits', `/${name}`);
      assertClean4xx(
        await post(base, '/api/v1/create_sampling_session', {
          session_id: sid,
          sampling_session_seq_id: 1,
          model_path: path,
          type: 'create_sampling_session',
        }),
        name,
      );
      const s = await post(base, '/api/v1/asample', {
        model_path: path,
        num_samples: 1,
        prompt: prompt([ACTIVE[0]!]),
        sampling_params: { max_tokens: 2 },
        type: 'sample',
      });
      assertClean4xx(s, name);
      assert.match(s.json.detail, /Checkpoint not found/);
    }
  });
});

describe('emulator futures: an internal exception is logged with its stack, reported in one line', () => {
  const settle = async (work: () => unknown) => {
    const lines: string[] = [];
    const store = new FutureStore(
      () => ({ ...DEFAULT_CONFIG, longPollMs: 2_000 }),
      (l) => lines.push(l),
    );
    const id = store.create('sample');
    store.settleLater(id, 0, work);
    const reply = await store.retrieve(id, () => {});
    return { body: reply!.body as { error: string; category: string }, lines };
  };

  it('a TypeError in the work: its class and message in one line, its stack in the log', async () => {
    const { body, lines } = await settle(() => (undefined as unknown as number[][])[87]![0]);
    assert.equal(body.category, 'system');
    assert.match(
      body.error,
      /^Internal emulator error in sample \(TypeError: Cannot read properties of undefined \(reading '87'\)\); .*emulator log\.$/,
    );
    assert.doesNotMatch(body.error, /\n/);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /internal error in sample \S+: TypeError: Cannot read properties of undefined[^]*\n\s+at /);
  });

  it('a failure the work reports on purpose keeps its own message and logs nothing', async () => {
    const { body, lines } = await settle(() =>
      Promise.reject(new FutureWorkError('The cross_entropy loss is not finite (NaN), so this batch was dropped.')),
    );
    assert.equal(body.error, 'The cross_entropy loss is not finite (NaN), so this batch was dropped.');
    assert.deepEqual(lines, []);
  });
});
