import { randomInt } from 'node:crypto';
import type { z } from 'zod';
import { MAX_LORA_RANK } from '../catalog';
import type { EmulatorCore } from '../core';
import type { FutureFault } from '../faults';
import { detail, json, parseWith } from '../http';
import { stopIfStale } from '../heartbeat';
import { LoraAdapter, type AdapterState } from '../lora';
import { formatCheckpointPath, parseCheckpointPath } from '../paths';
import type { Router } from '../router';
import { CreateModelFromStateRequest, CreateModelRequest, ModelIdRequest, type LoraConfig } from '../schemas';
import type { LiveModel, TrainingRun } from '../world';
import { requireBaseModel } from './sampling';

/** The rank a run without lora_config trains at: the emulator's "full fine-tune" is still an adapter. */
const FULL_FINE_TUNE_RANK = 32;

/** The live model `modelId`, or MinT's 404 (with the reason when the emulator stopped it). */
export function liveModel(core: EmulatorCore, modelId: string): LiveModel {
  const m = core.world.models.get(modelId);
  if (m && !stopIfStale(core, m)) return m;
  const why = core.world.stoppedModels.get(modelId);
  throw detail(
    404,
    `Model '${modelId}' not found` +
      (why
        ? `: ${why}`
        : '. Create a training client (create_model) first; models do not survive an emulator restart, but their checkpoints do with --data-dir.'),
  );
}

type Lora = z.infer<typeof LoraConfig>;

function checkLora(lora: Lora | null | undefined): void {
  if (!lora) return;
  if (lora.rank > MAX_LORA_RANK)
    throw detail(400, `LoRA rank ${lora.rank} is above this server's maximum of ${MAX_LORA_RANK}; pick a rank from 1 to ${MAX_LORA_RANK}.`);
  if (!lora.train_mlp && !lora.train_attn && !lora.train_unembed)
    throw detail(400, 'At least one of train_mlp, train_attn and train_unembed must be true.');
}

/** A future that fails at once with `error`, as MinT reports conflicts found by the background task. */
function failingFuture(core: EmulatorCore, kind: string, fault: FutureFault | undefined, error: string): string {
  const id = core.futures.create(kind, { fault, expectedMs: core.config.latencyMs });
  core.futures.settleLater(id, core.config.latencyMs, () => core.futures.reject(id, { error, category: 'system' }));
  return id;
}

interface NewModel {
  sessionId: string;
  modelSeqId: number;
  baseModel: string;
  lora: Lora | null | undefined;
  userMetadata: Record<string, unknown> | null | undefined;
  /** Start from this state instead of a fresh adapter (create_model_from_state). */
  state?: { adapter: AdapterState; optimizer: boolean };
}

function createModel(core: EmulatorCore, spec: NewModel): LiveModel {
  const id = `${spec.sessionId}_${spec.modelSeqId}`;
  const rank = spec.lora?.rank ?? spec.state?.adapter.rank ?? FULL_FINE_TUNE_RANK;
  const seed = spec.lora?.seed ?? spec.state?.adapter.seed ?? randomInt(2 ** 31 - 1);
  const now = new Date();
  // A run seen before (on disk, or stopped) keeps its checkpoints, which MinT's catalog keeps too.
  const previous = core.world.runs.get(id);
  const run: TrainingRun = {
    id,
    baseModel: spec.baseModel,
    rank,
    isLora: spec.lora != null || spec.state !== undefined,
    seed,
    trainMlp: spec.lora?.train_mlp ?? true,
    trainAttn: spec.lora?.train_attn ?? true,
    trainUnembed: spec.lora?.train_unembed ?? true,
    userMetadata: spec.userMetadata
      ? Object.fromEntries(Object.entries(spec.userMetadata).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]))
      : undefined,
    createdAt: now,
    lastRequestTime: now,
    checkpoints: previous?.checkpoints ?? new Map(),
  };
  const adapter = spec.state
    ? LoraAdapter.fromState(spec.state.adapter, core.model, spec.state.optimizer)
    : new LoraAdapter(rank, core.model, seed);
  const model: LiveModel = { id, sessionId: spec.sessionId, run, adapter, queue: [], running: undefined };
  core.world.runs.set(id, run);
  core.world.models.set(id, model);
  core.world.stoppedModels.delete(id);
  const session = core.world.sessions.get(spec.sessionId);
  if (session && !session.trainingRunIds.includes(id)) session.trainingRunIds.push(id);
  core.saveRun(run);
  return model;
}

export function registerTrainingModels(r: Router): void {
  r.add('POST', '/api/v1/create_model', (ctx) => {
    const body = parseWith(CreateModelRequest, ctx.body);
    const core = ctx.core;
    requireBaseModel(body.base_model);
    checkLora(body.lora_config);
    const id = `${body.session_id}_${body.model_seq_id}`;
    // MinT creates the model in the background: a repeated create_model is accepted, then its future fails.
    if (core.world.models.has(id))
      return json({ request_id: failingFuture(core, 'create_model', ctx.futureFault, `Model '${id}' already exists`) });
    createModel(core, {
      sessionId: body.session_id,
      modelSeqId: body.model_seq_id,
      baseModel: body.base_model,
      lora: body.lora_config,
      userMetadata: body.user_metadata,
    });
    const requestId = core.futures.create('create_model', { fault: ctx.futureFault, expectedMs: core.config.latencyMs });
    core.futures.settleLater(requestId, core.config.latencyMs, () => ({
      model_id: id,
      type: 'create_model',
      request_id: requestId,
      backend: 'emulator',
    }));
    return json({ request_id: requestId });
  });

  r.add('POST', '/api/v1/create_model_from_state', (ctx) => {
    const body = parseWith(CreateModelFromStateRequest, ctx.body);
    const core = ctx.core;
    requireBaseModel(body.base_model);
    checkLora(body.lora_config);
    const p = parseCheckpointPath(body.state_path);
    if (!p) throw detail(400, `Invalid state_path '${body.state_path}': expected mint://<training_run_id>/weights/<name>.`);
    const cp = core.world.runs.get(p.runId)?.checkpoints.get(p.checkpointId);
    if (!cp) throw detail(404, `Checkpoint not found: ${body.state_path}`);
    // MinT refuses this before queueing: a sampler checkpoint holds no optimizer state to restore.
    if (body.load_optimizer && cp.type !== 'training')
      throw detail(400, "Optimizer restore requested, but checkpoint_type is not 'training'");
    const id = `${body.session_id}_${body.model_seq_id}`;
    const fail = (error: string) => json({ request_id: failingFuture(core, 'create_model_from_state', ctx.futureFault, error) });
    if (core.world.models.has(id)) return fail(`Model '${id}' already exists`);
    const source = core.world.runs.get(p.runId)!;
    if (source.baseModel !== body.base_model)
      return fail(
        `Checkpoint ${body.state_path} was trained on ${source.baseModel}, not ${body.base_model}; create the model with base_model ${source.baseModel}.`,
      );
    if (body.lora_config && body.lora_config.rank !== cp.adapter.rank) {
      return fail(
        `Checkpoint ${body.state_path} has LoRA rank ${cp.adapter.rank}, but lora_config asks for rank ${body.lora_config.rank}; leave lora_config out or use rank ${cp.adapter.rank}.`,
      );
    }
    const m = createModel(core, {
      sessionId: body.session_id,
      modelSeqId: body.model_seq_id,
      baseModel: body.base_model,
      lora: body.lora_config,
      userMetadata: body.user_metadata,
      state: { adapter: cp.adapter, optimizer: body.load_optimizer },
    });
    const requestId = core.futures.create('create_model_from_state', { fault: ctx.futureFault, expectedMs: core.config.latencyMs });
    core.futures.settleLater(requestId, core.config.latencyMs, () => ({
      request_id: requestId,
      model_id: m.id,
      type: 'create_model_from_state',
      load_metadata: {
        path: formatCheckpointPath(ctx.scheme, p.runId, p.checkpointId),
        optimizer_loaded: body.load_optimizer && cp.adapter.optimizer !== undefined,
      },
    }));
    return json({ request_id: requestId });
  });

  r.add('POST', '/api/v1/get_info', (ctx) => {
    const body = parseWith(ModelIdRequest, ctx.body);
    const m = liveModel(ctx.core, body.model_id);
    const base = m.run.baseModel;
    return json({
      type: 'get_info',
      model_id: m.id,
      model_name: base,
      is_lora: m.run.isLora,
      lora_rank: m.run.isLora ? m.run.rank : null,
      model_data: { arch: 'transformer', model_name: base, tokenizer_id: base },
    });
  });
}
