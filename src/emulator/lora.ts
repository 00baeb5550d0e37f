import { FutureWorkError } from './futures';
import type { RowDist } from './languageModel';
import { deriveSeed, gaussian, seededRng } from './rng';

/** LoRA's scaling numerator; the update is (A·B)·alpha/rank as in the LoRA paper. */
export const LORA_ALPHA = 32;

export interface AdamParams {
  learning_rate: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** What a checkpoint stores: the adapter, and for training checkpoints the optimizer too. */
export interface AdapterState {
  rank: number;
  seed: number;
  /** Context tokens outside the base vocabulary that got their own row, in row order. */
  extraRowTokens: number[];
  /** Output tokens outside the base vocabulary that got their own column, in column order. */
  extraColTokens: number[];
  A: Float64Array;
  B: Float64Array;
  optimizer?: { step: number; mA: Float64Array; vA: Float64Array; mB: Float64Array; vB: Float64Array };
}

/** Why an adapter state cannot be loaded into a model of this shape, or undefined when it can. */
export function adapterMisfit(s: AdapterState, base: BaseShape): string | undefined {
  const inBase = (t: number) => t >= 0 && t < base.activeIndex.length && base.activeIndex[t]! >= 0;
  const rowTokens = new Set(s.extraRowTokens.filter((t) => !inBase(t)));
  const colTokens = new Set(s.extraColTokens.filter((t) => !inBase(t)));
  if (rowTokens.size !== s.extraRowTokens.length || colTokens.size !== s.extraColTokens.length) {
    return 'its extra row or column tokens repeat or are in the base vocabulary, so it was made by a different emulator model';
  }
  const wantA = (base.rows + rowTokens.size) * s.rank;
  const wantB = (base.activeTokens.length + colTokens.size) * s.rank;
  if (s.A.length !== wantA || s.B.length !== wantB) {
    return `its tensors do not fit this model (A ${s.A.length} vs ${wantA}, B ${s.B.length} vs ${wantB}), so it was made by a different emulator model`;
  }
  const o = s.optimizer;
  if (o && (o.mA.length !== wantA || o.vA.length !== wantA || o.mB.length !== wantB || o.vB.length !== wantB))
    return 'its optimizer state does not match its weights';
  return undefined;
}

/** Weights with their gradient and Adam moments, growing together as rows or columns are added. */
class ParamBlock {
  w: Float64Array;
  g: Float64Array;
  m: Float64Array;
  v: Float64Array;
  length: number;

  constructor(length: number) {
    this.length = length;
    this.w = new Float64Array(length);
    this.g = new Float64Array(length);
    this.m = new Float64Array(length);
    this.v = new Float64Array(length);
  }

  grow(extra: number): void {
    const need = this.length + extra;
    if (need > this.w.length) {
      const cap = Math.max(need, this.w.length * 2);
      for (const k of ['w', 'g', 'm', 'v'] as const) {
        const next = new Float64Array(cap);
        next.set(this[k].subarray(0, this.length));
        this[k] = next;
      }
    }
    this.length = need;
  }
}

/** The shape of the base model an adapter attaches to. */
export interface BaseShape {
  /** Base rows: one per base-vocabulary token, plus one shared row for unseen contexts. */
  rows: number;
  /** Base columns: the base vocabulary (token ids in `activeTokens` order). */
  activeTokens: Int32Array;
  activeIndex: Int32Array;
}

/**
 * A LoRA adapter on the model's logits: logit(row, col) += (A[row] · B[:, col]) · alpha/rank.
 * B starts at zero, so an untrained adapter is exactly the base model, as in LoRA. Tokens
 * outside the base vocabulary get a row (as context) or a column (as output) the first time a
 * training batch uses them, so fine-tuning can teach words the base corpus never saw.
 */
export class LoraAdapter {
  readonly rank: number;
  readonly seed: number;
  readonly scale: number;
  private readonly base: BaseShape;
  private readonly a: ParamBlock;
  private readonly b: ParamBlock;
  private readonly extraRows = new Map<number, number>();
  private readonly extraCols = new Map<number, number>();
  private readonly extraRowList: number[] = [];
  private readonly extraColList: number[] = [];
  /** Token id of every column, base vocabulary first. */
  colTokens: Int32Array;
  step = 0;
  /** Rows of the model's distribution under this adapter; cleared whenever the weights move. */
  readonly rowCache = new Map<number, RowDist>();
  private effect = false;

  constructor(rank: number, base: BaseShape, seed: number) {
    this.rank = rank;
    this.seed = seed;
    this.scale = LORA_ALPHA / rank;
    this.base = base;
    this.a = new ParamBlock(base.rows * rank);
    const rng = seededRng(seed);
    for (let i = 0; i < this.a.length; i++) this.a.w[i] = gaussian(rng);
    this.b = new ParamBlock(base.activeTokens.length * rank);
    this.colTokens = base.activeTokens;
  }

  static fromState(s: AdapterState, base: BaseShape, withOptimizer: boolean): LoraAdapter {
    const ad = new LoraAdapter(s.rank, base, s.seed);
    for (const t of s.extraRowTokens) ad.addRow(t);
    for (const t of s.extraColTokens) ad.addCol(t);
    if (s.A.length !== ad.a.length || s.B.length !== ad.b.length) {
      throw new FutureWorkError(
        `Adapter state does not fit this model (A ${s.A.length} vs ${ad.a.length}, B ${s.B.length} vs ${ad.b.length}); the checkpoint was made by a different emulator model.`,
      );
    }
    ad.a.w.set(s.A);
    ad.b.w.set(s.B);
    if (withOptimizer && s.optimizer) {
      ad.step = s.optimizer.step;
      ad.a.m.set(s.optimizer.mA);
      ad.a.v.set(s.optimizer.vA);
      ad.b.m.set(s.optimizer.mB);
      ad.b.v.set(s.optimizer.vB);
    }
    ad.effect = ad.b.w.subarray(0, ad.b.length).some((x) => x !== 0);
    return ad;
  }

  state(withOptimizer: boolean): AdapterState {
    const cut = (p: ParamBlock, k: 'w' | 'm' | 'v') => p[k].slice(0, p.length);
    const s: AdapterState = {
      rank: this.rank,
      seed: this.seed,
      extraRowTokens: [...this.extraRowList],
      extraColTokens: [...this.extraColList],
      A: cut(this.a, 'w'),
      B: cut(this.b, 'w'),
    };
    if (withOptimizer)
      s.optimizer = { step: this.step, mA: cut(this.a, 'm'), vA: cut(this.a, 'v'), mB: cut(this.b, 'm'), vB: cut(this.b, 'v') };
    return s;
  }

  get cols(): number {
    return this.colTokens.length;
  }

  /** The row a context token selects, or -1 when it has none (the shared unseen row applies). */
  extraRowOf(token: number): number {
    return this.extraRows.get(token) ?? -1;
  }

  colOf(token: number): number {
    const i = token >= 0 && token < this.base.activeIndex.length ? this.base.activeIndex[token]! : -1;
    return i >= 0 ? i : (this.extraCols.get(token) ?? -1);
  }

  /** Gives a context token its own row; its A row is seeded from the token so runs reproduce. */
  addRow(token: number): number {
    const existing = this.extraRows.get(token);
    if (existing !== undefined) return existing;
    const row = this.base.rows + this.extraRowList.length;
    const off = this.a.length;
    this.a.grow(this.rank);
    const rng = seededRng(deriveSeed(this.seed, token));
    for (let k = 0; k < this.rank; k++) this.a.w[off + k] = gaussian(rng);
    this.extraRows.set(token, row);
    this.extraRowList.push(token);
    this.rowCache.clear();
    return row;
  }

  /** Gives an output token its own column; B starts at zero there, so nothing changes until trained. */
  addCol(token: number): number {
    const existing = this.colOf(token);
    if (existing >= 0) return existing;
    const col = this.colTokens.length;
    this.b.grow(this.rank);
    this.extraCols.set(token, col);
    this.extraColList.push(token);
    const next = new Int32Array(col + 1);
    next.set(this.colTokens);
    next[col] = token;
    this.colTokens = next;
    this.rowCache.clear();
    return col;
  }

  /** False while B is all zero: the base model's cached rows can be used as they are. */
  hasEffect(): boolean {
    return this.effect;
  }

  /** z[col] += delta(row, col) for every column. */
  addDelta(row: number, z: Float64Array): void {
    const r = this.rank;
    const aOff = row * r;
    const A = this.a.w;
    const B = this.b.w;
    for (let j = 0; j < this.cols; j++) {
      const bOff = j * r;
      let d = 0;
      for (let k = 0; k < r; k++) d += A[aOff + k]! * B[bOff + k]!;
      z[j]! += d * this.scale;
    }
  }

  /** Accumulates d loss / d A and d loss / d B from d loss / d logits of one row. */
  accumulate(row: number, gz: Float64Array): void {
    const r = this.rank;
    const aOff = row * r;
    const A = this.a.w;
    const B = this.b.w;
    const gA = this.a.g;
    const gB = this.b.g;
    for (let j = 0; j < gz.length; j++) {
      const g = gz[j]! * this.scale;
      if (g === 0) continue;
      const bOff = j * r;
      for (let k = 0; k < r; k++) {
        gA[aOff + k]! += g * B[bOff + k]!;
        gB[bOff + k]! += g * A[aOff + k]!;
      }
    }
  }

  /** Adam with bias correction, then the gradients are cleared (optim_step semantics). */
  adamStep(p: AdamParams): { gradNorm: number } {
    let sq = 0;
    for (const blk of [this.a, this.b]) for (let i = 0; i < blk.length; i++) sq += blk.g[i]! * blk.g[i]!;
    if (!Number.isFinite(sq)) {
      // One overflowing ratio would turn every weight into NaN: refuse the step, keep the weights.
      for (const blk of [this.a, this.b]) blk.g.fill(0);
      throw new FutureWorkError(
        'optim_step refused: the accumulated gradient is not finite, so the weights were left unchanged and the gradient cleared. ' +
          'Check the logprobs and advantages sent to forward_backward (an importance ratio exp(logprob - sampler logprob) overflowed).',
      );
    }
    const before = [this.a, this.b].map((blk) => ({
      w: blk.w.slice(0, blk.length),
      m: blk.m.slice(0, blk.length),
      v: blk.v.slice(0, blk.length),
    }));
    this.step++;
    const c1 = 1 - Math.pow(p.beta1, this.step);
    const c2 = 1 - Math.pow(p.beta2, this.step);
    for (const blk of [this.a, this.b]) {
      const { w, g, m, v } = blk;
      for (let i = 0; i < blk.length; i++) {
        const gi = g[i]!;
        m[i] = p.beta1 * m[i]! + (1 - p.beta1) * gi;
        v[i] = p.beta2 * v[i]! + (1 - p.beta2) * gi * gi;
        w[i]! -= (p.learning_rate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + p.eps);
        g[i] = 0;
      }
    }
    if (!this.logitsStayFinite()) {
      // A learning rate near the float limit gives weights whose products overflow: every logit
      // would be NaN, and samples would be random tail tokens with null logprobs.
      [this.a, this.b].forEach((blk, i) => {
        blk.w.set(before[i]!.w);
        blk.m.set(before[i]!.m);
        blk.v.set(before[i]!.v);
      });
      this.step--;
      throw new FutureWorkError(
        `optim_step refused: learning_rate ${p.learning_rate} would push the adapter's logits past the floating-point range, so the weights were left unchanged and the gradient cleared. Use a learning rate around 1e-4 to 1e-1.`,
      );
    }
    this.effect = this.b.w.subarray(0, this.b.length).some((x) => x !== 0);
    this.rowCache.clear();
    return { gradNorm: Math.sqrt(sq) };
  }

  /** Whether |A[row] · B[:, col]| · scale is finite for every row and column, bounded by the largest entries. */
  private logitsStayFinite(): boolean {
    const maxAbs = (blk: ParamBlock) => {
      let m = 0;
      for (let i = 0; i < blk.length; i++) {
        const x = Math.abs(blk.w[i]!);
        if (!(x <= m)) m = x;
      }
      return m;
    };
    return Number.isFinite(maxAbs(this.a) * maxAbs(this.b) * this.rank * this.scale);
  }

  /** Read-only view of the gradients, for gradient checks in tests. */
  gradients(): { A: Float64Array; B: Float64Array } {
    return { A: this.a.g.subarray(0, this.a.length), B: this.b.g.subarray(0, this.b.length) };
  }

  /** Read-write view of the weights, for gradient checks in tests. */
  weights(): { A: Float64Array; B: Float64Array } {
    return { A: this.a.w.subarray(0, this.a.length), B: this.b.w.subarray(0, this.b.length) };
  }

  /** Call after changing weights through `weights()`. */
  invalidate(): void {
    this.effect = this.b.w.subarray(0, this.b.length).some((x) => x !== 0);
    this.rowCache.clear();
  }
}
