import type { EmulatorCore } from '../core';
import { FutureWorkError } from '../futures';
import { HttpError, detail } from '../http';
import { LOSS_FNS, computeLoss, type LossConfig, type LossFn, type PreparedDatum } from '../losses';
import type { LossInput, TensorData } from '../schemas';
import type { LiveModel } from '../world';
import { findModel } from '../catalog';
import { promptTokens } from './sampling';

/** Weights may be sent under any of these names; MinT insists on one of them. */
const WEIGHT_KEYS = ['weights', 'loss_mask', 'mask'] as const;

/**
 * MinT's first check on forward_backward and train_step, made before it even looks the model
 * up: every datum must say which positions count. `/forward` has no such rule.
 */
export function requireWeights(input: LossInput): void {
  input.data.forEach((d, i) => {
    if (!WEIGHT_KEYS.some((k) => d.loss_fn_inputs[k] !== undefined))
      throw new HttpError(422, { detail: `Item ${i} missing loss_mask/mask/weights` });
  });
}

const values = (t: TensorData): number[] => (Array.isArray(t.data) ? t.data : [t.data]);

function tensor(name: string, t: TensorData, index: number, length: number): number[] {
  const data = values(t);
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size !== data.length)
    throw detail(400, `Item ${index}: ${name} has ${data.length} values but shape [${t.shape.join(', ')}] says ${size}.`);
  if (data.length !== length)
    throw detail(
      400,
      `Item ${index}: ${name} has ${data.length} values but model_input has ${length} tokens; they must align position by position.`,
    );
  return data;
}

/** A batch checked at POST; what MinT only finds out while running (the loss, RL inputs) waits for `lossOf`. */
export interface PreparedBatch {
  data: PreparedDatum[];
  input: LossInput;
}

/** MinT's max_model_len check on a training datum, in its words (routes/training.py). */
function checkTrainingLength(baseModel: string, length: number): void {
  const limit = findModel(baseModel)?.max_context_length;
  if (limit !== undefined && length > limit) {
    throw detail(
      400,
      `Input sequence length ${length} exceeds max_model_len ${limit} for model ${baseModel}. Shorten the example or split it.`,
    );
  }
}

/** Shape checks the emulator makes at POST, after the model lookup (MinT's 400 for a too-long input sits there too). */
export function prepare(core: EmulatorCore, baseModel: string, input: LossInput): PreparedBatch {
  const model = core.model;
  const data = input.data.map((d, i): PreparedDatum => {
    const tokens = promptTokens(model, d.model_input);
    checkTrainingLength(baseModel, tokens.length);
    const targets = d.loss_fn_inputs['target_tokens'];
    if (!targets) throw new HttpError(422, { detail: `Item ${i} missing target_tokens` });
    const weightKey = WEIGHT_KEYS.find((k) => d.loss_fn_inputs[k] !== undefined);
    const out: PreparedDatum = {
      tokens,
      targets: tensor('target_tokens', targets, i, tokens.length),
      // Only /forward gets here without weights: every position counts.
      weights: weightKey ? tensor(weightKey, d.loss_fn_inputs[weightKey]!, i, tokens.length) : tokens.map(() => 1),
    };
    for (const t of out.targets) {
      if (!Number.isInteger(t) || t < 0 || t >= model.vocabSize)
        throw detail(400, `Item ${i}: target token ${t} is outside the vocabulary (0..${model.vocabSize - 1}).`);
    }
    const lp = d.loss_fn_inputs['logprobs'];
    const adv = d.loss_fn_inputs['advantages'];
    if (lp) out.samplerLogprobs = tensor('logprobs', lp, i, tokens.length);
    if (adv) out.advantages = tensor('advantages', adv, i, tokens.length);
    return out;
  });
  return { data, input };
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** The loss and its config, checked when the op runs: MinT accepts any name and any inputs at POST. */
function lossOf(batch: PreparedBatch): { fn: LossFn; config: LossConfig } {
  const name = batch.input.loss_fn;
  if (!(LOSS_FNS as readonly string[]).includes(name)) {
    throw new FutureWorkError(`Unknown loss_fn '${name}': this server implements ${LOSS_FNS.join(', ')}. Pick one of those.`);
  }
  const fn = name as LossFn;
  if (fn !== 'cross_entropy') {
    batch.data.forEach((d, i) => {
      if (!d.samplerLogprobs || !d.advantages) {
        throw new FutureWorkError(
          `Item ${i}: loss_fn '${fn}' needs logprobs (from the sampler) and advantages in loss_fn_inputs; send both, aligned with model_input.`,
        );
      }
    });
  }
  const c = batch.input.loss_fn_config ?? {};
  return {
    fn,
    config: { clipLow: num(c['clip_low_threshold'], 0.8), clipHigh: num(c['clip_high_threshold'], 1.2), beta: num(c['beta'], 0.05) },
  };
}

const f32 = (data: number[]) => ({ data, dtype: 'float32', shape: [data.length] });

/** Runs the loss (and its backward pass when asked) and answers MinT's ForwardBackwardOutput. */
export function lossOutput(core: EmulatorCore, m: LiveModel, batch: PreparedBatch, backward: boolean) {
  const { fn, config } = lossOf(batch);
  const r = computeLoss(core.model, m.adapter, batch.data, fn, config, backward);
  return {
    loss_fn_output_type: `${fn}_loss`,
    loss_fn_outputs: r.perDatum.map((d) => ({ logprobs: f32(d.logprobs), loss: f32([d.loss]) })),
    metrics: {
      // Mean per weighted token: comparable across batches of different sizes.
      'loss:mean': r.numTokens > 0 ? r.totalLoss / r.numTokens : 0,
      'loss:sum': r.totalLoss,
      'num_tokens:sum': r.numTokens,
      'num_samples:sum': batch.data.length,
    } as Record<string, number>,
  };
}
