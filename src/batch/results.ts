/**
 * A prompt file's results: `<name>.results.jsonl` beside it, one JSON line per (row, target).
 *
 * Written as the run goes (each finished row is appended as one whole line, in one write), so a
 * crash or a window reload loses at most the rows still in flight; on load a torn last line is
 * dropped and the latest line per (row, target) wins. When a run ends the file is rewritten in
 * the prompt file's order with one line per (row, target), through a temporary file and a rename,
 * so a reader never sees half a file. Lines for rows no longer in the prompt file are kept.
 */
import { promises as fs } from 'node:fs';
import type { Params, Target } from '../shared/playground';

export interface ResultError {
  class: string;
  message: string;
  request_id?: string;
}

export interface ResultRecord {
  /** The prompt row's key (see PromptRow.key) and, for people, its id or line. */
  row: string;
  label: string;
  line: number;
  target: Target;
  params: Params;
  status: 'ok' | 'error';
  output?: string;
  /** Every sample's text when num_samples > 1 (output is the first). */
  outputs?: string[];
  tokens?: number;
  prompt_tokens?: number;
  logprobs?: { sum: number; mean: number; min: number };
  stop_reason?: string;
  latency_ms?: number;
  request_id?: string;
  reference?: string;
  error?: ResultError;
  at: string;
}

export function targetKey(t: Target): string {
  return 'base_model' in t ? `base:${t.base_model}` : `path:${t.model_path}`;
}

function recordKey(r: Pick<ResultRecord, 'row' | 'target'>): string {
  return `${r.row}\u0000${targetKey(r.target)}`;
}

export class ResultsFile {
  private readonly records = new Map<string, ResultRecord>();
  private writing: Promise<void> = Promise.resolve();
  private failed: Error | undefined;

  private constructor(readonly path: string) {}

  /** Reads what earlier runs wrote; a missing file is an empty one. */
  static async open(path: string): Promise<ResultsFile> {
    const f = new ResultsFile(path);
    let text = '';
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    for (const line of complete.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as ResultRecord;
        if (typeof r.row === 'string' && r.target && (r.status === 'ok' || r.status === 'error')) f.records.set(recordKey(r), r);
      } catch {
        // A line someone edited into nonsense: skipped, the row runs again.
      }
    }
    // A torn last line (the process died mid-write) is cut off, so the next append starts clean.
    if (complete.length !== text.length) await fs.truncate(path, Buffer.byteLength(complete));
    return f;
  }

  get(row: string, target: Target): ResultRecord | undefined {
    return this.records.get(recordKey({ row, target }));
  }

  /** Every record of a row, one per target. */
  forRow(row: string): ResultRecord[] {
    return [...this.records.values()].filter((r) => r.row === row);
  }

  all(): ResultRecord[] {
    return [...this.records.values()];
  }

  /** Targets that have results in this file. */
  targets(): Target[] {
    const seen = new Map<string, Target>();
    for (const r of this.records.values()) seen.set(targetKey(r.target), r.target);
    return [...seen.values()];
  }

  /** Adds a finished row: in memory now, on disk as one appended line (writes are serialised). */
  append(r: ResultRecord): Promise<void> {
    this.records.set(recordKey(r), r);
    const line = JSON.stringify(r) + '\n';
    this.writing = this.writing.then(() =>
      fs.appendFile(this.path, line, 'utf8').catch((e: Error) => {
        this.failed ??= e;
      }),
    );
    return this.writing;
  }

  /** Waits for every append; throws the first write failure, if any. */
  async flush(): Promise<void> {
    await this.writing;
    if (this.failed) throw this.failed;
  }

  /** One line per (row, target), in the prompt file's order, written through a temporary file and a rename. */
  async compact(rowOrder: string[]): Promise<void> {
    // In the write queue: an append made meanwhile (a Retry row) lands after the rename, not lost to it.
    const job = this.writing.then(() => this.rewrite(rowOrder));
    this.writing = job.catch((e: Error) => {
      this.failed ??= e;
    });
    await job;
  }

  private async rewrite(rowOrder: string[]): Promise<void> {
    if (this.failed) throw this.failed;
    const order = new Map(rowOrder.map((k, i) => [k, i]));
    const sorted = [...this.records.values()].sort((a, b) => {
      const ia = order.get(a.row) ?? Number.MAX_SAFE_INTEGER;
      const ib = order.get(b.row) ?? Number.MAX_SAFE_INTEGER;
      return ia - ib || targetKey(a.target).localeCompare(targetKey(b.target));
    });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await fs.writeFile(tmp, sorted.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
    await fs.rename(tmp, this.path);
  }
}
