import { detail, json, parseWith } from '../http';
import { LoraAdapter } from '../lora';
import { formatCheckpointPath, parseCheckpointPath, type CheckpointKind } from '../paths';
import type { Router } from '../router';
import { LoadWeightsRequest, SaveWeightsForSamplerRequest, SaveWeightsRequest, WeightsInfoRequest } from '../schemas';
import { submitTrainingOp } from '../trainingQueue';
import type { EmulatorCore } from '../core';
import { checkpointSize, type LiveModel } from '../world';
import { liveModel } from './training';

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;

function checkName(name: string): void {
  if (!NAME_RE.test(name)) throw detail(400, `Invalid checkpoint name '${name}': use 1-128 letters, digits, '.', '_' or '-' (no slashes).`);
}

function defaultName(m: LiveModel): string {
  return `step_${m.adapter.step}_${Date.now().toString(36)}`;
}

function saveCheckpoint(core: EmulatorCore, m: LiveModel, kind: CheckpointKind, name: string): void {
  const state = m.adapter.state(kind === 'weights');
  core.saveCheckpoint(m.run, {
    checkpointId: `${kind}/${name}`,
    type: kind === 'weights' ? 'training' : 'sampler',
    time: new Date(),
    adapter: state,
    sizeBytes: checkpointSize(state),
  });
  m.run.lastRequestTime = new Date();
}

export function registerWeights(r: Router): void {
  const saveWeights = (kind: 'save_weights' | 'save_state') =>
    r.add('POST', `/api/v1/${kind}`, (ctx) => {
      const body = parseWith(SaveWeightsRequest, ctx.body);
      const m = liveModel(ctx.core, body.model_id);
      const name = body.path ?? defaultName(m);
      checkName(name);
      if (m.run.checkpoints.has(`weights/${name}`) && !body.overwrite && !(body.seq_id != null && m.seen.has(body.seq_id))) {
        throw detail(409, `Checkpoint weights/${name} already exists in run ${m.run.id}; pick another name or set overwrite.`);
      }
      const id = submitTrainingOp(ctx.core, m, 'save_weights', body.seq_id, body, ctx.futureFault, () => {
        saveCheckpoint(ctx.core, m, 'weights', name);
        return { type: 'save_weights', path: formatCheckpointPath(ctx.scheme, m.run.id, `weights/${name}`) };
      });
      return json({ request_id: id, model_id: m.id });
    });
  saveWeights('save_weights');
  saveWeights('save_state');

  r.add('POST', '/api/v1/save_weights_for_sampler', (ctx) => {
    const body = parseWith(SaveWeightsForSamplerRequest, ctx.body);
    const core = ctx.core;
    const m = liveModel(core, body.model_id);
    if (body.path == null && body.sampling_session_seq_id == null) {
      throw detail(400, 'Give path (a checkpoint name) to save a sampler checkpoint, or sampling_session_seq_id for an unnamed one you sample directly.');
    }
    if (body.path != null) {
      const name = body.path;
      checkName(name);
      if (m.run.checkpoints.has(`sampler_weights/${name}`) && !(body.seq_id != null && m.seen.has(body.seq_id))) {
        throw detail(409, `Checkpoint sampler_weights/${name} already exists in run ${m.run.id}; pick another name.`);
      }
      const id = submitTrainingOp(core, m, 'save_weights_for_sampler', body.seq_id, body, ctx.futureFault, () => {
        saveCheckpoint(core, m, 'sampler_weights', name);
        return { type: 'save_weights_for_sampler', path: formatCheckpointPath(ctx.scheme, m.run.id, `sampler_weights/${name}`) };
      });
      return json({ request_id: id, model_id: m.id });
    }
    // Unnamed: a sampling session over a frozen copy of the adapter, with no checkpoint to list.
    const samplerId = `${m.sessionId}:sample:${body.sampling_session_seq_id}`;
    const id = submitTrainingOp(core, m, 'save_weights_for_sampler', body.seq_id, body, ctx.futureFault, () => {
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
      return { type: 'save_weights_for_sampler', sampling_session_id: samplerId };
    });
    return json({ request_id: id, model_id: m.id });
  });

  const loadWeights = (kind: 'load_weights' | 'load_state') =>
    r.add('POST', `/api/v1/${kind}`, (ctx) => {
      const body = parseWith(LoadWeightsRequest, ctx.body);
      const core = ctx.core;
      const m = liveModel(core, body.model_id);
      const p = parseCheckpointPath(body.path);
      if (!p) throw detail(400, `Invalid path '${body.path}': expected mint://<training_run_id>/weights/<name> (or sampler_weights/<name>).`);
      const run = core.world.runs.get(p.runId);
      const cp = run?.checkpoints.get(p.checkpointId);
      if (!run || !cp) throw detail(404, `Checkpoint not found: ${body.path}. List checkpoints with GET /api/v1/training_runs/${p.runId}/checkpoints.`);
      if (run.baseModel !== m.run.baseModel) throw detail(400, `Checkpoint ${body.path} was trained on ${run.baseModel}, but model ${m.id} is ${m.run.baseModel}; load it into a model with the same base.`);
      if (cp.adapter.rank !== m.adapter.rank) throw detail(400, `Checkpoint ${body.path} has LoRA rank ${cp.adapter.rank}, but model ${m.id} has rank ${m.adapter.rank}; create the model with rank ${cp.adapter.rank}.`);
      const id = submitTrainingOp(core, m, 'load_weights', body.seq_id, body, ctx.futureFault, () => {
        m.adapter = LoraAdapter.fromState(cp.adapter, core.model, body.optimizer);
        return { type: 'load_weights', path: formatCheckpointPath(ctx.scheme, p.runId, p.checkpointId) };
      });
      return json({ request_id: id, model_id: m.id });
    });
  loadWeights('load_weights');
  loadWeights('load_state');

  r.add('POST', '/api/v1/weights_info', (ctx) => {
    const body = parseWith(WeightsInfoRequest, ctx.body);
    const p = parseCheckpointPath(body.tinker_path);
    if (!p) throw detail(400, `Invalid tinker_path '${body.tinker_path}': expected mint://<training_run_id>/<weights|sampler_weights>/<name>.`);
    const run = ctx.core.world.runs.get(p.runId);
    const cp = run?.checkpoints.get(p.checkpointId);
    if (!run || !cp) throw detail(404, `Checkpoint not found: ${body.tinker_path}`);
    return json({ base_model: run.baseModel, is_lora: true, lora_rank: cp.adapter.rank, train_mlp: run.trainMlp, train_attn: run.trainAttn, train_unembed: run.trainUnembed });
  });
}
