import { randomUUID } from 'node:crypto';
import type { EmulatorCore } from '../core';
import { FutureWorkError } from '../futures';
import { detail, json, parseWith } from '../http';
import { LoraAdapter } from '../lora';
import { formatCheckpointPath, parseCheckpointPath, type CheckpointKind, type Scheme } from '../paths';
import type { Router } from '../router';
import { LoadWeightsRequest, SaveWeightsForSamplerRequest, SaveWeightsRequest, WeightsInfoRequest } from '../schemas';
import { submitTrainingOp } from '../trainingQueue';
import { checkpointSize, type LiveModel } from '../world';
import { liveModel } from './trainingModels';

/** MinT refuses only '.', '..' and slashes; the length cap keeps --data-dir file names legal. */
function checkName(name: string): void {
  if (name === '.' || name === '..' || /[/\\]/.test(name) || name.length > 128) {
    throw new FutureWorkError(
      `Invalid checkpoint name: '${name}'. Use a name of up to 128 characters without '/' or '\\' (and not '.' or '..').`,
    );
  }
}

/** MinT names an unnamed checkpoint ckpt_<12 hex>. */
const checkpointName = (path: string | null | undefined) => path?.trim() || `ckpt_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

const typeOf = (kind: CheckpointKind) => (kind === 'weights' ? 'training' : 'sampler');

/**
 * Saves the adapter as `<kind>/<name>`. A name already used for that type fails the future, as
 * MinT's checkpoint catalog does; there is no overwrite.
 */
function saveCheckpoint(core: EmulatorCore, m: LiveModel, kind: CheckpointKind, name: string): void {
  checkName(name);
  const cid = `${kind}/${name}`;
  if (m.run.checkpoints.has(cid)) throw new FutureWorkError(`checkpoint already exists: ${m.id}/${name}/${typeOf(kind)}`);
  const state = m.adapter.state(kind === 'weights');
  core.saveCheckpoint(m.run, { checkpointId: cid, type: typeOf(kind), time: new Date(), adapter: state, sizeBytes: checkpointSize(state) });
}

/** MinT's save result: the caller's path plus both spellings, and fields about storage the emulator fills honestly. */
function savedResult(core: EmulatorCore, scheme: Scheme, m: LiveModel, kind: CheckpointKind, name: string) {
  return {
    checkpoint_id: name,
    checkpoint_record_id: null,
    path: formatCheckpointPath(scheme, m.run.id, `${kind}/${name}`),
    mint_path: `mint://${m.run.id}/${name}`,
    tinker_path: formatCheckpointPath('tinker', m.run.id, `${kind}/${name}`),
    filesystem_path: null,
    persistent_filesystem_path: null,
    mirror_status: null,
    storage_tier: core.persistence ? 'persistent_cache' : 'memory',
    mirror_error: null,
    type: 'save_weights',
    sampling_registered: false,
    checkpoint_type: typeOf(kind),
  };
}

export function registerWeights(r: Router): void {
  // save_state always writes a resumable training checkpoint. save_weights does too unless
  // --save-weights-as-sampler asks for the 2026-06 snapshot's sampler-only dispatch.
  const save = (route: 'save_weights' | 'save_state') =>
    r.add('POST', `/api/v1/${route}`, (ctx) => {
      const body = parseWith(SaveWeightsRequest, ctx.body);
      const core = ctx.core;
      const m = liveModel(core, body.model_id);
      const kind: CheckpointKind = route === 'save_weights' && core.config.saveWeightsAsSampler ? 'sampler_weights' : 'weights';
      const name = checkpointName(body.path);
      const id = submitTrainingOp(core, m, route, body.seq_id, ctx.futureFault, () => {
        saveCheckpoint(core, m, kind, name);
        return savedResult(core, ctx.scheme, m, kind, name);
      });
      return json({ request_id: id });
    });
  save('save_weights');
  save('save_state');

  r.add('POST', '/api/v1/save_weights_for_sampler', (ctx) => {
    const body = parseWith(SaveWeightsForSamplerRequest, ctx.body);
    const core = ctx.core;
    const m = liveModel(core, body.model_id);
    if (body.path == null && body.sampling_session_seq_id == null) {
      throw detail(
        400,
        'Give path (a checkpoint name) to save a sampler checkpoint, or sampling_session_seq_id for an unnamed one you sample directly.',
      );
    }
    if (body.path != null) {
      const name = checkpointName(body.path);
      const id = submitTrainingOp(core, m, 'save_weights_for_sampler', body.seq_id, ctx.futureFault, () => {
        saveCheckpoint(core, m, 'sampler_weights', name);
        const { path, checkpoint_record_id, filesystem_path, persistent_filesystem_path, mirror_status, storage_tier, mirror_error } =
          savedResult(core, ctx.scheme, m, 'sampler_weights', name);
        return {
          path,
          sampling_session_id: null,
          owner_id: 'anonymous',
          type: 'save_weights_for_sampler',
          checkpoint_record_id,
          filesystem_path,
          persistent_filesystem_path,
          mirror_status,
          storage_tier,
          mirror_error,
        };
      });
      return json({ request_id: id });
    }
    // Unnamed: a sampling session over a frozen copy of the adapter, with no checkpoint to list.
    const samplerId = `${m.sessionId}:sample:${body.sampling_session_seq_id}`;
    const id = submitTrainingOp(core, m, 'save_weights_for_sampler', body.seq_id, ctx.futureFault, () => {
      const frozen = LoraAdapter.fromState(m.adapter.state(false), core.model, false);
      core.world.samplers.set(samplerId, {
        id: samplerId,
        sessionId: m.sessionId,
        baseModel: m.run.baseModel,
        modelPath: undefined,
        adapter: frozen,
        createdAt: new Date(),
        configKey: JSON.stringify([m.run.baseModel, `ephemeral:${m.id}:${m.adapter.step}`]),
      });
      core.world.sessions.get(m.sessionId)?.samplerIds.push(samplerId);
      return { path: null, sampling_session_id: samplerId, owner_id: 'anonymous', type: 'save_weights_for_sampler' };
    });
    return json({ request_id: id });
  });

  const load = (route: 'load_weights' | 'load_state') =>
    r.add('POST', `/api/v1/${route}`, (ctx) => {
      const body = parseWith(LoadWeightsRequest, ctx.body);
      const core = ctx.core;
      const m = liveModel(core, body.model_id);
      const p = parseCheckpointPath(body.path);
      if (!p)
        throw detail(400, `Invalid path '${body.path}': expected mint://<training_run_id>/weights/<name> (or sampler_weights/<name>).`);
      const run = core.world.runs.get(p.runId);
      const cp = run?.checkpoints.get(p.checkpointId);
      if (!run || !cp)
        throw detail(404, `Checkpoint not found: ${body.path}. List checkpoints with GET /api/v1/training_runs/${p.runId}/checkpoints.`);
      if (run.baseModel !== m.run.baseModel)
        throw detail(
          400,
          `Checkpoint ${body.path} was trained on ${run.baseModel}, but model ${m.id} is ${m.run.baseModel}; load it into a model with the same base.`,
        );
      if (cp.adapter.rank !== m.adapter.rank)
        throw detail(
          400,
          `Checkpoint ${body.path} has LoRA rank ${cp.adapter.rank}, but model ${m.id} has rank ${m.adapter.rank}; create the model with rank ${cp.adapter.rank}.`,
        );
      const id = submitTrainingOp(core, m, 'load_weights', body.seq_id, ctx.futureFault, () => {
        // MinT's checkpoint contract: only a training checkpoint carries an optimizer to restore.
        if (body.optimizer && cp.type !== 'training') {
          throw new FutureWorkError(
            "Optimizer restore requested, but checkpoint_type is not 'training'. Load a weights/ checkpoint (save_state), or send optimizer: false.",
          );
        }
        m.adapter = LoraAdapter.fromState(cp.adapter, core.model, body.optimizer);
        return { type: 'load_weights', path: formatCheckpointPath(ctx.scheme, p.runId, p.checkpointId) };
      });
      return json({ request_id: id });
    });
  load('load_weights');
  load('load_state');

  r.add('POST', '/api/v1/weights_info', (ctx) => {
    const body = parseWith(WeightsInfoRequest, ctx.body);
    const p = parseCheckpointPath(body.tinker_path);
    if (!p)
      throw detail(400, `Invalid tinker_path '${body.tinker_path}': expected mint://<training_run_id>/<weights|sampler_weights>/<name>.`);
    const run = ctx.core.world.runs.get(p.runId);
    const cp = run?.checkpoints.get(p.checkpointId);
    if (!run || !cp) throw detail(404, `Checkpoint not found: ${body.tinker_path}`);
    if (cp.type === 'sampler') throw detail(400, 'Sampler checkpoint cannot recreate a training client');
    if (!run.isLora)
      return json({ base_model: run.baseModel, is_lora: false, lora_rank: null, train_mlp: null, train_attn: null, train_unembed: null });
    return json({
      base_model: run.baseModel,
      is_lora: true,
      lora_rank: cp.adapter.rank,
      train_mlp: run.trainMlp,
      train_attn: run.trainAttn,
      train_unembed: run.trainUnembed,
    });
  });
}
