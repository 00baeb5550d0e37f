import type { LanguageModel, RowDist } from './languageModel';
import type { LoraAdapter } from './lora';
import type { Rng } from './rng';

export interface SamplingOptions {
  maxTokens: number;
  temperature: number;
  topP: number;
  /** -1 (or 0) means no limit, as in Tinker. */
  topK: number;
  stopStrings: string[];
  stopTokens: number[];
}

export interface SampledSequence {
  tokens: number[];
  logprobs: number[];
  stop_reason: 'stop' | 'length';
  /** Only when asked (`topk_sample_logprobs` > 0): the model's top-k [token, logprob] at each sampled position. */
  topk_logprobs?: [number, number][][];
}

/**
 * Picks the next token. Logprobs reported to the caller are always the model's own
 * (temperature 1, no truncation), so they match what `forward` computes for the same tokens.
 */
function pick(model: LanguageModel, dist: RowDist, o: SamplingOptions, rng: Rng): number {
  const n = dist.prob.length;
  const cols = dist.colTokens;
  if (o.temperature <= 0) return cols[model.order(dist)[0]!]!;
  const nTail = model.vocabSize - n;
  const unrestricted = o.topK <= 0 && o.topP >= 1;
  if (unrestricted && o.temperature === 1) {
    let u = rng();
    for (let i = 0; i < n; i++) {
      u -= dist.prob[i]!;
      if (u < 0) return cols[i]!;
    }
    return model.randomTailToken(dist, rng());
  }
  // Temperature first, then top-k, then top-p, as vLLM orders them. The tail tokens share one
  // probability, so they are handled as a block of `nTail` equal weights.
  const order = model.order(dist);
  const invT = 1 / o.temperature;
  const top = dist.logp[order[0]!]!;
  // A temperature below ~5e-309 makes 1/T infinite, and 0 · ∞ would turn the top token's weight
  // into NaN (then nothing is ever drawn and a tail token comes out); the limit is greedy, so
  // the top weight is 1 and every lower one exp(-∞) = 0.
  const scaled = (lp: number) => (lp === top ? 1 : Math.exp((lp - top) * invT));
  const k = o.topK > 0 ? o.topK : Infinity;
  const keepActive = Math.min(n, k);
  const weights = new Float64Array(keepActive);
  let z = 0;
  for (let i = 0; i < keepActive; i++) z += weights[i] = scaled(dist.logp[order[i]!]!);
  const tailWeight = scaled(dist.tailLogprob);
  let keepTail = Math.max(0, Math.min(nTail, k - keepActive));
  z += keepTail * tailWeight;
  let kept = keepActive;
  if (o.topP < 1) {
    let cum = 0;
    kept = 0;
    while (kept < keepActive && cum < o.topP * z) cum += weights[kept++]!;
    if (cum >= o.topP * z) keepTail = 0;
    else keepTail = Math.min(keepTail, Math.ceil((o.topP * z - cum) / tailWeight));
  }
  let mass = keepTail * tailWeight;
  for (let i = 0; i < kept; i++) mass += weights[i]!;
  let u = rng() * mass;
  for (let i = 0; i < kept; i++) {
    u -= weights[i]!;
    if (u < 0) return cols[order[i]!]!;
  }
  return keepTail > 0 && tailWeight > 0 ? model.randomTailToken(dist, rng()) : cols[order[Math.max(0, kept - 1)]!]!;
}

export function generate(
  model: LanguageModel,
  adapter: LoraAdapter | undefined,
  prompt: number[],
  o: SamplingOptions,
  rng: Rng,
  topk = 0,
): SampledSequence {
  const tokens: number[] = [];
  const logprobs: number[] = [];
  const alts: [number, number][][] | undefined = topk > 0 ? [] : undefined;
  const done = (stop_reason: 'stop' | 'length'): SampledSequence =>
    alts ? { tokens, logprobs, stop_reason, topk_logprobs: alts } : { tokens, logprobs, stop_reason };
  const stopIds = new Set([...model.eosIds, ...o.stopTokens]);
  const longestStop = o.stopStrings.reduce((m, s) => Math.max(m, s.length), 0);
  let prev = prompt.length > 0 ? prompt[prompt.length - 1]! : -1;
  while (tokens.length < o.maxTokens) {
    const dist = model.distribution(model.rowOf(prev, adapter), adapter);
    const next = pick(model, dist, o, rng);
    tokens.push(next);
    logprobs.push(model.logprobOf(dist, next));
    if (alts) alts.push(topOf(model, dist, topk));
    if (stopIds.has(next)) return done('stop');
    if (longestStop > 0) {
      // A stop string can only complete inside the newest token, so a short suffix suffices.
      const window = model.decode(tokens.slice(-(longestStop + 4)));
      if (o.stopStrings.some((s) => s.length > 0 && window.includes(s))) return done('stop');
    }
    prev = next;
  }
  return done('length');
}

/** The k most likely tokens of one distribution, most likely first, as [token id, logprob]. */
function topOf(model: LanguageModel, dist: RowDist, k: number): [number, number][] {
  const order = model.order(dist);
  const out: [number, number][] = [];
  for (let j = 0; j < Math.min(k, order.length); j++) out.push([dist.colTokens[order[j]!]!, dist.logp[order[j]!]!]);
  return out;
}

/** Logprob of each prompt token given the one before; the first has no context, hence null. */
export function promptLogprobs(model: LanguageModel, adapter: LoraAdapter | undefined, prompt: number[]): (number | null)[] {
  return prompt.map((t, i) => (i === 0 ? null : model.logprobOf(model.distribution(model.rowOf(prompt[i - 1]!, adapter), adapter), t)));
}

export function topkPromptLogprobs(
  model: LanguageModel,
  adapter: LoraAdapter | undefined,
  prompt: number[],
  k: number,
): ([number, number][] | null)[] {
  return prompt.map((_, i) => (i === 0 ? null : topOf(model, model.distribution(model.rowOf(prompt[i - 1]!, adapter), adapter), k)));
}
