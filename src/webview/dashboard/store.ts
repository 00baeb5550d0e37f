/**
 * What the page holds of each run: one column per metric key (x and y as plain arrays that grow by
 * push while a run writes). Whole columns come from `series`, rows from `append`.
 */
import type { Y } from './series';

export class RunSeries {
  x: number[] = [];
  y: Y[] = [];
  /** Whether x is strictly increasing; a resumed run that repeats steps makes it false. */
  strict = true;
}

/** One value an `append` added, as the charts take it. `inOrder`: it landed after the column's last x. */
export interface Appended {
  key: string;
  x: number;
  y: Y;
  inOrder: boolean;
}

export class Store {
  private readonly runs = new Map<string, Map<string, RunSeries>>();

  get(runId: string, key: string): RunSeries | undefined {
    return this.runs.get(runId)?.get(key);
  }

  keys(runId: string): string[] {
    return [...(this.runs.get(runId)?.keys() ?? [])];
  }

  /** Replaces one column; with `reset` the run's other columns go first (its file started over). */
  setSeries(runId: string, key: string, x: readonly number[], y: readonly Y[], reset = false): void {
    let cols = this.runs.get(runId);
    if (!cols || reset) this.runs.set(runId, (cols = new Map()));
    const s = new RunSeries();
    const n = Math.min(x.length, y.length);
    s.x = x.length === n ? (x as number[]) : x.slice(0, n);
    s.y = y.length === n ? (y as Y[]) : y.slice(0, n);
    for (let i = 1; i < n && s.strict; i++) if (!(s.x[i]! > s.x[i - 1]!)) s.strict = false;
    cols.set(key, s);
  }

  /** Adds rows in file order; returns every value added, for the charts to extend in place. */
  append(runId: string, rows: ReadonlyArray<{ x: number; values: Record<string, Y> }>): Appended[] {
    let cols = this.runs.get(runId);
    if (!cols) this.runs.set(runId, (cols = new Map()));
    const out: Appended[] = [];
    for (const row of rows) {
      for (const key of Object.keys(row.values)) {
        let s = cols.get(key);
        if (!s) cols.set(key, (s = new RunSeries()));
        const inOrder = s.x.length === 0 || row.x > s.x[s.x.length - 1]!;
        if (!inOrder) s.strict = false;
        s.x.push(row.x);
        s.y.push(row.values[key]!);
        out.push({ key, x: row.x, y: row.values[key]!, inOrder });
      }
    }
    return out;
  }

  dropRun(runId: string): void {
    this.runs.delete(runId);
  }

  runIds(): string[] {
    return [...this.runs.keys()];
  }

  clear(): void {
    this.runs.clear();
  }
}
