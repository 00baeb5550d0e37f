/**
 * Supervised fine-tuning of a chat dataset on MinT through the TypeScript training client, step
 * by step, into a run folder in tinker-cookbook's layout (runFolder.ts), resumable after a cancel,
 * a window reload or a failure.
 *
 * One step = forward_backward on one batch, then optim_step at the step's learning rate, sent back
 * to back (the client posts them in call order; MinT runs them in arrival order), as
 * tinker-cookbook does.
 *
 * Data. Before anything is created, every row is checked cheaply and exactly (an SFT row this path
 * can train, with an assistant turn after the first message: data.selectRows); the batch plan is
 * made over those rows. Rendering and tokenizing happen batch by batch: the first batch while the
 * training run is created, each next one while the server works on the current step, so a large
 * file starts training at once and the chat template costs no wall time on a real server. A row
 * that only fails when rendered (a template error, no assistant token within maxLength) is left
 * out of its batch, which then trains on fewer rows; it is logged and counted in the data stats
 * (run.json `data`). Everything is deterministic, so a resume recomputes the same batches.
 *
 * Exactly once. MinT does not deduplicate training ops, so the client never resends one that may
 * have been applied; it raises an APIError with `mayHaveBeenApplied`. Nor does this driver: any
 * failure stops the run, records the error (class, message, request id) in run.json and returns
 * status "failed". Nothing is saved after a failure, because the server's weights may then hold a
 * step that is not in the books. Resuming loads the last saved state (weights and optimizer) into a
 * new training run and redoes the steps after it from those weights: no step is applied twice to
 * the weights that go on, and none is lost. The metrics rows of the redone steps are superseded:
 * moved to metrics.superseded.jsonl, and the resume is recorded in run.json `resumed_from` and on
 * the first new metrics row.
 *
 * Cancel (the AbortSignal) takes effect between steps: a step in flight is finished, never cut in
 * two (cutting it would leave it "may have been applied"); evaluation and the set-up calls stop at
 * once. Then the state is saved if any step ran since the last save, so a resume loses nothing.
 *
 * Heartbeats: the ServiceClient's session heartbeat (every 10 s by default) runs as long as the
 * service is open, and every training op counts as activity too; this driver never closes the
 * service it is given.
 */
import { CancelledError } from '../mint/errors';
import { parseCheckpointPath } from '../mint/paths';
import type { LoraTrainingOptions } from '../mint/service';
import type { Datum, ForwardBackwardResult, TrainingCallOptions, TrainingClient } from '../mint/training';
import { type FineTuneConfig, type ResolvedFineTuneConfig, learningRateAt, resolveFineTuneConfig } from './config';
import {
  BatchPlan,
  ExampleCache,
  selectRows,
  type ChatTokenizer,
  type Example,
  type PrepareStats,
  rowsSha256,
  splitRows,
  toDatum,
} from './data';
import {
  type CheckpointRow,
  type MetricsRow,
  type ResumeRecord,
  type RunError,
  type RunFile,
  type RunStatus,
  RunFolder,
} from './runFolder';

/** What the driver needs of a ServiceClient. */
export interface FineTuneService {
  readonly baseUrl: string;
  createLoraTrainingClient(args: LoraTrainingOptions, opts?: TrainingCallOptions): Promise<FineTuneTrainingClient>;
}

export type FineTuneTrainingClient = Pick<
  TrainingClient,
  'model_id' | 'forwardBackward' | 'forward' | 'optimStep' | 'saveState' | 'saveWeightsForSampler' | 'loadState'
>;

export type FineTunePhase = 'preparing' | 'starting' | 'resuming' | 'training' | 'evaluating' | 'saving' | 'done';

export interface FineTuneProgress {
  phase: FineTunePhase;
  /** Steps done (the last metrics row's step). */
  step: number;
  totalSteps: number;
  /** 0-based epoch of `step`. */
  epoch: number;
  /** Set on phase "training", once per step. */
  trainMeanNll?: number;
  learningRate?: number;
  testNll?: number;
  message: string;
}

export interface FineTuneOptions {
  service: FineTuneService;
  tokenizer: ChatTokenizer;
  /** Dataset rows (parsed JSON objects), e.g. validateForFineTune(text).rows. */
  rows: readonly unknown[];
  config: FineTuneConfig;
  /** The run folder: created when missing; a folder holding this run's earlier attempt is resumed. */
  runDir: string;
  /** Where the rows came from, for config.json. */
  dataset?: { path?: string; sha256?: string };
  signal?: AbortSignal;
  onProgress?: (p: FineTuneProgress) => void;
  onLog?: (line: string) => void;
}

export interface FineTuneResult {
  status: Exclude<RunStatus, 'running'>;
  /** Steps done and kept (the final metrics view's last step). */
  steps: number;
  totalSteps: number;
  runDir: string;
  lastStatePath: string | undefined;
  /** The final sampler checkpoint, when completed: sample it to compare with the base model. */
  lastSamplerPath: string | undefined;
  trainingRunId: string | undefined;
  /** When this call resumed an earlier attempt: the step it continued after. */
  resumedFrom: number | undefined;
  error: RunError | undefined;
  data: { train: PrepareStats; eval: PrepareStats } | undefined;
}

/** The run folder holds another fine-tune (different data or settings): resuming it would mix two runs. */
export class FineTuneResumeMismatchError extends Error {
  override name = 'FineTuneResumeMismatchError';
  constructor(
    readonly runDir: string,
    readonly differences: readonly string[],
  ) {
    super(
      `${runDir} holds a fine-tune with other data or settings (${differences.join('; ')}), so it cannot be resumed with these: choose a new run folder, or the same settings.`,
    );
  }
}

/** The rows give no full batch to train on (after rows that cannot be trained are left out). */
export class FineTuneDataError extends Error {
  override name = 'FineTuneDataError';
}

/** Settings that decide which weights come out: a resume must match them all. */
const IDENTITY_KEYS = [
  'base_model',
  'lora_rank',
  'learning_rate',
  'lr_schedule',
  'warmup_steps',
  'epochs',
  'batch_size',
  'eval_split',
  'max_length',
  'seed',
  'train_on',
  'tokenizer',
  'rows_sha256',
] as const;

const pad = (n: number) => String(n).padStart(6, '0');

/** The server's URL without user, password, query or fragment (where a key could hide). */
export function publicServerUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
}

export function runErrorOf(e: unknown, step?: number): RunError {
  const err = e as { name?: unknown; message?: unknown; request_id?: unknown; mayHaveBeenApplied?: unknown; training_op?: unknown };
  const out: RunError = {
    class: typeof err?.name === 'string' ? err.name : 'Error',
    message: typeof err?.message === 'string' ? err.message : String(e),
  };
  if (typeof err?.request_id === 'string') out.request_id = err.request_id;
  if (err?.mayHaveBeenApplied === true) out.may_have_been_applied = true;
  if (typeof err?.training_op === 'string') out.training_op = err.training_op;
  if (step !== undefined) out.step = step;
  return out;
}

/** Mean negative log-likelihood per weighted token, from the per-datum logprobs (tinker-cookbook's compute_mean_nll). */
export function meanNll(
  res: Pick<ForwardBackwardResult, 'loss_fn_outputs' | 'metrics'>,
  data: readonly Datum[],
): { nll: number; weight: number } {
  let sum = 0;
  let weight = 0;
  let ok = res.loss_fn_outputs.length === data.length;
  for (let i = 0; ok && i < data.length; i++) {
    const lp = res.loss_fn_outputs[i]!['logprobs']?.data;
    const w = data[i]!.loss_fn_inputs['weights']!.data;
    if (!lp || lp.length !== w.length) {
      ok = false;
      break;
    }
    for (let j = 0; j < w.length; j++) {
      if (w[j] === 0) continue;
      sum -= lp[j]! * w[j]!;
      weight += w[j]!;
    }
  }
  if (!ok) {
    // No per-token logprobs: the loss MinT summed over weighted tokens.
    weight = data.reduce((a, d) => a + d.loss_fn_inputs['weights']!.data.reduce((x, y) => x + y, 0), 0);
    sum = res.metrics['loss:sum'] ?? NaN;
  }
  return { nll: weight > 0 ? sum / weight : NaN, weight };
}

/** The promise itself, with its rejection marked handled (it is awaited later, or dropped with the run). */
function settleQuietly<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** A step's op failed: which step, and the client's error. */
class StepFailure extends Error {
  constructor(
    readonly step: number,
    override readonly cause: unknown,
  ) {
    super(`step ${step} failed`);
  }
}

function isCancel(e: unknown, signal: AbortSignal | undefined): boolean {
  if (!signal?.aborted) return false;
  return e instanceof CancelledError || (e as Error)?.name === 'AbortError' || e === signal.reason;
}

class FineTuneRun {
  private readonly folder: RunFolder;
  private readonly log: (line: string) => void;
  private run!: RunFile;
  private tc: FineTuneTrainingClient | undefined;
  private done = 0;
  private lastSaved = 0;
  private lastStatePath: string | undefined;
  private lastSamplerPath: string | undefined;
  private trainingRunId: string | undefined;
  private resumedFrom: number | undefined;
  private firstRowAfterResume = false;
  private lastRunWrite = 0;
  private plan!: BatchPlan;
  private trainRows: number[] = [];
  private evalRows: number[] = [];
  private trainCache!: ExampleCache;
  private evalCache!: ExampleCache;
  private evalData: Datum[] | undefined;
  /** The next step's batch, being rendered. */
  private next: Promise<{ data: Datum[]; left: number }> | undefined;
  private selection: { train: { skipped: PrepareStats['skipped'] }; eval: { skipped: PrepareStats['skipped'] } } | undefined;

  constructor(
    private readonly o: FineTuneOptions,
    private readonly c: ResolvedFineTuneConfig,
  ) {
    this.folder = new RunFolder(o.runDir);
    this.log = o.onLog ?? (() => undefined);
  }

  private progress(phase: FineTunePhase, message: string, extra: Partial<FineTuneProgress> = {}): void {
    this.o.onProgress?.({
      phase,
      step: this.done,
      totalSteps: this.plan?.totalSteps ?? 0,
      epoch: this.plan && this.done > 0 ? this.plan.epochOf(this.done) : 0,
      message,
      ...extra,
    });
  }

  private result(status: FineTuneResult['status'], error?: RunError): FineTuneResult {
    return {
      status,
      steps: this.done,
      totalSteps: this.plan?.totalSteps ?? this.run?.total_steps ?? 0,
      runDir: this.o.runDir,
      lastStatePath: this.lastStatePath,
      lastSamplerPath: this.lastSamplerPath,
      trainingRunId: this.trainingRunId,
      resumedFrom: this.resumedFrom,
      error,
      data: this.dataStats(),
    };
  }

  /** Rows prepared so far (rendering is lazy), with the rows left out before training added in. */
  private dataStats(): FineTuneResult['data'] {
    if (!this.selection || !this.trainCache) return undefined;
    const merge = (cache: ExampleCache, skipped: PrepareStats['skipped']): PrepareStats => {
      const out: PrepareStats = { ...cache.stats, skipped: { ...cache.stats.skipped } };
      for (const [reason, v] of Object.entries(skipped)) {
        out.rows += v.count;
        const have = out.skipped[reason];
        out.skipped[reason] = have ? { count: have.count + v.count, rows: [...v.rows, ...have.rows].slice(0, 5) } : v;
      }
      return out;
    };
    return { train: merge(this.trainCache, this.selection.train.skipped), eval: merge(this.evalCache, this.selection.eval.skipped) };
  }

  private async saveRun(patch: Partial<RunFile> = {}): Promise<void> {
    const now = new Date().toISOString();
    this.run = { ...this.run, ...patch, updated_at: now, step: this.done };
    const data = this.dataStats();
    if (data) this.run.data = data;
    if (this.lastStatePath) this.run.last_state_path = this.lastStatePath;
    if (this.lastSamplerPath) this.run.last_sampler_path = this.lastSamplerPath;
    if (this.trainingRunId) this.run.training_run_id = this.trainingRunId;
    this.lastRunWrite = Date.now();
    await this.folder.writeRun(this.run);
  }

  private configJson(rowsHash: string, split: { train: number[]; eval: number[] }): Record<string, unknown> {
    const c = this.c;
    return {
      kind: 'sft',
      created_by: 'MinT for VS Code: Fine-tune on This Dataset',
      base_model: c.baseModel,
      lora_rank: c.loraRank,
      learning_rate: c.learningRate,
      lr_schedule: c.lrSchedule,
      warmup_steps: c.warmupSteps,
      epochs: c.epochs,
      batch_size: c.batchSize,
      eval_split: c.evalSplit,
      eval_every: c.evalEvery,
      checkpoint_every: c.checkpointEvery,
      max_length: c.maxLength,
      seed: c.seed,
      train_on: c.trainOn,
      loss_fn: 'cross_entropy',
      renderer_name: 'chat_template',
      tokenizer: this.o.tokenizer.id ?? c.baseModel,
      rows_sha256: rowsHash,
      dataset: {
        path: this.o.dataset?.path ?? null,
        sha256: this.o.dataset?.sha256 ?? null,
        rows: this.o.rows.length,
        train_rows: split.train.length,
        eval_rows: split.eval.length,
      },
      server_url: publicServerUrl(this.o.service.baseUrl),
      log_path: this.o.runDir,
    };
  }

  async start(): Promise<FineTuneResult> {
    const { o, c } = this;
    const signal = o.signal;
    await this.folder.ensure();
    const rowsHash = rowsSha256(o.rows);
    const split = splitRows(o.rows.length, c.evalSplit, c.seed);
    const config = this.configJson(rowsHash, split);

    // An earlier attempt in this folder: resume it if it is the same run, refuse if not.
    const prior = await this.folder.readConfig();
    const priorRun = await this.folder.readRun();
    if (prior) {
      const diffs = IDENTITY_KEYS.filter((k) => JSON.stringify(prior[k]) !== JSON.stringify(config[k])).map(
        (k) => `${k}: ${k === 'rows_sha256' ? 'the rows changed' : `${JSON.stringify(prior[k])} then, ${JSON.stringify(config[k])} now`}`,
      );
      if (diffs.length) throw new FineTuneResumeMismatchError(o.runDir, diffs);
    } else if ((await this.folder.readMetrics()).length > 0 || (await this.folder.readCheckpoints()).length > 0) {
      throw new FineTuneResumeMismatchError(o.runDir, ['it has metrics or checkpoints but no config.json']);
    }
    if (prior && priorRun?.status === 'completed') {
      this.run = priorRun;
      this.done = priorRun.step;
      this.lastStatePath = priorRun.last_state_path;
      this.lastSamplerPath = priorRun.last_sampler_path;
      this.trainingRunId = priorRun.training_run_id;
      this.log(`${o.runDir} is already complete (${priorRun.step} steps); nothing to do.`);
      return { ...this.result('completed'), totalSteps: priorRun.total_steps };
    }

    // Data: which rows train (cheap, exact, every row now); rendering and tokenizing come batch by
    // batch, the next batch while the server works on the current one.
    this.progress('preparing', `Checking ${o.rows.length} rows`);
    const picked = { train: selectRows(o.rows, split.train, c.trainOn), eval: selectRows(o.rows, split.eval, c.trainOn) };
    const prep = { maxLength: c.maxLength, trainOn: c.trainOn };
    this.trainRows = picked.train.rows;
    this.evalRows = picked.eval.rows;
    this.trainCache = new ExampleCache(o.tokenizer, o.rows, prep);
    this.evalCache = new ExampleCache(o.tokenizer, o.rows, prep);
    this.selection = picked;
    this.plan = new BatchPlan(this.trainRows.length, c.batchSize, c.epochs, c.seed);
    for (const [reason, s] of Object.entries(picked.train.skipped))
      this.log(`Left out ${s.count} training row(s): ${reason} (rows ${s.rows.map((r) => r + 1).join(', ')}…)`);
    if (this.plan.totalSteps === 0) {
      throw new FineTuneDataError(
        `Only ${this.trainRows.length} of ${split.train.length} training rows can be trained, fewer than one batch of ${c.batchSize}: lower the batch size or add rows.`,
      );
    }
    const total = this.plan.totalSteps;
    await this.folder.writeConfig({
      ...config,
      total_steps: total,
      steps_per_epoch: this.plan.stepsPerEpoch,
      data: {
        train_rows_trainable: this.trainRows.length,
        eval_rows_trainable: this.evalRows.length,
        left_out: { train: picked.train.skipped, eval: picked.eval.skipped },
      },
    });

    // Where to start: after the last saved state, superseding any metrics rows beyond it.
    const ckpts = await this.folder.readCheckpoints();
    await this.folder.repairTail('checkpoints');
    const resumable = [...ckpts].reverse().find((r) => typeof r.state_path === 'string' && r.state_path && r.step <= total && r.step >= 0);
    const from = resumable?.step ?? 0;
    const now = new Date().toISOString();
    let resume: ResumeRecord | undefined;
    if (prior) {
      const superseded = await this.folder.supersedeMetricsAfter(from, `resume from step ${from}`);
      resume = {
        step: from,
        state_path: resumable?.state_path ?? null,
        at: now,
        superseded_steps: superseded,
        previous_status: priorRun?.status,
        ...(priorRun?.training_run_id ? { previous_training_run_id: priorRun.training_run_id } : {}),
      };
      this.resumedFrom = from;
      this.firstRowAfterResume = true;
      this.log(
        `Resuming ${o.runDir} after step ${from}${resumable ? ` from ${resumable.state_path}` : ' from the base model (no state was saved)'}${
          superseded.length
            ? `; the metrics of steps ${superseded[0]}–${superseded[superseded.length - 1]} are superseded (redone from the saved weights)`
            : ''
        }.`,
      );
    }
    this.done = from;
    this.lastSaved = from;
    this.lastStatePath = resumable?.state_path ?? undefined;
    this.run = {
      ...(priorRun ?? {}),
      status: 'running',
      started_at: priorRun?.started_at ?? now,
      attempt_started_at: now,
      updated_at: now,
      base_model: c.baseModel,
      step: from,
      total_steps: total,
      ...(resume ? { resumed_from: resume, resumes: [...(priorRun?.resumes ?? []), resume] } : {}),
    };
    delete this.run.error;
    delete this.run.finished_at;
    delete this.run.last_sampler_path;
    await this.saveRun();

    try {
      // The first batch renders while the training run is created.
      if (from < total) this.next = settleQuietly(this.batchData(from + 1));
      await this.connect(resumable?.state_path ?? undefined);
      await this.loop();
      if (signal?.aborted) return await this.cancelled();
      await this.finish();
      this.progress('done', `Fine-tune complete: ${total} steps. Compare with the base model in the Playground.`);
      return this.result('completed');
    } catch (e) {
      if (isCancel(e, signal)) return await this.cancelled();
      return await this.failed(e);
    }
  }

  private async connect(statePath: string | undefined): Promise<void> {
    const { o, c } = this;
    const signal = o.signal;
    this.progress(statePath ? 'resuming' : 'starting', `Creating a LoRA training run on ${c.baseModel} (rank ${c.loraRank})`);
    this.tc = await o.service.createLoraTrainingClient(
      {
        base_model: c.baseModel,
        rank: c.loraRank,
        seed: c.seed,
        user_metadata: { created_by: 'mint-vscode fine-tune', renderer_name: 'chat_template' },
      },
      signal ? { signal } : {},
    );
    this.run.model_id = this.tc.model_id;
    this.log(`Training run model ${this.tc.model_id} on ${publicServerUrl(o.service.baseUrl)}.`);
    if (statePath) {
      this.progress('resuming', `Loading ${statePath} (weights and optimizer state)`);
      await this.tc.loadState(statePath, { optimizer: true, ...(signal ? { signal } : {}) });
      this.log(`Loaded ${statePath} with its optimizer state; continuing with step ${this.done + 1}.`);
    }
    await this.saveRun();
  }

  /** The datums of step `s` (1-based): its batch's rows, rendered and tokenized on first use. */
  private async batchData(s: number, afterMs = 0): Promise<{ data: Datum[]; left: number }> {
    const rows = this.plan.batch(s).map((i) => this.trainRows[i]!);
    // Rendering right after a step's ops are issued would hold their requests back: let them go out first.
    if (afterMs > 0) await new Promise<void>((resolve) => setTimeout(resolve, afterMs));
    const examples = await this.trainCache.getMany(rows, 5);
    const data: Datum[] = [];
    for (const ex of examples) if (ex) data.push(toDatum(ex));
    return { data, left: rows.length - data.length };
  }

  private async loop(): Promise<void> {
    const { c } = this;
    const tc = this.tc!;
    const total = this.plan.totalSteps;
    for (let s = this.done + 1; s <= total; s++) {
      if (this.o.signal?.aborted) return;
      const epoch = this.plan.epochOf(s);
      const { data, left } = await (this.next ?? this.batchData(s));
      const lr = learningRateAt(s, total, c);
      if (left > 0)
        this.log(`Step ${s}: ${left} row(s) of its batch could not be trained (see the data stats); it trains on ${data.length}.`);
      const t0 = performance.now();
      // No signal on the step's ops: a step is finished once sent, never left half-known.
      const step =
        data.length > 0 ? Promise.allSettled([tc.forwardBackward(data, 'cross_entropy'), tc.optimStep({ learning_rate: lr })]) : undefined;
      // The next batch is rendered while the server works on this one.
      this.next = s < total ? settleQuietly(this.batchData(s + 1, step ? 1 : 0)) : undefined;
      let nll: number | null = null;
      let weight = 0;
      if (step) {
        const [fb, opt] = await step;
        if (fb.status === 'rejected') throw new StepFailure(s, fb.reason);
        if (opt.status === 'rejected') throw new StepFailure(s, opt.reason);
        ({ nll, weight } = meanNll(fb.value, data));
      } else {
        this.log(`Step ${s}: no row of its batch can be trained; the step is skipped (no update).`);
      }
      const seconds = (performance.now() - t0) / 1000;
      this.done = s;
      let tokens = 0;
      for (const d of data) tokens += d.loss_fn_inputs['target_tokens']!.data.length;
      const row: MetricsRow = {
        step: s,
        epoch,
        train_mean_nll: nll,
        learning_rate: lr,
        num_sequences: data.length,
        num_tokens: tokens,
        num_loss_tokens: weight,
        progress: s / total,
        step_time_seconds: seconds,
        tokens_per_second: seconds > 0 ? tokens / seconds : 0,
        lora_rank: c.loraRank,
      };
      if (this.firstRowAfterResume) {
        row.resumed_from = this.resumedFrom!;
        this.firstRowAfterResume = false;
      }
      let evalError: unknown;
      if (this.evalRows.length > 0 && ((c.evalEvery > 0 && s % c.evalEvery === 0) || s === total)) {
        try {
          const t = await this.evaluate();
          if (t !== undefined) row['test/nll'] = t;
        } catch (e) {
          evalError = e;
        }
      }
      // The step happened: its row is written even when the evaluation after it failed.
      await this.folder.appendMetrics(row);
      if (evalError !== undefined) throw evalError;
      const test = row['test/nll'];
      this.progress(
        'training',
        `Step ${s}/${total}: train NLL ${nll === null ? '–' : nll.toFixed(4)}${test !== undefined ? `, test NLL ${test.toFixed(4)}` : ''}`,
        {
          ...(nll !== null ? { trainMeanNll: nll } : {}),
          learningRate: lr,
          ...(test !== undefined ? { testNll: test } : {}),
        },
      );
      if (c.checkpointEvery > 0 && s % c.checkpointEvery === 0 && s < total) await this.saveState(pad(s));
      else if (Date.now() - this.lastRunWrite > 5000) await this.saveRun();
    }
  }

  /** test/nll over the eval rows (rendered on first use), or undefined when none of them can be trained. */
  private async evaluate(): Promise<number | undefined> {
    const signal = this.o.signal;
    this.progress('evaluating', `Computing test NLL on ${this.evalRows.length} held-out conversations`);
    if (!this.evalData) {
      const examples = await this.evalCache.getMany(this.evalRows, 10, signal);
      this.evalData = examples.filter((e): e is Example => !!e).map(toDatum);
    }
    if (this.evalData.length === 0) return undefined;
    const res = await this.tc!.forward(this.evalData, 'cross_entropy', undefined, signal ? { signal } : {});
    return meanNll(res, this.evalData).nll;
  }

  private async saveState(name: string): Promise<string> {
    this.progress('saving', `Saving state ${name} at step ${this.done}`);
    const step = this.done;
    const { path } = await this.tc!.saveState(name);
    this.noteRun(path);
    this.lastStatePath = path;
    this.lastSaved = step;
    const row: CheckpointRow = {
      name,
      step,
      epoch: this.plan.epochOf(step),
      batch: step,
      state_path: path,
      sampler_path: null,
      final: false,
    };
    await this.folder.appendCheckpoint(row);
    await this.saveRun();
    this.log(`Saved state ${path} (step ${step}).`);
    return path;
  }

  private noteRun(path: string): void {
    let id: string | undefined;
    try {
      id = parseCheckpointPath(path).training_run_id;
    } catch {}
    if (!id || id === this.trainingRunId) return;
    this.trainingRunId = id;
    const ids = this.run.training_run_ids ?? [];
    if (!ids.includes(id)) this.run.training_run_ids = [...ids, id];
  }

  /** The final state and a sampler checkpoint, recorded as one row with final: true. */
  private async finish(): Promise<void> {
    const total = this.plan.totalSteps;
    const tc = this.tc!;
    let statePath = this.lastSaved === total && this.lastStatePath ? this.lastStatePath : undefined;
    let recorded = !!statePath;
    try {
      if (!statePath) {
        this.progress('saving', 'Saving the final state');
        statePath = (await tc.saveState('final')).path;
        this.noteRun(statePath);
        this.lastStatePath = statePath;
        this.lastSaved = total;
      }
      this.progress('saving', 'Saving the final weights for sampling');
      const { path: samplerPath } = await tc.saveWeightsForSampler('final');
      this.noteRun(samplerPath);
      this.lastSamplerPath = samplerPath;
      await this.folder.appendCheckpoint({
        name: 'final',
        step: total,
        epoch: this.plan.epochOf(total),
        batch: total,
        state_path: statePath,
        sampler_path: samplerPath,
        final: true,
      });
      recorded = true;
      await this.saveRun({ status: 'completed', finished_at: new Date().toISOString() });
      const st = this.trainCache.stats;
      if (st.truncated) this.log(`${st.truncated} training conversation(s) were cut to ${this.c.maxLength} tokens.`);
      if (st.lastTurnOnly)
        this.log(
          `${st.lastTurnOnly} conversation(s) trained their last assistant turn only (the chat template renders their history unlike its prompt).`,
        );
      for (const [reason, v] of Object.entries(st.skipped))
        this.log(`${v.count} training row(s) could not be rendered: ${reason} (rows ${v.rows.map((r) => r + 1).join(', ')}…)`);
      this.log(`Fine-tune complete. Sampler checkpoint: ${samplerPath}`);
    } finally {
      // The final state was saved but the sampler save failed: keep the state, so a resume only redoes the sampler save.
      if (!recorded && statePath) {
        await this.folder.appendCheckpoint({
          name: 'final',
          step: total,
          epoch: this.plan.epochOf(total),
          batch: total,
          state_path: statePath,
          sampler_path: null,
          final: false,
        });
      }
    }
  }

  private async cancelled(): Promise<FineTuneResult> {
    let error: RunError | undefined;
    if (this.tc && this.done > this.lastSaved) {
      try {
        await this.saveState(pad(this.done));
      } catch (e) {
        error = runErrorOf(e, this.done);
        error.message = `Cancelled, but saving the state after step ${this.done} failed, so a resume redoes the steps after ${this.lastSaved}: ${error.message}`;
      }
    }
    await this.saveRun({ status: 'cancelled', finished_at: new Date().toISOString(), ...(error ? { error } : {}) });
    this.log(
      `Cancelled after step ${this.done}; ${this.lastSaved > 0 ? `state saved at step ${this.lastSaved}` : 'no state saved'}. Run it again to resume.`,
    );
    this.progress('done', `Cancelled after step ${this.done} of ${this.plan.totalSteps}`);
    return this.result('cancelled', error);
  }

  private async failed(e: unknown): Promise<FineTuneResult> {
    const step = e instanceof StepFailure ? e.step : this.done + 1;
    const error = runErrorOf(e instanceof StepFailure ? e.cause : e, step);
    await this.saveRun({ status: 'failed', finished_at: new Date().toISOString(), error });
    this.log(
      `Failed at step ${step}: ${error.class}: ${error.message}${error.request_id ? ` (request ${error.request_id})` : ''}. ${
        error.may_have_been_applied ? 'MinT may have applied it, so it was not resent. ' : ''
      }Run it again to resume from step ${this.lastSaved}${this.lastStatePath ? ` (${this.lastStatePath})` : ' (the base model)'}.`,
    );
    this.progress('done', `Failed at step ${step}: ${error.message}`);
    return this.result('failed', error);
  }
}

/**
 * Fine-tunes `rows` on MinT into `runDir` (see the module comment). Throws before anything is
 * trained for bad settings (FineTuneConfigError), a folder holding another run
 * (FineTuneResumeMismatchError), one in use (RunFolderBusyError), or too few trainable rows
 * (FineTuneDataError); once training has started, it returns the outcome (completed, cancelled
 * or failed, with the error) rather than throwing, and run.json says the same.
 */
export async function fineTune(opts: FineTuneOptions): Promise<FineTuneResult> {
  const c = resolveFineTuneConfig(opts.config);
  // Taken before any await, so of two calls on one folder the first one wins.
  const unlock = await new RunFolder(opts.runDir).lock();
  try {
    return await new FineTuneRun(opts, c).start();
  } finally {
    await unlock();
  }
}
