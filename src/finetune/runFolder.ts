/**
 * A fine-tune's run folder, in tinker-cookbook's `log_path` layout so anything that reads a Python
 * run reads this one:
 *
 *   config.json         every setting, the dataset (path, sha256), base model, LoRA rank, server URL (no secrets)
 *   metrics.jsonl       one row per step: step, epoch, train_mean_nll, learning_rate, num_sequences,
 *                       num_tokens, num_loss_tokens, progress, step_time_seconds, tokens_per_second, test/nll?
 *   checkpoints.jsonl   one row per save: name, step, epoch, batch, state_path, sampler_path, final
 *   run.json            status (running | completed | failed | cancelled), times, error, base model, training run id
 *
 * The .jsonl files are only appended to, one whole line per write; a torn last line (a crash mid
 * write) is ignored when read and cut off before the next append. config.json and run.json are
 * replaced atomically (write a temporary file, then rename). On resume, metrics rows after the
 * resume point are moved to metrics.superseded.jsonl (nothing is lost) and metrics.jsonl is
 * rewritten without them, through a rename.
 *
 * Step numbers are 1-based: metrics row `step` s is the s-th optimizer step; checkpoint `step` s
 * holds the weights after s steps (`batch` is the same number: the next batch index, 0-based, as
 * tinker-cookbook's loop_state has it); `epoch` is 0-based.
 */
import { appendFileSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, open, readFile, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface MetricsRow {
  step: number;
  epoch: number;
  /** null for a step whose batch had no trainable row (skipped, no update). */
  train_mean_nll: number | null;
  learning_rate: number;
  num_sequences: number;
  num_tokens: number;
  num_loss_tokens: number;
  progress: number;
  step_time_seconds: number;
  tokens_per_second: number;
  'test/nll'?: number;
  /** On the first row after a resume: the step the run resumed from (rows after it were superseded). */
  resumed_from?: number;
  [key: string]: unknown;
}

export interface CheckpointRow {
  name: string;
  step: number;
  epoch: number;
  batch: number;
  state_path: string | null;
  sampler_path: string | null;
  final: boolean;
  [key: string]: unknown;
}

export interface RunError {
  /** The error's class, e.g. "APIConnectionError". */
  class: string;
  message: string;
  request_id?: string;
  /** The server may have applied the op that failed (MinT does not deduplicate training ops). */
  may_have_been_applied?: boolean;
  training_op?: string;
  /** The step being trained (or saved) when it failed. */
  step?: number;
}

export interface ResumeRecord {
  /** Steps kept: the run continued with step + 1. 0 = from the base model. */
  step: number;
  state_path: string | null;
  at: string;
  /** Steps whose metrics rows were superseded (moved to metrics.superseded.jsonl). */
  superseded_steps: number[];
  previous_status: RunStatus | undefined;
  previous_training_run_id?: string;
}

export interface RunFile {
  status: RunStatus;
  started_at: string;
  updated_at: string;
  finished_at?: string;
  error?: RunError;
  base_model: string;
  /** The MinT training run now training (a resume starts a new one from the saved state). */
  training_run_id?: string;
  /** Every training run this folder used, oldest first. */
  training_run_ids?: string[];
  step: number;
  total_steps: number;
  last_state_path?: string;
  last_sampler_path?: string;
  /** The latest resume; `resumes` lists them all. */
  resumed_from?: ResumeRecord;
  resumes?: ResumeRecord[];
  [key: string]: unknown;
}

export const RUN_FILES = {
  config: 'config.json',
  metrics: 'metrics.jsonl',
  superseded: 'metrics.superseded.jsonl',
  checkpoints: 'checkpoints.jsonl',
  run: 'run.json',
  lock: 'run.lock',
} as const;

/** Parses JSON lines, skipping blank ones and a torn (unparsable) last line; a bad line in the middle is skipped too. */
export function parseJsonLines<T>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as T);
    } catch {}
  }
  return out;
}

/** Metrics rows as a reader should see them: one per step (the last written wins), by step. */
export function finalMetricsView(rows: readonly MetricsRow[]): MetricsRow[] {
  const by = new Map<number, MetricsRow>();
  for (const r of rows) if (typeof r.step === 'number') by.set(r.step, r);
  return [...by.values()].sort((a, b) => a.step - b.step);
}

export class RunFolder {
  constructor(readonly dir: string) {}

  path(file: keyof typeof RUN_FILES): string {
    return join(this.dir, RUN_FILES[file]);
  }

  async ensure(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  private async readJson<T>(file: keyof typeof RUN_FILES): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(this.path(file), 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`${this.path(file)} is not readable JSON (${(e as Error).message}); move it away to start this run folder afresh.`, {
        cause: e,
      });
    }
  }

  /**
   * Replaces a file atomically: a reader sees the old or the new content, never half of one. The
   * writes here are a few hundred bytes, so they are made synchronously: a step's bookkeeping then
   * costs tens of microseconds instead of several trips through the thread pool.
   */
  private async writeAtomic(file: keyof typeof RUN_FILES, text: string): Promise<void> {
    const target = this.path(file);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, target);
  }

  readConfig(): Promise<Record<string, unknown> | undefined> {
    return this.readJson('config');
  }

  writeConfig(config: object): Promise<void> {
    return this.writeAtomic('config', `${JSON.stringify(config, null, 2)}\n`);
  }

  readRun(): Promise<RunFile | undefined> {
    return this.readJson('run');
  }

  writeRun(run: RunFile): Promise<void> {
    return this.writeAtomic('run', `${JSON.stringify(run, null, 2)}\n`);
  }

  private async readLines<T>(file: 'metrics' | 'checkpoints'): Promise<T[]> {
    try {
      return parseJsonLines<T>(await readFile(this.path(file), 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  readMetrics(): Promise<MetricsRow[]> {
    return this.readLines('metrics');
  }

  readCheckpoints(): Promise<CheckpointRow[]> {
    return this.readLines('checkpoints');
  }

  /** One whole line per call (one write), so a crash leaves at most one torn line at the end. */
  async appendMetrics(row: MetricsRow): Promise<void> {
    appendFileSync(this.path('metrics'), `${JSON.stringify(row)}\n`);
  }

  async appendCheckpoint(row: CheckpointRow): Promise<void> {
    appendFileSync(this.path('checkpoints'), `${JSON.stringify(row)}\n`);
  }

  /** Cuts a torn last line (no final newline) off an append-only file, so the next append starts a line of its own. */
  async repairTail(file: 'metrics' | 'checkpoints'): Promise<void> {
    const p = this.path(file);
    if (!existsSync(p)) return;
    const text = await readFile(p, 'utf8');
    if (text === '' || text.endsWith('\n')) return;
    await truncate(p, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1), 'utf8'));
  }

  /**
   * Keeps metrics rows up to `step` (one per step) and moves the rest to metrics.superseded.jsonl,
   * marked with when and why. Returns the superseded steps.
   */
  async supersedeMetricsAfter(step: number, reason: string): Promise<number[]> {
    const rows = await this.readMetrics();
    const keep = finalMetricsView(rows.filter((r) => typeof r.step === 'number' && r.step <= step));
    const drop = rows.filter((r) => !(typeof r.step === 'number' && r.step <= step));
    const dropped = rows.length - keep.length;
    if (dropped === 0) {
      await this.repairTail('metrics');
      return [];
    }
    if (drop.length > 0) {
      const at = new Date().toISOString();
      appendFileSync(
        this.path('superseded'),
        drop.map((r) => `${JSON.stringify({ ...r, superseded_at: at, superseded_by: reason })}\n`).join(''),
      );
    }
    await this.writeAtomic('metrics', keep.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return [...new Set(drop.map((r) => r.step).filter((s) => typeof s === 'number'))].sort((a, b) => a - b);
  }

  // ---- lock: one fine-tune per folder, across windows ----

  private static held = new Set<string>();

  /**
   * Takes the folder for this process (creating it); of two calls in one process the first wins. A
   * lock left by a process that is gone (a reloaded window) is taken over; one held by a live
   * process, or by this process for another fine-tune, is refused.
   */
  async lock(): Promise<() => Promise<void>> {
    const p = this.path('lock');
    if (RunFolder.held.has(p)) throw new RunFolderBusyError(this.dir, process.pid);
    // Reserved before the first await, so two calls in this process cannot both get past here.
    RunFolder.held.add(p);
    try {
      await this.ensure();
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const fh = await open(p, 'wx');
          await fh.writeFile(JSON.stringify({ pid: process.pid, at: new Date().toISOString() }));
          await fh.close();
          return async () => {
            RunFolder.held.delete(p);
            await unlink(p).catch(() => undefined);
          };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          let pid: number | undefined;
          try {
            pid = (JSON.parse(await readFile(p, 'utf8')) as { pid?: number }).pid;
          } catch {}
          // This process's own lock is stale here: its holder would be in `held`.
          if (typeof pid === 'number' && pid !== process.pid && alive(pid)) throw new RunFolderBusyError(this.dir, pid);
          await unlink(p).catch(() => undefined); // stale: its process is gone
        }
      }
      throw new RunFolderBusyError(this.dir, undefined);
    } catch (e) {
      RunFolder.held.delete(p);
      throw e;
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Another fine-tune holds the run folder. */
export class RunFolderBusyError extends Error {
  override name = 'RunFolderBusyError';
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
  ) {
    super(
      `Another fine-tune is writing to ${dir}${pid !== undefined ? ` (process ${pid})` : ''}. Wait for it, cancel it, or choose another run folder${
        pid !== undefined && pid !== process.pid ? `; if no such process runs, delete ${join(dir, RUN_FILES.lock)}` : ''
      }.`,
    );
  }
}

/** What a viewer needs from a run folder: config, status, metrics (one row per step) and checkpoints. */
export async function readRunFolder(dir: string): Promise<{
  config: Record<string, unknown> | undefined;
  run: RunFile | undefined;
  metrics: MetricsRow[];
  checkpoints: CheckpointRow[];
}> {
  const f = new RunFolder(dir);
  const [config, run, metrics, checkpoints] = await Promise.all([f.readConfig(), f.readRun(), f.readMetrics(), f.readCheckpoints()]);
  return { config, run, metrics: finalMetricsView(metrics), checkpoints };
}
