import { HttpError, detail, json } from '../http';
import { formatCheckpointPath, type Scheme } from '../paths';
import type { Router } from '../router';
import type { Checkpoint, LiveModel, TrainingRun } from '../world';
import type { EmulatorCore } from '../core';
import { registerArchive } from './archive';

/**
 * Python's naive `datetime.isoformat()` as MinT writes it: UTC wall time (its servers keep UTC),
 * microseconds, no zone. Clients read it as UTC, so local time here would be off by the offset.
 */
export function naiveIso(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000`;
}

/** The step a checkpoint was saved at: recorded at save time, else the optimizer's own count. */
function stepOf(cp: Checkpoint): number | null {
  return cp.step ?? cp.adapter.optimizer?.step ?? null;
}

/**
 * MinT's CheckpointInfo: `tinker_path` is always tinker:// (what Tinker's types call it), and
 * `path` is the same checkpoint in the caller's scheme.
 */
export function checkpointJson(scheme: Scheme, run: TrainingRun, cp: Checkpoint) {
  return {
    checkpoint_id: cp.checkpointId,
    checkpoint_type: cp.type,
    time: cp.time.toISOString(),
    tinker_path: formatCheckpointPath('tinker', run.id, cp.checkpointId),
    owner_id: null,
    path: formatCheckpointPath(scheme, run.id, cp.checkpointId),
    step: stepOf(cp),
    created_at: cp.time.toISOString(),
    size_bytes: cp.sizeBytes,
    public: false,
    expires_at: null,
    storage_tier: 'local',
    mirror_status: null,
    mirror_error: null,
  };
}

/** Newest first by (step, time), as MinT sorts its catalog rows; saves within one millisecond by save order. */
export function newestFirst(cps: Iterable<Checkpoint>): Checkpoint[] {
  return [...cps]
    .map((cp, i) => ({ cp, i }))
    .sort((a, b) => (stepOf(b.cp) ?? 0) - (stepOf(a.cp) ?? 0) || b.cp.time.getTime() - a.cp.time.getTime() || b.i - a.i)
    .map((x) => x.cp);
}

function runJson(run: TrainingRun) {
  const lastActivity = run.lastRequestTime.getTime() / 1000;
  return {
    training_run_id: run.id,
    base_model: run.baseModel,
    model_owner: 'anonymous',
    is_lora: run.isLora,
    corrupted: false,
    lora_rank: run.isLora ? run.rank : null,
    last_request_time: naiveIso(run.lastRequestTime),
    last_activity: lastActivity,
    idle_for_s: Math.max(0, Date.now() / 1000 - lastActivity),
    // MinT's listing never fills these; clients list checkpoints for them.
    last_checkpoint: null,
    last_sampler_checkpoint: null,
    user_metadata: run.userMetadata ?? {},
  };
}

/** FastAPI's `limit: int = 20`: any integer goes, a negative one counts as 0, anything else is 422. */
export function intQuery(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) {
    throw new HttpError(422, {
      detail: [
        {
          type: 'int_parsing',
          loc: ['query', name],
          msg: 'Input should be a valid integer, unable to parse string as an integer',
          input: raw,
        },
      ],
    });
  }
  return Math.max(0, Number(raw));
}

function page<T>(items: T[], query: URLSearchParams): { items: T[]; offset: number; limit: number } {
  const limit = intQuery(query, 'limit', 20);
  const offset = intQuery(query, 'offset', 0);
  return { items: items.slice(offset, offset + limit), offset, limit };
}

/** Model ids are "<session>_<seq>"; MinT orders runs created together by that seq. */
export function modelSeqOf(m: { id: string }): number {
  const n = Number(m.id.slice(m.id.lastIndexOf('_') + 1));
  return Number.isInteger(n) ? n : 0;
}

/** MinT lists only training sessions that are alive: a stopped or deleted model is gone. */
export function liveRuns(core: EmulatorCore): LiveModel[] {
  return [...core.world.models.values()].sort(
    (a, b) =>
      b.run.createdAt.getTime() - a.run.createdAt.getTime() || modelSeqOf(b) - modelSeqOf(a) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * What /training_runs lists: MinT's live training sessions and, departing on purpose (see the
 * README), runs restored from --data-dir, so a user's runs stay in view across restarts.
 */
function listedRuns(core: EmulatorCore): TrainingRun[] {
  const runs = liveRuns(core).map((m) => m.run);
  const restored = [...core.world.runs.values()].filter((run) => run.restored && !core.world.models.has(run.id));
  restored.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || modelSeqOf(b) - modelSeqOf(a));
  return [...runs, ...restored];
}

function listedRun(core: EmulatorCore, id: string): TrainingRun | undefined {
  const run = core.world.models.get(id)?.run ?? core.world.runs.get(id);
  return run && (core.world.models.has(id) || run.restored) ? run : undefined;
}

const RUN = '([^/]+)';
const CHECKPOINT = '((?:weights|sampler_weights)/[^/]+)';

export function registerRest(r: Router): void {
  r.add('GET', '/api/v1/training_runs', (ctx) => {
    const runs = listedRuns(ctx.core);
    const { items, offset, limit } = page(runs, ctx.query);
    return json({ training_runs: items.map(runJson), cursor: { offset, limit, total_count: runs.length } });
  });

  r.add('GET', new RegExp(`^/api/v1/training_runs/${RUN}$`), (ctx) => {
    const run = listedRun(ctx.core, ctx.params[0]!);
    if (!run) throw detail(404, `Training run '${ctx.params[0]}' not found`);
    return json(runJson(run));
  });

  // MinT reads its checkpoint catalog here, so a run's checkpoints outlive its training session.
  r.add('GET', new RegExp(`^/api/v1/training_runs/${RUN}/checkpoints$`), (ctx) => {
    const id = ctx.params[0]!;
    const run = ctx.core.world.runs.get(id);
    if (!run || run.checkpoints.size === 0) throw detail(404, `No checkpoints found for model '${id}'`);
    return json({ model_id: run.id, checkpoints: newestFirst(run.checkpoints.values()).map((cp) => checkpointJson(ctx.scheme, run, cp)) });
  });

  r.add('DELETE', new RegExp(`^/api/v1/training_runs/${RUN}/checkpoints/${CHECKPOINT}$`), (ctx) => {
    const run = ctx.core.world.runs.get(ctx.params[0]!);
    const cid = ctx.params[1]!;
    if (!run || !run.checkpoints.delete(cid)) throw detail(404, `Checkpoint '${cid}' not found`);
    ctx.core.persistence?.deleteCheckpoint(run.id, cid);
    return json({ status: 'deleted', checkpoint_id: cid });
  });

  registerArchive(r);

  // No cursor: MinT's response model has only `sessions`.
  r.add('GET', '/api/v1/sessions', (ctx) => {
    const ids = [...ctx.core.world.sessions.values()]
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? -1 : 1))
      .map((s) => s.id);
    return json({ sessions: page(ids, ctx.query).items });
  });

  r.add('GET', new RegExp(`^/api/v1/sessions/${RUN}$`), (ctx) => {
    const s = ctx.core.world.sessions.get(ctx.params[0]!);
    if (!s) throw detail(404, `Session '${ctx.params[0]}' not found`);
    return json({ training_run_ids: s.trainingRunIds, sampler_ids: s.samplerIds });
  });

  r.add('GET', new RegExp(`^/api/v1/samplers/${RUN}$`), (ctx) => {
    const s = ctx.core.world.samplers.get(ctx.params[0]!);
    if (!s) throw detail(404, `Sampler '${ctx.params[0]}' not found`);
    return json({ sampler_id: s.id, base_model: s.baseModel, model_path: s.modelPath ?? null });
  });
}
