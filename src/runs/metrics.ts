/**
 * Column-oriented metric series built from metrics.jsonl rows as they arrive, plus the pure
 * helpers a chart needs (EMA smoothing, min/max-preserving downsampling).
 *
 * Every numeric field of a row becomes a column; nested objects are flattened with "/"
 * (`{"env": {"reward": 1}}` is `env/reward`). Columns are Float64Arrays that share one capacity
 * and double when full, so 100,000 rows × 20 keys is a few megabytes and appending one row costs
 * O(fields in that row). A row that lacks a key leaves NaN there, and so does a non-finite value
 * (Python's NaN / Infinity, or the strings "NaN", "inf"…), which is also counted per key so the
 * UI can say where a loss diverged. Strings, booleans, arrays and nulls are not series.
 *
 * The x axis is the row's `step` when it is a number; a row without one sits one past the row
 * before (so a file with no steps at all is plotted against its row index). `series(key, axis)`
 * can plot against the row index or any other column (`progress`, `epoch`, `num_tokens`…),
 * forward-filled where that column is missing.
 */

export interface Series {
  x: Float64Array;
  y: Float64Array;
}

export interface MetricGroup {
  /** The prefix before the first "/" (`train`, `env`, …), or `other` for keys without one. */
  name: string;
  keys: string[];
}

export interface NonFinite {
  count: number;
  /** x of the first non-finite value. */
  firstX: number;
}

/** Keys charted first, in this order, when a run has them: the loss or reward people look at first. */
export const PRIMARY_KEYS: readonly string[] = ['train_mean_nll', 'loss', 'dpo_loss', 'test/nll', 'reward_mean', 'env/all/reward/total'];
/** Group order after the groups holding primary keys: unprefixed keys, then these, then the rest by name. */
export const KNOWN_PREFIXES: readonly string[] = ['train', 'test', 'env', 'optim', 'time'];

export const OTHER_GROUP = 'other';
const STEP_KEY = 'step';
const MAX_KEYS = 5000;
const MAX_DEPTH = 8;

const NON_FINITE_STRINGS = new Set(['nan', '+nan', '-nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity']);

export class MetricsSeries {
  private capacity = 0;
  private n = 0;
  private xs: Float64Array = new Float64Array(0);
  private readonly cols = new Map<string, Float64Array>();
  private readonly order: string[] = [];
  private readonly bad = new Map<string, NonFinite>();
  private monotonic = true;
  private stepSeen = false;
  private changes = 0;
  /** Keys dropped because the row had more than MAX_KEYS distinct numeric fields in total. */
  droppedKeys = 0;

  /** Rows appended so far. */
  get length(): number {
    return this.n;
  }

  /** Changes with every append or reset: a cheap cache key for derived data. */
  get version(): number {
    return this.changes;
  }

  /** Whether x never decreased (a resumed run can repeat steps). */
  get xMonotonic(): boolean {
    return this.monotonic;
  }

  /** Whether any row had a numeric `step` (else x is the row index). */
  get hasStep(): boolean {
    return this.stepSeen;
  }

  /** Appends rows (anything that is not a JSON object is skipped). Returns how many were taken. */
  append(rows: readonly unknown[]): number {
    let taken = 0;
    for (const r of rows) if (this.appendRow(r)) taken++;
    return taken;
  }

  appendRow(row: unknown): boolean {
    if (!isObject(row)) return false;
    if (this.n === this.capacity) this.grow();
    const i = this.n;
    const step = row[STEP_KEY];
    let x: number;
    if (typeof step === 'number' && Number.isFinite(step)) {
      x = step;
      this.stepSeen = true;
    } else x = i === 0 ? 0 : this.xs[i - 1]! + 1;
    if (i > 0 && x < this.xs[i - 1]!) this.monotonic = false;
    this.xs[i] = x;
    this.n++;
    this.put(row, '', 0, i, x);
    this.changes++;
    return true;
  }

  reset(): void {
    this.capacity = 0;
    this.n = 0;
    this.xs = new Float64Array(0);
    this.cols.clear();
    this.order.length = 0;
    this.bad.clear();
    this.monotonic = true;
    this.stepSeen = false;
    this.droppedKeys = 0;
    this.changes++;
  }

  /** Metric keys in the order first seen (`step` is the x axis, not a key). */
  keys(): string[] {
    return [...this.order];
  }

  has(key: string): boolean {
    return this.cols.has(key);
  }

  /** The first primary key (PRIMARY_KEYS) this run has, else its first key. */
  primaryKey(): string | undefined {
    for (const k of PRIMARY_KEYS) if (this.cols.has(k)) return k;
    return this.order[0];
  }

  /**
   * Keys grouped by the prefix before their first "/", unprefixed keys in `other`. Groups holding
   * primary keys come first (in PRIMARY_KEYS order), then `other`, then KNOWN_PREFIXES, then the rest
   * by name. Inside a group primary keys come first, then the file's order.
   */
  groups(): MetricGroup[] {
    const byName = new Map<string, string[]>();
    for (const k of this.order) {
      const slash = k.indexOf('/');
      const g = slash > 0 ? k.slice(0, slash) : OTHER_GROUP;
      let list = byName.get(g);
      if (!list) byName.set(g, (list = []));
      list.push(k);
    }
    const rank = (k: string): number => {
      const r = PRIMARY_KEYS.indexOf(k);
      return r < 0 ? PRIMARY_KEYS.length : r;
    };
    const groups = [...byName].map(([name, keys]) => {
      const sorted = keys.map((k, i) => ({ k, i, r: rank(k) })).sort((a, b) => a.r - b.r || a.i - b.i);
      return { name, keys: sorted.map((e) => e.k), best: sorted[0]!.r };
    });
    const tier = (g: { name: string; best: number }): number => {
      if (g.best < PRIMARY_KEYS.length) return g.best;
      if (g.name === OTHER_GROUP) return PRIMARY_KEYS.length;
      const known = KNOWN_PREFIXES.indexOf(g.name);
      return known >= 0 ? PRIMARY_KEYS.length + 1 + known : PRIMARY_KEYS.length + 1 + KNOWN_PREFIXES.length;
    };
    groups.sort((a, b) => tier(a) - tier(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return groups.map(({ name, keys }) => ({ name, keys }));
  }

  /** The x column (step, or one past the previous row). A view: valid until the next append. */
  x(): Float64Array {
    return this.xs.subarray(0, this.n);
  }

  /** A key's values, NaN where a row lacks it. A view: valid until the next append. */
  column(key: string): Float64Array | undefined {
    return this.cols.get(key)?.subarray(0, this.n);
  }

  /**
   * A key against an x axis: `step` (default), `index` (row number) or another key's column,
   * forward-filled where that key is missing (NaN before its first value). The step axis is a view
   * valid until the next append; the others are fresh arrays.
   */
  series(key: string, axis: string = STEP_KEY): Series | undefined {
    const y = this.column(key);
    if (!y) return undefined;
    if (axis === STEP_KEY) return { x: this.x(), y };
    if (axis === 'index') {
      const x = new Float64Array(this.n);
      for (let i = 0; i < this.n; i++) x[i] = i;
      return { x, y };
    }
    const src = this.column(axis);
    if (!src) return undefined;
    const x = new Float64Array(this.n);
    let last = NaN;
    for (let i = 0; i < this.n; i++) {
      const v = src[i]!;
      if (v === v) last = v;
      x[i] = last;
    }
    return { x, y };
  }

  /** The x axes this run can be plotted against: step (always), index, and progress/epoch/… when present. */
  xAxes(): string[] {
    const out = [STEP_KEY, 'index'];
    for (const k of ['progress', 'progress/done_frac', 'epoch', 'progress/batch', 'num_tokens', 'time/total'])
      if (this.cols.has(k)) out.push(k);
    return out;
  }

  /** The last finite value of a key and its x. */
  last(key: string): { x: number; y: number } | undefined {
    const col = this.cols.get(key);
    if (!col) return undefined;
    for (let i = this.n - 1; i >= 0; i--) {
      const v = col[i]!;
      if (v === v) return { x: this.xs[i]!, y: v };
    }
    return undefined;
  }

  /** The last row's value of a key, when that row has it (e.g. `progress` for a run's status). */
  lastRowValue(key: string): number | undefined {
    const v = this.n > 0 ? this.cols.get(key)?.[this.n - 1] : undefined;
    return v === undefined || v !== v ? undefined : v;
  }

  /** How often a key was NaN or infinite, and where first. */
  nonFinite(key: string): NonFinite | undefined {
    const b = this.bad.get(key);
    return b ? { ...b } : undefined;
  }

  private grow(): void {
    const cap = Math.max(64, this.capacity * 2);
    this.xs = extend(this.xs, cap, this.capacity);
    for (const [k, col] of this.cols) this.cols.set(k, extend(col, cap, this.capacity));
    this.capacity = cap;
  }

  private put(obj: Record<string, unknown>, prefix: string, depth: number, i: number, x: number): void {
    for (const name in obj) {
      if (depth === 0 && name === STEP_KEY) continue;
      const v = obj[name];
      const key = prefix ? `${prefix}/${name}` : name;
      let value: number;
      if (typeof v === 'number') value = v;
      else if (typeof v === 'string') {
        if (!NON_FINITE_STRINGS.has(v.toLowerCase())) continue;
        value = NaN;
      } else {
        if (isObject(v) && depth < MAX_DEPTH) this.put(v, key, depth + 1, i, x);
        continue;
      }
      let col = this.cols.get(key);
      if (!col) {
        if (this.cols.size >= MAX_KEYS) {
          this.droppedKeys++;
          continue;
        }
        col = new Float64Array(this.capacity).fill(NaN);
        this.cols.set(key, col);
        this.order.push(key);
      }
      if (Number.isFinite(value)) col[i] = value;
      else {
        col[i] = NaN;
        const b = this.bad.get(key);
        if (b) b.count++;
        else this.bad.set(key, { count: 1, firstX: x });
      }
    }
  }
}

function extend(a: Float64Array, cap: number, used: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a.subarray(0, used));
  b.fill(NaN, used);
  return b;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * TensorBoard's smoothing: an exponential moving average debiased at the start, so the first
 * points are not pulled towards 0. `weight` is the smoothing slider (0 = raw, 0.6 = default,
 * 0.99 = heavy); values outside [0, 1) are clamped. NaN and infinite values stay NaN in the output
 * and do not move the average.
 */
export function ema(values: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(values.length);
  const w = Math.min(Math.max(weight, 0), 0.999999);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    if (w === 0) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count++;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}

/**
 * Reduces a series to at most `maxPoints` points (at least 4) for drawing, keeping its shape: the
 * first and last points, and in each of (maxPoints − 2) / 2 equal index buckets between them the
 * lowest and highest point, in x order, so spikes survive. Points whose x or y is not finite are
 * dropped (gaps are not kept; NonFinite counts say where values were missing). When the series
 * has no more finite points than maxPoints they are all returned. Returns fresh arrays.
 */
export function downsample(x: ArrayLike<number>, y: ArrayLike<number>, maxPoints: number): Series {
  const n = Math.min(x.length, y.length);
  const max = Math.max(4, Math.floor(maxPoints));
  let finite = 0;
  let first = -1;
  let lastIdx = -1;
  for (let i = 0; i < n; i++) {
    if (Number.isFinite(y[i]!) && Number.isFinite(x[i]!)) {
      finite++;
      if (first < 0) first = i;
      lastIdx = i;
    }
  }
  if (finite <= max) {
    const ox = new Float64Array(finite);
    const oy = new Float64Array(finite);
    let k = 0;
    for (let i = first; i >= 0 && i <= lastIdx; i++) {
      const xv = x[i]!;
      const yv = y[i]!;
      if (Number.isFinite(yv) && Number.isFinite(xv)) {
        ox[k] = xv;
        oy[k++] = yv;
      }
    }
    return { x: ox, y: oy };
  }
  const ox = new Float64Array(max);
  const oy = new Float64Array(max);
  let k = 0;
  ox[k] = x[first]!;
  oy[k++] = y[first]!;
  const buckets = Math.floor((max - 2) / 2);
  const lo0 = first + 1;
  const span = (lastIdx - lo0) / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = lo0 + Math.floor(b * span);
    const hi = b === buckets - 1 ? lastIdx : lo0 + Math.floor((b + 1) * span);
    let minI = -1;
    let maxI = -1;
    let minV = Infinity;
    let maxV = -Infinity;
    for (let i = lo; i < hi; i++) {
      const v = y[i]!;
      if (!Number.isFinite(v) || !Number.isFinite(x[i]!)) continue;
      if (v < minV) {
        minV = v;
        minI = i;
      }
      if (v > maxV) {
        maxV = v;
        maxI = i;
      }
    }
    if (minI < 0) continue;
    const a = Math.min(minI, maxI);
    const c = Math.max(minI, maxI);
    ox[k] = x[a]!;
    oy[k++] = y[a]!;
    if (c !== a) {
      ox[k] = x[c]!;
      oy[k++] = y[c]!;
    }
  }
  ox[k] = x[lastIdx]!;
  oy[k++] = y[lastIdx]!;
  return { x: ox.slice(0, k), y: oy.slice(0, k) };
}
