import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { MAX_LORA_RANK } from '../catalog';
import type { EmulatorCore } from '../core';
import { HttpError, detail, json, parseWith } from '../http';
import { computeLoss, type LossConfig, type LossFn, type PreparedDatum } from '../losses';
import { LoraAdapter } from '../lora';
import type { Router } from '../router';
import { CreateModelRequest, ForwardBackwardRequest, ForwardRequest, ModelIdRequest, OptimStepRequest, type TensorData } from '../schemas';
import { submitTrainingOp } from '../trainingQueue';
import type { LiveModel } from '../world';
import { checkContext, promptTokens, requireBaseModel } from './sampling';

export function liveModel(core: EmulatorCore, modelId: string): LiveModel {
  const m = core.world.models.get(modelId);
  if (!m) throw detail(404, `Unknown model_id: ${modelId}. Create a training client (create_model) first; models do not survive an emulator restart, but their checkpoints do with --data-dir.`);
  stopIfHeartbeatStale(core, m);
  m.run.lastRequestTime = new Date();
  return m;
}

/**
 * MinT stops training whose client stopped heartbeating: its pending futures fail and the model
 * goes away. Checked when the model is next used, so no timer runs for it.
 */
function stopIfHeartbeatStale(core: EmulatorCore, m: LiveModel): void {
  const session = core.world.sessions.get(m.sessionId);
  if (!session) return;
  const silentMs = Date.now() - session.lastHeartbeat.getTime();
  if (silentMs <= core.config.heartbeatStaleMs) return;
  const limitS = (core.config.heartbeatStaleMs / 1000).toFixed(1);
  for (const id of m.inFlight) core.futures.reject(id, { error: `Training session terminated due to stale heartbeat (> ${limitS}s)`, category: 'system' });
  core.world.models.delete(m.id);
  throw detail(
    404,
    `Model ${m.id} was stopped: session ${m.sessionId} sent no heartbeat for ${(silentMs / 1000).toFixed(1)} s (limit ${limitS} s). ` +
      'Keep a session heartbeat every 10 s while training, then create a new training client; saved checkpoints are kept.',
  );
}

/** Weights may be sent under any of these names; MinT insists on one of them. */
const WEIGHT_KEYS = ['weights', 'loss_mask', 'mask'] as const;

function tensor(name: string, t: TensorData, index: number, length: number): number[] {
  const size = t.shape.reduce((a, b) => a * b, 1);
  if (size !== t.data.length) throw detail(400, `Item ${index}: ${name} has ${t.data.length} values but shape [${t.shape.join(', ')}] says ${size}.`);
  if (t.data.length !== length) throw detail(400, `Item ${index}: ${name} has ${t.data.length} values but model_input has ${length} tokens; they must align position by position.`);
  return t.data;
}

type LossBody = z.infer<typeof ForwardBackwardRequest>['forward_backward_input'];

function prepare(core: EmulatorCore, baseModel: string, input: LossBody): { data: PreparedDatum[]; config: LossConfig } {
  const model = core.model;
  const needsSampler = input.loss_fn !== 'cross_entropy';
  const data = input.data.map((d, i): PreparedDatum => {
    const weightKey = WEIGHT_KEYS.find((k) => d.loss_fn_inputs[k] !== undefined);
    if (!weightKey) throw new HttpError(422, { detail: `Item ${i} missing loss_mask/mask/weights` });
    const tokens = promptTokens(model, d.model_input);
    checkContext(baseModel, tokens.length, 0);
    const targets = d.loss_fn_inputs['target_tokens'];
    if (!targets) throw new HttpError(422, { detail: `Item ${i} missing target_tokens` });
    const out: PreparedDatum = {
      tokens,
      targets: tensor('target_tokens', targets, i, tokens.length),
      weights: tensor(weightKey, d.loss_fn_inputs[weightKey]!, i, tokens.length),
    };
    for (const t of out.targets) {
      if (!Number.isInteger(t) || t < 0 || t >= model.vocabSize) throw detail(400, `Item ${i}: target token ${t} is outside the vocabulary (0..${model.vocabSize - 1}).`);
    }
    if (needsSampler) {
      const lp = d.loss_fn_inputs['logprobs'];
      const adv = d.loss_fn_inputs['advantages'];
      if (!lp || !adv) throw new HttpError(422, { detail: `Item ${i}: loss_fn '${input.loss_fn}' needs logprobs (from the sampler) and advantages in loss_fn_inputs` });
      out.samplerLogprobs = tensor('logprobs', lp, i, tokens.length);
      out.advantages = tensor('advantages', adv, i, tokens.length);
    }
    return out;
  });
  const c = input.loss_fn_config ?? {};
  return { data, config: { clipLow: c['clip_low_threshold'] ?? 0.8, clipHigh: c['clip_high_threshold'] ?? 1.2, beta: c['beta'] ?? 0.05 } };
}

const f32 = (data: number[]) => ({ data, dtype: 'float32', shape: [data.length] });

function lossOutput(core: EmulatorCore, m: LiveModel, fn: LossFn, prepared: ReturnType<typeof prepare>, backward: boolean) {
  const r = computeLoss(core.model, m.adapter, prepared.data, fn, prepared.config, backward);
  return {
    loss_fn_output_type: `${fn}_loss`,
    loss_fn_outputs: r.perDatum.map((d) => ({ logprobs: f32(d.logprobs), loss: f32([d.loss]) })),
    metrics: {
      // Mean per weighted token: comparable across batches of different sizes.
      'loss:mean': r.numTokens > 0 ? r.totalLoss / r.numTokens : 0,
      'loss:sum': r.totalLoss,
      'num_tokens:sum': r.numTokens,
      'num_samples:sum': prepared.data.length,
    },
  };
}

export function registerTraining(r: Router): void {
  r.add('POST', '/api/v1/create_model', (ctx) => {
    const body = parseWith(CreateModelRequest, ctx.body);
    const core = ctx.core;
    requireBaseModel(body.base_model);
    const lora = body.lora_config ?? { rank: 32, train_mlp: true, train_attn: true, train_unembed: true, seed: undefined };
    if (lora.rank > MAX_LORA_RANK) throw detail(400, `LoRA rank ${lora.rank} is above this server's maximum of ${MAX_LORA_RANK}; pick a rank from 1 to ${MAX_LORA_RANK}.`);
    if (!lora.train_mlp && !lora.train_attn && !lora.train_unembed) throw detail(400, 'At least one of train_mlp, train_attn and train_unembed must be true.');
    const id = `${body.session_id}_${body.model_seq_id}`;
    const existing = core.world.models.get(id);
    if (existing && (existing.run.baseModel !== body.base_model || existing.run.rank !== lora.rank)) {
      throw detail(409, `Model ${id} already exists with a different configuration; use the next model_seq_id.`);
    }
    if (!existing) {
      const seed = lora.seed ?? randomInt(2 ** 31 - 1);
      const now = new Date();
      const run = {
        id,
        baseModel: body.base_model,
        rank: lora.rank,
        seed,
        trainMlp: lora.train_mlp,
        trainAttn: lora.train_attn,
        trainUnembed: lora.train_unembed,
        userMetadata: body.user_metadata ? Object.fromEntries(Object.entries(body.user_metadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) : undefined,
        createdAt: now,
        lastRequestTime: now,
        checkpoints: new Map(),
      };
      const lm = core.model;
      core.world.runs.set(id, run);
      core.world.models.set(id, {
        id,
        sessionId: body.session_id,
        run,
        adapter: new LoraAdapter(lora.rank, lm, seed),
        lastSeq: 0,
        parked: new Map(),
        seen: new Map(),
        inFlight: new Set(),
        busy: Promise.resolve(),
      });
      core.world.sessions.get(body.session_id)?.trainingRunIds.push(id);
      core.saveRun(run);
    }
    const requestId = core.futures.create('create_model', { fault: ctx.futureFault, expectedMs: core.config.latencyMs });
    core.futures.settleLater(requestId, core.config.latencyMs, () => ({ model_id: id, type: 'create_model', request_id: requestId, backend: 'emulator' }));
    return json({ request_id: requestId, model_id: id });
  });

  r.add('POST', '/api/v1/get_info', (ctx) => {
    const body = parseWith(ModelIdRequest, ctx.body);
    const m = liveModel(ctx.core, body.model_id);
    const base = m.run.baseModel;
    return json({
      type: 'get_info',
      model_id: m.id,
      model_name: base,
      is_lora: true,
      lora_rank: m.run.rank,
      model_data: { arch: 'transformer', model_name: base, tokenizer_id: base },
    });
  });

  r.add('POST', '/api/v1/forward_backward', (ctx) => {
    const body = parseWith(ForwardBackwardRequest, ctx.body);
    const m = liveModel(ctx.core, body.model_id);
    const input = body.forward_backward_input;
    const prepared = prepare(ctx.core, m.run.baseModel, input);
    const id = submitTrainingOp(ctx.core, m, 'forward_backward', body.seq_id, body, ctx.futureFault, () => lossOutput(ctx.core, m, input.loss_fn, prepared, true));
    return json({ request_id: id, model_id: m.id });
  });

  r.add('POST', '/api/v1/forward', (ctx) => {
    const body = parseWith(ForwardRequest, ctx.body);
    const m = liveModel(ctx.core, body.model_id);
    const input = body.forward_input;
    const prepared = prepare(ctx.core, m.run.baseModel, input);
    const id = submitTrainingOp(ctx.core, m, 'forward', body.seq_id, body, ctx.futureFault, () => lossOutput(ctx.core, m, input.loss_fn, prepared, false));
    return json({ request_id: id, model_id: m.id });
  });

  r.add('POST', '/api/v1/optim_step', (ctx) => {
    const body = parseWith(OptimStepRequest, ctx.body);
    const m = liveModel(ctx.core, body.model_id);
    const id = submitTrainingOp(ctx.core, m, 'optim_step', body.seq_id, body, ctx.futureFault, () => {
      const { gradNorm } = m.adapter.adamStep(body.adam_params);
      return {
        type: 'optim_step',
        metrics: { 'grad_norm:mean': gradNorm, 'learning_rate:mean': body.adam_params.learning_rate, 'step:max': m.adapter.step },
      };
    });
    return json({ request_id: id, model_id: m.id });
  });
}
