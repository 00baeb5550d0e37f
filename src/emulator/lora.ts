import type { RowDist } from './languageModel';
import { gaussian, seededRng } from './rng';

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
  rows: number;
  cols: number;
  A: Float64Array;
  B: Float64Array;
  optimizer?: { step: number; mA: Float64Array; vA: Float64Array; mB: Float64Array; vB: Float64Array };
}

/**
 * A LoRA adapter on the bigram logit table: logits(row) += (A[row] · B) · alpha/rank.
 * B starts at zero, so an untrained adapter is exactly the base model, as in LoRA.
 */
export class LoraAdapter {
  readonly rank: number;
  readonly rows: number;
  readonly cols: number;
  readonly scale: number;
  A: Float64Array;
  B: Float64Array;
  private gA: Float64Array;
  private gB: Float64Array;
  private mA: Float64Array;
  private vA: Float64Array;
  private mB: Float64Array;
  private vB: Float64Array;
  step = 0;
  /** Rows of the model's distribution under this adapter; cleared whenever the weights move. */
  readonly rowCache = new Map<number, RowDist>();
  private effect = false;
  private gradsPending = false;

  constructor(rank: number, rows: number, cols: number, seed: number) {
    this.rank = rank;
    this.rows = rows;
    this.cols = cols;
    this.scale = LORA_ALPHA / rank;
    const rng = seededRng(seed);
    this.A = new Float64Array(rows * rank);
    for (let i = 0; i < this.A.length; i++) this.A[i] = gaussian(rng);
    this.B = new Float64Array(rank * cols);
    this.gA = new Float64Array(this.A.length);
    this.gB = new Float64Array(this.B.length);
    this.mA = new Float64Array(this.A.length);
    this.vA = new Float64Array(this.A.length);
    this.mB = new Float64Array(this.B.length);
    this.vB = new Float64Array(this.B.length);
  }

  static fromState(s: AdapterState, withOptimizer: boolean): LoraAdapter {
    const a = new LoraAdapter(s.rank, s.rows, s.cols, 0);
    a.A = Float64Array.from(s.A);
    a.B = Float64Array.from(s.B);
    if (withOptimizer && s.optimizer) {
      a.step = s.optimizer.step;
      a.mA = Float64Array.from(s.optimizer.mA);
      a.vA = Float64Array.from(s.optimizer.vA);
      a.mB = Float64Array.from(s.optimizer.mB);
      a.vB = Float64Array.from(s.optimizer.vB);
    }
    a.effect = a.B.some((x) => x !== 0);
    return a;
  }

  state(withOptimizer: boolean): AdapterState {
    const s: AdapterState = { rank: this.rank, rows: this.rows, cols: this.cols, A: this.A.slice(), B: this.B.slice() };
    if (withOptimizer) s.optimizer = { step: this.step, mA: this.mA.slice(), vA: this.vA.slice(), mB: this.mB.slice(), vB: this.vB.slice() };
    return s;
  }

  /** False while B is all zero: the base model's cached rows can be used as they are. */
  hasEffect(): boolean {
    return this.effect;
  }

  addDelta(row: number, z: Float64Array): void {
    const r = this.rank;
    const n = this.cols;
    const aOff = row * r;
    for (let k = 0; k < r; k++) {
      const a = this.A[aOff + k]! * this.scale;
      if (a === 0) continue;
      const bOff = k * n;
      for (let j = 0; j < n; j++) z[j]! += a * this.B[bOff + j]!;
    }
  }

  /** Accumulates d loss / d A and d loss / d B from d loss / d logits of one row. */
  accumulate(row: number, gz: Float64Array): void {
    const r = this.rank;
    const n = this.cols;
    const aOff = row * r;
    for (let k = 0; k < r; k++) {
      const bOff = k * n;
      const a = this.A[aOff + k]! * this.scale;
      let dA = 0;
      for (let j = 0; j < n; j++) {
        const g = gz[j]!;
        dA += g * this.B[bOff + j]!;
        this.gB[bOff + j]! += a * g;
      }
      this.gA[aOff + k]! += dA * this.scale;
    }
    this.gradsPending = true;
  }

  /** Adam with bias correction, then the gradients are cleared (optim_step semantics). */
  adamStep(p: AdamParams): { gradNorm: number } {
    let sq = 0;
    for (const g of this.gA) sq += g * g;
    for (const g of this.gB) sq += g * g;
    this.step++;
    const c1 = 1 - Math.pow(p.beta1, this.step);
    const c2 = 1 - Math.pow(p.beta2, this.step);
    const update = (w: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array) => {
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]!;
        m[i] = p.beta1 * m[i]! + (1 - p.beta1) * gi;
        v[i] = p.beta2 * v[i]! + (1 - p.beta2) * gi * gi;
        w[i]! -= (p.learning_rate * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + p.eps);
      }
      g.fill(0);
    };
    update(this.A, this.gA, this.mA, this.vA);
    update(this.B, this.gB, this.mB, this.vB);
    this.gradsPending = false;
    this.effect = this.B.some((x) => x !== 0);
    this.rowCache.clear();
    return { gradNorm: Math.sqrt(sq) };
  }

  get hasPendingGrads(): boolean {
    return this.gradsPending;
  }
}
