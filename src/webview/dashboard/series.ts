/**
 * Pure helpers for the charts (no DOM): debiased EMA, x ordering, aligning several runs on one x
 * axis, log-scale masking, axis ticks and histogram bins. Written for plain arrays, since the
 * charts hand uPlot plain arrays that grow by push as a run writes.
 */

export type Y = number | null;
/** An aligned column: null is a gap (a missing or non-finite value), undefined is "this run has no row at this x" (spanned). */
export type Aligned = Y | undefined;

/**
 * TensorBoard's smoothing, one value at a time: an exponential moving average debiased at the
 * start (so the first points are not pulled towards 0). Gaps stay gaps and do not move the average.
 */
export class Ema {
  private last = 0;
  private count = 0;
  constructor(readonly weight: number) {}

  next(v: Y): Y {
    if (v === null || !Number.isFinite(v)) return null;
    const w = this.weight;
    if (w <= 0) return v;
    this.last = this.last * w + (1 - w) * v;
    this.count++;
    return this.last / (1 - Math.pow(w, this.count));
  }
}

/** The smoothed column of `y` with `weight` (0 = a copy), and the state to continue it with appended values. */
export function emaSeries(y: readonly Y[], weight: number): { sm: Y[]; ema: Ema } {
  const ema = new Ema(weight);
  const sm = new Array<Y>(y.length);
  for (let i = 0; i < y.length; i++) sm[i] = ema.next(y[i]!);
  return { sm, ema };
}

/** Whether x is strictly increasing (what uPlot needs, and what appending in place keeps). */
export function strictlyIncreasing(x: readonly number[]): boolean {
  for (let i = 1; i < x.length; i++) if (!(x[i]! > x[i - 1]!)) return false;
  return true;
}

/**
 * A column sorted by x with one point per x: a resumed run writes some steps twice, and the later
 * row wins (it is what the run continued from).
 */
export function normalize(x: readonly number[], y: readonly Y[]): { x: number[]; y: Y[] } {
  const n = Math.min(x.length, y.length);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]! || a - b);
  const ox: number[] = [];
  const oy: Y[] = [];
  for (const i of idx) {
    if (ox.length > 0 && ox[ox.length - 1] === x[i]) oy[oy.length - 1] = y[i]!;
    else {
      ox.push(x[i]!);
      oy.push(y[i]!);
    }
  }
  return { x: ox, y: oy };
}

/**
 * Several runs on one x axis (each given sorted, strictly increasing, with any number of columns):
 * the union of their x values, and every column spread over it, `undefined` where a run has no
 * row at that x. A k-way merge, linear in the total number of points.
 */
export function joinRuns(parts: ReadonlyArray<{ x: readonly number[]; cols: ReadonlyArray<readonly Y[]> }>): {
  x: number[];
  cols: Aligned[][];
} {
  const x: number[] = [];
  const cols: Aligned[][] = [];
  for (const p of parts) for (let c = 0; c < p.cols.length; c++) cols.push([]);
  const pos = parts.map(() => 0);
  for (;;) {
    let min = Infinity;
    for (let r = 0; r < parts.length; r++) {
      const p = parts[r]!;
      if (pos[r]! < p.x.length && p.x[pos[r]!]! < min) min = p.x[pos[r]!]!;
    }
    if (min === Infinity) break;
    x.push(min);
    let c = 0;
    for (let r = 0; r < parts.length; r++) {
      const p = parts[r]!;
      const here = pos[r]! < p.x.length && p.x[pos[r]!] === min;
      for (const col of p.cols) cols[c++]!.push(here ? col[pos[r]!]! : undefined);
      if (here) pos[r]!++;
    }
  }
  return { x, cols };
}

/** Round tick values covering [min, max], about `count` of them (1, 2, 2.5 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  if (min > max) [min, max] = [max, min];
  const raw = (max - min) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  const start = Math.ceil(min / step - 1e-9) * step;
  for (let v = start; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Ticks of a log10 axis: the powers of ten in [min, max], with 2 and 5 between them when there are few. */
export function logTicks(min: number, max: number): number[] {
  if (!(min > 0) || !(max > 0)) return [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const mults = hi - lo <= 2 ? [1, 2, 5] : [1];
  const out: number[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of mults) {
      const v = Number((m * Math.pow(10, e)).toPrecision(12));
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) out.push(v);
    }
  }
  return out;
}

export interface Bins {
  /** bins + 1 ascending edges; bin i holds edges[i] <= v < edges[i+1], the last one includes its upper edge. */
  edges: number[];
  counts: number[];
  total: number;
  min?: number;
  max?: number;
  mean?: number;
}

/**
 * Reward histogram: one bin per value when the rewards are a few integers (0/1 correctness, a
 * 0..5 score), else `bins` equal-width bins between the smallest and largest finite value.
 */
export function histogram(values: readonly number[], bins = 20): Bins {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let total = 0;
  let integral = true;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    total++;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
  }
  if (total === 0) return { edges: [], counts: [], total: 0 };
  const perValue = max === min || (integral && max - min + 1 <= bins);
  const lo = perValue ? min - 0.5 : min;
  const n = perValue ? max - min + 1 : bins;
  const width = perValue ? 1 : (max - min) / bins;
  const edges = Array.from({ length: n + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(n).fill(0);
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    counts[Math.min(n - 1, Math.max(0, Math.floor((v - lo) / width)))]!++;
  }
  return { edges, counts, total, min, max, mean: sum / total };
}

/**
 * Which points of a long column to draw: the first and the last, and in each of (max − 2) / 2
 * equal index buckets between them the lowest and the highest value (in index order), so spikes
 * survive; a bucket holding a gap keeps one, so gaps do too. A chart is a few hundred pixels
 * wide: past a few thousand points more only costs time. Returns every index when there are at
 * most `max`.
 */
export function thinIndices(y: readonly Y[], max: number): number[] {
  const n = y.length;
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [0];
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const span = (n - 2) / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor(b * span);
    const hi = b === buckets - 1 ? n - 1 : 1 + Math.floor((b + 1) * span);
    let minI = -1;
    let maxI = -1;
    let gapI = -1;
    for (let i = lo; i < hi; i++) {
      const v = y[i]!;
      if (v === null) {
        if (gapI < 0) gapI = i;
        continue;
      }
      if (minI < 0 || v < y[minI]!) minI = i;
      if (maxI < 0 || v > y[maxI]!) maxI = i;
    }
    const keep = [minI, maxI, gapI].filter((i) => i >= 0).sort((a, b) => a - b);
    for (let k = 0; k < keep.length; k++) if (k === 0 || keep[k] !== keep[k - 1]) out.push(keep[k]!);
  }
  out.push(n - 1);
  return out;
}
