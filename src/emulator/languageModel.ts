import corpusText from './corpus.txt';
import type { LoraAdapter } from './lora';
import { loadQwen3Tokenizer, type LoadedTokenizer } from './tokenizer';

/**
 * The next-token distribution after one context token, over the active vocabulary. Tokens
 * outside it all share `tailLogprob`, so every id of the real vocabulary has a finite logprob.
 */
export interface RowDist {
  /** softmax(base + adapter) over the active vocabulary: what gradients flow through. */
  softmax: Float64Array;
  /** Probability of each active token in the full mixture (softmax share plus tail share). */
  prob: Float64Array;
  logp: Float64Array;
  /** Active indices by falling probability, built on first use (top-k, top-p, greedy). */
  order?: Int32Array;
}

/** Probability mass spread evenly over the whole vocabulary: keeps every logprob finite. */
const TAIL_MASS = 1e-4;
/** Strength of the unigram prior behind each bigram row (a Dirichlet pseudo-count). */
const PRIOR_STRENGTH = 1;
/** Row caches are bounded so a long-lived adapter cannot grow without limit. */
const MAX_CACHED_ROWS = 4096;

/**
 * A bigram language model over Qwen3 token ids, trained at start-up on a few KB of prose that
 * ships with the emulator. Small on purpose: a sample of 16 tokens costs microseconds, yet
 * tokens, logprobs, seeds and stop conditions behave as they do on a real model.
 */
export class LanguageModel {
  readonly vocabSize: number;
  readonly nActive: number;
  /** Rows of the logit table: one per active token, plus one for contexts never seen. */
  readonly rows: number;
  readonly active: Int32Array;
  readonly activeIndex: Int32Array;
  readonly baseLogits: Float64Array;
  readonly tailProb: number;
  readonly tailLogprob: number;
  readonly eosIds: readonly number[];
  readonly tok: LoadedTokenizer;
  private readonly baseCache = new Map<number, RowDist>();

  constructor(tok: LoadedTokenizer, corpus: string) {
    this.tok = tok;
    const t = tok.tokenizer;
    const imEnd = t.token_to_id('<|im_end|>');
    const eot = t.token_to_id('<|endoftext|>');
    if (imEnd === undefined || eot === undefined) throw new Error('The tokenizer lacks <|im_end|> or <|endoftext|>; the emulator needs a Qwen3 tokenizer.');
    this.eosIds = [imEnd, eot];
    let maxId = 0;
    for (const id of t.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;

    // Paragraphs end in <|im_end|> and are separated by a blank line, so a prompt ending in a
    // chat template's "assistant\n\n" starts a paragraph and the model knows when to stop.
    const paragraphs = corpus.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
    const seq = t.encode(paragraphs.join('<|im_end|>\n\n') + '<|im_end|><|endoftext|>', { add_special_tokens: false }).ids;

    const ids = [...new Set(seq)].sort((a, b) => a - b);
    this.nActive = ids.length;
    this.rows = this.nActive + 1;
    this.active = Int32Array.from(ids);
    this.activeIndex = new Int32Array(this.vocabSize).fill(-1);
    ids.forEach((id, i) => (this.activeIndex[id] = i));

    const n = this.nActive;
    const uni = new Float64Array(n).fill(0.5);
    const pair = new Map<number, Map<number, number>>();
    const rowTotal = new Float64Array(n);
    for (let i = 0; i < seq.length; i++) {
      const cur = this.activeIndex[seq[i]!]!;
      uni[cur]! += 1;
      if (i === 0) continue;
      const prev = this.activeIndex[seq[i - 1]!]!;
      let m = pair.get(prev);
      if (!m) pair.set(prev, (m = new Map()));
      m.set(cur, (m.get(cur) ?? 0) + 1);
      rowTotal[prev]! += 1;
    }
    const uniSum = uni.reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++) uni[j]! /= uniSum;

    this.baseLogits = new Float64Array(this.rows * n);
    for (let r = 0; r < this.rows; r++) {
      const counts = r < n ? pair.get(r) : undefined;
      const total = r < n ? rowTotal[r]! : 0;
      const off = r * n;
      for (let j = 0; j < n; j++) {
        const c = counts?.get(j) ?? 0;
        this.baseLogits[off + j] = Math.log((c + PRIOR_STRENGTH * uni[j]!) / (total + PRIOR_STRENGTH));
      }
    }
    this.tailProb = TAIL_MASS / this.vocabSize;
    this.tailLogprob = Math.log(this.tailProb);
  }

  /** The logit row a previous token selects. */
  rowOf(prevToken: number): number {
    const i = prevToken >= 0 && prevToken < this.vocabSize ? this.activeIndex[prevToken]! : -1;
    return i >= 0 ? i : this.nActive;
  }

  logprobOf(dist: RowDist, token: number): number {
    const i = token >= 0 && token < this.vocabSize ? this.activeIndex[token]! : -1;
    return i >= 0 ? dist.logp[i]! : this.tailLogprob;
  }

  /** The distribution after `row`, with the adapter's delta when it has any effect yet. */
  distribution(row: number, adapter?: LoraAdapter): RowDist {
    const useAdapter = adapter !== undefined && adapter.hasEffect();
    const cache = useAdapter ? adapter.rowCache : this.baseCache;
    const hit = cache.get(row);
    if (hit) return hit;
    const n = this.nActive;
    const z = this.baseLogits.slice(row * n, row * n + n);
    if (useAdapter) adapter.addDelta(row, z);
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (z[j]! > max) max = z[j]!;
    let sum = 0;
    const softmax = new Float64Array(n);
    for (let j = 0; j < n; j++) sum += softmax[j] = Math.exp(z[j]! - max);
    const prob = new Float64Array(n);
    const logp = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      softmax[j]! /= sum;
      prob[j] = (1 - TAIL_MASS) * softmax[j]! + this.tailProb;
      logp[j] = Math.log(prob[j]!);
    }
    const dist: RowDist = { softmax, prob, logp };
    if (cache.size >= MAX_CACHED_ROWS) cache.clear();
    cache.set(row, dist);
    return dist;
  }

  order(dist: RowDist): Int32Array {
    if (!dist.order) {
      const idx = new Int32Array(this.nActive);
      for (let i = 0; i < idx.length; i++) idx[i] = i;
      dist.order = idx.sort((a, b) => dist.prob[b]! - dist.prob[a]!);
    }
    return dist.order;
  }

  /** Softmax share's weight inside the mixture: d log p / d z carries this factor. */
  get softmaxMass(): number {
    return 1 - TAIL_MASS;
  }

  /** A uniformly chosen id outside the active vocabulary. */
  randomTailToken(u: number): number {
    for (let attempt = 0; attempt < 64; attempt++) {
      const id = Math.floor(((u + attempt * 0.6180339887) % 1) * this.vocabSize);
      if (this.activeIndex[id] === -1) return id;
    }
    return this.vocabSize - 1;
  }

  decode(ids: number[], skipSpecial = false): string {
    return this.tok.tokenizer.decode(ids, { skip_special_tokens: skipSpecial });
  }

  encode(text: string): number[] {
    return this.tok.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }
}

let shared: LanguageModel | undefined;

/** One model per process: every emulator instance (and every test) shares the same base. */
export function loadLanguageModel(): LanguageModel {
  shared ??= new LanguageModel(loadQwen3Tokenizer(), corpusText);
  return shared;
}
