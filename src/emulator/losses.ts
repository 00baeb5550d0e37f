import { FutureWorkError } from './futures';
import type { LanguageModel } from './languageModel';
import type { LoraAdapter } from './lora';

export const LOSS_FNS = ['cross_entropy', 'importance_sampling', 'ppo', 'cispo', 'dro'] as const;
export type LossFn = (typeof LOSS_FNS)[number];

/** One datum after validation: position i of `tokens` predicts `targets[i]`. */
export interface PreparedDatum {
  tokens: number[];
  targets: number[];
  weights: number[];
  samplerLogprobs?: number[];
  advantages?: number[];
}

export interface LossConfig {
  clipLow: number;
  clipHigh: number;
  beta: number;
}

export interface LossResult {
  perDatum: { logprobs: number[]; loss: number }[];
  totalLoss: number;
  numTokens: number;
}

/**
 * One token's loss and d loss / d logprob, per the Tinker/MinT loss definitions (each summed
 * over tokens; `weights` scales each position). `ratio` is p_theta / q_sampler.
 */
export function tokenTerm(fn: LossFn, lp: number, d: PreparedDatum, i: number, c: LossConfig): { loss: number; dLp: number } {
  if (fn === 'cross_entropy') return { loss: -lp, dLp: -1 };
  const adv = d.advantages![i]!;
  const q = d.samplerLogprobs![i]!;
  const ratio = Math.exp(lp - q);
  switch (fn) {
    case 'importance_sampling':
      return { loss: -ratio * adv, dLp: -ratio * adv };
    case 'ppo': {
      const clipped = Math.min(Math.max(ratio, c.clipLow), c.clipHigh);
      const unclippedObj = ratio * adv;
      const clippedObj = clipped * adv;
      // min() picks the pessimistic branch; only the unclipped one depends on the weights.
      if (unclippedObj <= clippedObj) return { loss: -unclippedObj, dLp: -ratio * adv };
      return { loss: -clippedObj, dLp: 0 };
    }
    case 'cispo': {
      // The clipped ratio is a constant coefficient (stop-gradient), as CISPO defines it.
      const clipped = Math.min(Math.max(ratio, c.clipLow), c.clipHigh);
      return { loss: -clipped * lp * adv, dLp: -clipped * adv };
    }
    case 'dro': {
      const diff = lp - q;
      return { loss: -(lp * adv - 0.5 * c.beta * diff * diff), dLp: -(adv - c.beta * diff) };
    }
  }
}

/**
 * Forward (and optionally backward) through the model with its adapter. Backward first gives
 * unseen tokens their adapter rows and columns, then gathers d loss / d logits per row, so
 * the LoRA update costs O(rows touched), not O(tokens).
 */
export function computeLoss(
  model: LanguageModel,
  adapter: LoraAdapter,
  data: PreparedDatum[],
  fn: LossFn,
  config: LossConfig,
  backward: boolean,
): LossResult {
  if (backward) {
    for (const d of data) {
      for (let i = 0; i < d.tokens.length; i++) {
        if (d.weights[i] === 0) continue;
        if (model.rowOf(d.tokens[i]!) === model.nActive) adapter.addRow(d.tokens[i]!);
        adapter.addCol(d.targets[i]!);
      }
    }
  }
  const gradRows = new Map<number, Float64Array>();
  const perDatum: LossResult['perDatum'] = [];
  let totalLoss = 0;
  let numTokens = 0;
  for (const d of data) {
    const logprobs: number[] = new Array(d.tokens.length);
    let datumLoss = 0;
    for (let i = 0; i < d.tokens.length; i++) {
      const row = model.rowOf(d.tokens[i]!, adapter);
      const dist = model.distribution(row, adapter);
      const target = d.targets[i]!;
      const lp = model.logprobOf(dist, target);
      logprobs[i] = lp;
      const w = d.weights[i]!;
      if (w === 0) continue;
      numTokens++;
      const { loss, dLp } = tokenTerm(fn, lp, d, i, config);
      datumLoss += w * loss;
      if (!backward || dLp === 0) continue;
      // p(t) = p_base(t)·e^{z_t} / Z, so d log p(t) / d z_j = [j = t] − p(j).
      const coef = w * dLp;
      let gz = gradRows.get(row);
      if (!gz) gradRows.set(row, (gz = new Float64Array(dist.prob.length)));
      const p = dist.prob;
      for (let j = 0; j < p.length; j++) gz[j]! -= coef * p[j]!;
      const t = dist.colOf(target);
      if (t >= 0) gz[t]! += coef;
    }
    perDatum.push({ logprobs, loss: datumLoss });
    totalLoss += datumLoss;
  }
  if (!Number.isFinite(totalLoss)) {
    // Checked before any gradient is added, so a bad batch leaves the model as it was.
    throw new FutureWorkError(
      `The ${fn} loss is not finite (${totalLoss}), so this batch was dropped and no gradient was kept. ` +
        'An importance ratio exp(logprob - sampler logprob) overflowed: send the logprobs the sampler returned for these tokens, and finite advantages.',
    );
  }
  for (const [row, gz] of gradRows) adapter.accumulate(row, gz);
  return { perDatum, totalLoss, numTokens };
}
