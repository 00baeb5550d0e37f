import assert from 'node:assert/strict';
import { loadLanguageModel } from '../../../src/emulator/languageModel';
import { LoraAdapter } from '../../../src/emulator/lora';
import { computeLoss, LOSS_FNS, type PreparedDatum } from '../../../src/emulator/losses';
import { gaussian, seededRng } from '../../../src/emulator/rng';
import { generate } from '../../../src/emulator/sampler';
import { findTokenizerDir } from '../../../src/emulator/tokenizer';

/** The model's maths, checked directly: gradients against finite differences, and its cost. */
describe('emulator: model', function () {
  const model = loadLanguageModel();
  const text = 'The copper kettle whistles in the garden while the train waits.';
  const tokens = model.encode(text);

  it('finds the bundled Qwen3 tokenizer, and names every place tried plus the fix when it is missing', () => {
    assert.match(findTokenizerDir(), /tokenizer-qwen3[\\/]models|tokenizers[\\/]Qwen3/);
    assert.throws(
      () => findTokenizerDir(['/nonexistent/one', '/nonexistent/two']),
      (err: Error) =>
        /\/nonexistent\/one/.test(err.message) &&
        /\/nonexistent\/two/.test(err.message) &&
        /scripts\/build\.mjs/.test(err.message) &&
        /MINT_EMULATOR_TOKENIZER_DIR/.test(err.message),
    );
  });

  it('has a normalised distribution over the whole vocabulary, with or without an adapter', () => {
    const adapter = new LoraAdapter(4, model, 3);
    adapter.addCol(model.encode(' copper')[0]!);
    const rng = seededRng(9);
    const { B } = adapter.weights();
    for (let i = 0; i < B.length; i++) B[i] = 0.2 * gaussian(rng);
    adapter.invalidate();
    for (const a of [undefined, adapter]) {
      const d = model.distribution(model.rowOf(tokens[1]!, a), a);
      let total = d.tailProb * (model.vocabSize - d.prob.length);
      for (const p of d.prob) total += p;
      assert.ok(Math.abs(total - 1) < 1e-9, `sums to ${total}`);
    }
  });

  for (const fn of LOSS_FNS) {
    it(`${fn}: analytic gradients match finite differences (tokens the base never saw included)`, () => {
      const adapter = new LoraAdapter(4, model, 5);
      const d: PreparedDatum = {
        tokens: tokens.slice(0, -1),
        targets: tokens.slice(1),
        weights: tokens.slice(1).map((_, i) => (i === 0 ? 0 : 1 + (i % 3) * 0.5)),
      };
      const config = { clipLow: 0.8, clipHigh: 1.2, beta: 0.3 };
      // First pass grows rows and columns for unseen tokens; lr 0 clears the gradient it left.
      computeLoss(model, adapter, [d], 'cross_entropy', config, true);
      adapter.adamStep({ learning_rate: 0, beta1: 0.9, beta2: 0.95, eps: 1e-8 });
      const rng = seededRng(17);
      const w = adapter.weights();
      for (let i = 0; i < w.B.length; i++) w.B[i] = 0.05 * gaussian(rng);
      adapter.invalidate();
      const current = computeLoss(model, adapter, [d], 'cross_entropy', config, false).perDatum[0]!.logprobs;
      // Sampler logprobs a little below the current ones keep ratios inside the clip range.
      d.samplerLogprobs = current.map((lp, i) => lp - 0.02 * ((i % 4) - 1));
      d.advantages = current.map((_, i) => (i % 2 === 0 ? 1 : -0.5));

      // CISPO's clipped ratio is a stop-gradient coefficient, so its reference derivative
      // holds that coefficient at the unperturbed value; the other losses differentiate as written.
      const frozen = current.map((lp, i) => Math.min(Math.max(Math.exp(lp - d.samplerLogprobs![i]!), config.clipLow), config.clipHigh));
      const objective = () => {
        const r = computeLoss(model, adapter, [d], fn, config, false);
        if (fn !== 'cispo') return r.totalLoss;
        return r.perDatum[0]!.logprobs.reduce((acc, lp, i) => acc - d.weights[i]! * frozen[i]! * lp * d.advantages![i]!, 0);
      };
      computeLoss(model, adapter, [d], fn, config, true);
      const grads = adapter.gradients();
      const g = { A: Float64Array.from(grads.A), B: Float64Array.from(grads.B) };
      let checked = 0;
      for (const which of ['A', 'B'] as const) {
        const arr = adapter.weights()[which];
        const candidates = [...g[which].keys()].filter((i) => Math.abs(g[which][i]!) > 1e-4);
        assert.ok(candidates.length > 0, `${which} must receive gradient`);
        for (const i of candidates.filter((_, k) => k % Math.ceil(candidates.length / 6) === 0)) {
          const h = 1e-5;
          const keep = arr[i]!;
          arr[i] = keep + h;
          adapter.invalidate();
          const up = objective();
          arr[i] = keep - h;
          adapter.invalidate();
          const down = objective();
          arr[i] = keep;
          adapter.invalidate();
          const numeric = (up - down) / (2 * h);
          const analytic = g[which][i]!;
          assert.ok(
            Math.abs(numeric - analytic) <= 1e-4 + 1e-3 * Math.abs(numeric),
            `${which}[${i}]: analytic ${analytic} vs numeric ${numeric}`,
          );
          checked++;
        }
      }
      assert.ok(checked >= 6);
    });
  }

  it('samples 16 tokens in well under a millisecond of CPU', () => {
    const prompt = tokens.slice(0, 5);
    const opts = { maxTokens: 16, temperature: 0.8, topP: 0.95, topK: 50, stopStrings: [], stopTokens: [] };
    const rng = seededRng(1);
    for (let i = 0; i < 200; i++) generate(model, undefined, prompt, opts, rng);
    const n = 2000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) generate(model, undefined, prompt, opts, rng);
    const perSample = (performance.now() - t0) / n;
    assert.ok(perSample < 0.5, `a 16-token sample took ${perSample.toFixed(3)} ms`);
  });
});
