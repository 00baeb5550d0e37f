import corpusText from './corpus.txt';
import type { BaseShape, LoraAdapter } from './lora';
import { loadQwen3Tokenizer, type LoadedTokenizer } from './tokenizer';

/**
 * The next-token distribution after one context row, over the model's columns (the base
 * vocabulary plus any columns an adapter added). Every other token of the real vocabulary
 * shares `tailProb`, so each id has a finite logprob.
 */
export interface RowDist {
  prob: Float64Array;
  logp: Float64Array;
  tailProb: number;
  tailLogprob: number;
  /** Token id of each column. */
  colTokens: Int32Array;
  /** Column of a token id, or -1 for a tail token. */
  colOf: (token: number) => number;
  /** Columns by falling probability, built on first use (top-k, top-p, greedy). */
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
 * tokens, logprobs, seeds and stop conditions behave as they do on a real model. An adapter
 * reweights it: p(t) ∝ p_base(t) · exp(delta(t)).
 */
export class LanguageModel implements BaseShape {
  readonly vocabSize: number;
  readonly nActive: number;
  /** Rows of the base table: one per active token, plus one (the last) for contexts never seen. */
  readonly rows: number;
  readonly activeTokens: Int32Array;
  readonly activeIndex: Int32Array;
  /** log p_base(col | row), rows × nActive, tail mass included. */
  readonly baseLogp: Float64Array;
  readonly tailProb: number;
  readonly tailLogprob: number;
  readonly eosIds: readonly number[];
  readonly tok: LoadedTokenizer;
  private readonly baseCache = new Map<number, RowDist>();
  private readonly baseColOf = (token: number) => (token >= 0 && token < this.vocabSize ? this.activeIndex[token]! : -1);

  constructor(tok: LoadedTokenizer, corpus: string) {
    this.tok = tok;
    const t = tok.tokenizer;
    const imEnd = t.token_to_id('<|im_end|>');
    const eot = t.token_to_id('<|endoftext|>');
    if (imEnd === undefined || eot === undefined)
      throw new Error('The tokenizer lacks <|im_end|> or <|endoftext|>; the emulator needs a Qwen3 tokenizer.');
    this.eosIds = [imEnd, eot];
    let maxId = 0;
    for (const id of t.get_vocab(true).values()) if (id > maxId) maxId = id;
    this.vocabSize = maxId + 1;

    // Each paragraph follows a newline token and ends in <|im_end|>, so a prompt ending the way
    // the Qwen3 chat template ends ("assistant\n", or "</think>\n\n") starts a paragraph, and
    // the model knows when to stop. The two newline tokens alternate so both lead somewhere.
    const paragraphs = corpus
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter(Boolean);
    const newlines = [t.encode('\n', { add_special_tokens: false }).ids, t.encode('\n\n', { add_special_tokens: false }).ids];
    const seq: number[] = [];
    paragraphs.forEach((p, i) => seq.push(...newlines[i % 2]!, ...t.encode(p, { add_special_tokens: false }).ids, imEnd));
    seq.push(eot);

    const ids = [...new Set(seq)].sort((a, b) => a - b);
    this.nActive = ids.length;
    this.rows = this.nActive + 1;
    this.activeTokens = Int32Array.from(ids);
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

    this.tailProb = TAIL_MASS / this.vocabSize;
    this.tailLogprob = Math.log(this.tailProb);
    this.baseLogp = new Float64Array(this.rows * n);
    for (let r = 0; r < this.rows; r++) {
      const counts = r < n ? pair.get(r) : undefined;
      const total = r < n ? rowTotal[r]! : 0;
      const off = r * n;
      for (let j = 0; j < n; j++) {
        const bigram = ((counts?.get(j) ?? 0) + PRIOR_STRENGTH * uni[j]!) / (total + PRIOR_STRENGTH);
        this.baseLogp[off + j] = Math.log((1 - TAIL_MASS) * bigram + this.tailProb);
      }
    }
  }

  /** The row a previous token selects: its own, an adapter-added one, or the shared unseen row. */
  rowOf(prevToken: number, adapter?: LoraAdapter): number {
    const i = prevToken >= 0 && prevToken < this.vocabSize ? this.activeIndex[prevToken]! : -1;
    if (i >= 0) return i;
    const extra = adapter ? adapter.extraRowOf(prevToken) : -1;
    return extra >= 0 ? extra : this.nActive;
  }

  logprobOf(dist: RowDist, token: number): number {
    const c = dist.colOf(token);
    return c >= 0 ? dist.logp[c]! : dist.tailLogprob;
  }

  /** The distribution after `row`, with the adapter's reweighting once it has any effect. */
  distribution(row: number, adapter?: LoraAdapter): RowDist {
    const useAdapter = adapter !== undefined && (adapter.hasEffect() || row >= this.rows || adapter.cols > this.nActive);
    const cache = useAdapter ? adapter.rowCache : this.baseCache;
    const hit = cache.get(row);
    if (hit) return hit;
    const n = this.nActive;
    const baseRow = row < this.rows ? row : this.nActive;
    let dist: RowDist;
    if (!useAdapter) {
      const logp = this.baseLogp.slice(baseRow * n, baseRow * n + n);
      const prob = logp.map(Math.exp);
      dist = { prob, logp, tailProb: this.tailProb, tailLogprob: this.tailLogprob, colTokens: this.activeTokens, colOf: this.baseColOf };
    } else {
      const cols = adapter.cols;
      const z = new Float64Array(cols);
      z.set(this.baseLogp.subarray(baseRow * n, baseRow * n + n));
      for (let j = n; j < cols; j++) z[j] = this.tailLogprob;
      adapter.addDelta(row, z);
      let max = this.tailLogprob;
      for (let j = 0; j < cols; j++) if (z[j]! > max) max = z[j]!;
      const tailCount = this.vocabSize - cols;
      const tailW = Math.exp(this.tailLogprob - max);
      let sum = tailCount * tailW;
      const prob = new Float64Array(cols);
      for (let j = 0; j < cols; j++) sum += prob[j] = Math.exp(z[j]! - max);
      const logZ = Math.log(sum) + max;
      const logp = new Float64Array(cols);
      for (let j = 0; j < cols; j++) {
        prob[j]! /= sum;
        logp[j] = z[j]! - logZ;
      }
      dist = {
        prob,
        logp,
        tailProb: tailW / sum,
        tailLogprob: this.tailLogprob - logZ,
        colTokens: adapter.colTokens,
        colOf: (t) => adapter.colOf(t),
      };
    }
    if (cache.size >= MAX_CACHED_ROWS) cache.clear();
    cache.set(row, dist);
    return dist;
  }

  order(dist: RowDist): Int32Array {
    if (!dist.order) {
      const idx = new Int32Array(dist.prob.length);
      for (let i = 0; i < idx.length; i++) idx[i] = i;
      dist.order = idx.sort((a, b) => dist.prob[b]! - dist.prob[a]!);
    }
    return dist.order;
  }

  /** A uniformly chosen id outside the distribution's columns. */
  randomTailToken(dist: RowDist, u: number): number {
    for (let attempt = 0; attempt < 64; attempt++) {
      const id = Math.floor(((u + attempt * 0.6180339887) % 1) * this.vocabSize);
      if (dist.colOf(id) < 0) return id;
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
