/**
 * Fine-tune settings: what the user chooses (all optional but the base model), the defaults the
 * dialog shows, the checks made before anything runs, and the learning-rate schedule.
 *
 * Steps are counted from 1: step s is the s-th optimizer step; a checkpoint at step s holds the
 * weights after s steps, and a resume from it continues with step s + 1.
 */

export type LrSchedule = 'constant' | 'linear' | 'cosine';
export type TrainOn = 'all_assistant_messages' | 'last_assistant_message';

export interface FineTuneConfig {
  /** The MinT base model, e.g. "Qwen/Qwen3-0.6B". Required. */
  baseModel: string;
  /** LoRA rank (default 32, tinker-cookbook's). */
  loraRank?: number;
  /** Peak learning rate for Adam (default 1e-4). */
  learningRate?: number;
  /** How the rate falls after warm-up (default "linear", tinker-cookbook's). */
  lrSchedule?: LrSchedule;
  /** Steps of linear warm-up from learningRate / warmupSteps to learningRate (default 0). */
  warmupSteps?: number;
  /** Passes over the training rows (default 1). */
  epochs?: number;
  /** Conversations per step (default 8). Every step has exactly this many; an epoch's remainder is left out. */
  batchSize?: number;
  /**
   * Rows held out for `test/nll` (default 0, none): a number in (0, 1) is a fraction of the rows,
   * a whole number >= 1 a count. The split is seeded, so it is the same on every resume.
   */
  evalSplit?: number;
  /** Compute `test/nll` every this many steps (default 10) and at the end; 0 = at the end only. */
  evalEvery?: number;
  /** Save resumable state every this many steps (default 20); 0 = only at the end (and on cancel). */
  checkpointEvery?: number;
  /** Tokens per conversation; longer ones are cut to this (default 8192). */
  maxLength?: number;
  /** Seed of the eval split, the shuffles and the LoRA initialisation (default 0). */
  seed?: number;
  /** Which assistant turns carry loss (default all of them). */
  trainOn?: TrainOn;
}

export type ResolvedFineTuneConfig = Required<FineTuneConfig>;

export const FINE_TUNE_DEFAULTS: Readonly<Omit<ResolvedFineTuneConfig, 'baseModel'>> = Object.freeze({
  loraRank: 32,
  learningRate: 1e-4,
  lrSchedule: 'linear',
  warmupSteps: 0,
  epochs: 1,
  batchSize: 8,
  evalSplit: 0,
  evalEvery: 10,
  checkpointEvery: 20,
  maxLength: 8192,
  seed: 0,
  trainOn: 'all_assistant_messages',
});

/** Settings that cannot be used; the message lists every problem. */
export class FineTuneConfigError extends Error {
  override name = 'FineTuneConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`The fine-tune settings cannot be used: ${problems.join('; ')}.`);
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** Defaults filled in and every value checked; throws FineTuneConfigError naming each bad one. */
export function resolveFineTuneConfig(config: FineTuneConfig): ResolvedFineTuneConfig {
  const c: ResolvedFineTuneConfig = { ...FINE_TUNE_DEFAULTS, ...stripUndefined(config) } as ResolvedFineTuneConfig;
  const problems: string[] = [];
  if (typeof c.baseModel !== 'string' || !c.baseModel.trim()) problems.push('choose a base model');
  if (!isInt(c.loraRank) || c.loraRank < 1) problems.push(`LoRA rank must be a whole number of at least 1 (got ${c.loraRank})`);
  if (typeof c.learningRate !== 'number' || !Number.isFinite(c.learningRate) || c.learningRate <= 0) {
    problems.push(`the learning rate must be a positive number (got ${c.learningRate})`);
  }
  if (!['constant', 'linear', 'cosine'].includes(c.lrSchedule))
    problems.push(`the schedule must be constant, linear or cosine (got ${c.lrSchedule})`);
  if (!isInt(c.warmupSteps) || c.warmupSteps < 0) problems.push(`warm-up steps must be a whole number >= 0 (got ${c.warmupSteps})`);
  if (!isInt(c.epochs) || c.epochs < 1) problems.push(`epochs must be a whole number of at least 1 (got ${c.epochs})`);
  if (!isInt(c.batchSize) || c.batchSize < 1) problems.push(`the batch size must be a whole number of at least 1 (got ${c.batchSize})`);
  const e = c.evalSplit;
  if (typeof e !== 'number' || !Number.isFinite(e) || e < 0 || (e >= 1 && !Number.isInteger(e))) {
    problems.push(`the eval split must be 0, a fraction below 1, or a whole number of rows (got ${e})`);
  }
  if (!isInt(c.evalEvery) || c.evalEvery < 0) problems.push(`eval every must be a whole number of steps >= 0 (got ${c.evalEvery})`);
  if (!isInt(c.checkpointEvery) || c.checkpointEvery < 0) {
    problems.push(`checkpoint every must be a whole number of steps >= 0 (got ${c.checkpointEvery})`);
  }
  if (!isInt(c.maxLength) || c.maxLength < 2)
    problems.push(`the max length must be a whole number of at least 2 tokens (got ${c.maxLength})`);
  if (!isInt(c.seed)) problems.push(`the seed must be a whole number (got ${c.seed})`);
  if (!['all_assistant_messages', 'last_assistant_message'].includes(c.trainOn)) {
    problems.push(`train on must be all_assistant_messages or last_assistant_message (got ${c.trainOn})`);
  }
  if (problems.length) throw new FineTuneConfigError(problems);
  return c;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * The learning rate of step `step` (1-based) of `totalSteps`: linear warm-up over the first
 * warmupSteps steps, then constant, linear decay or cosine decay towards 0 over the rest. Never 0
 * (MinT refuses a zero rate): the last step of a decay gets a small positive rate, as in
 * tinker-cookbook, whose linear schedule is lr * (1 - i / total) for the 0-based step i.
 */
export function learningRateAt(
  step: number,
  totalSteps: number,
  c: Pick<ResolvedFineTuneConfig, 'learningRate' | 'lrSchedule' | 'warmupSteps'>,
): number {
  const i = Math.max(0, step - 1);
  const warm = Math.min(c.warmupSteps, Math.max(0, totalSteps - 1));
  if (i < warm) return (c.learningRate * (i + 1)) / (warm + 1);
  const span = Math.max(1, totalSteps - warm);
  const p = Math.min(1, (i - warm) / span);
  switch (c.lrSchedule) {
    case 'constant':
      return c.learningRate;
    case 'linear':
      return c.learningRate * (1 - p);
    case 'cosine':
      return c.learningRate * 0.5 * (1 + Math.cos(Math.PI * p));
  }
}
