import { randomBytes } from 'node:crypto';
import { detail, json, parseWith, type Reply } from '../http';
import { formatCheckpointPath, type Scheme } from '../paths';
import type { Router } from '../router';
import { PageQuery } from '../schemas';
import type { Checkpoint, TrainingRun } from '../world';
import type { EmulatorCore } from '../core';
import { checkpointArchive } from '../archive';

function checkpointJson(scheme: Scheme, run: TrainingRun, cp: Checkpoint) {
  return {
    checkpoint_id: cp.checkpointId,
    checkpoint_type: cp.type,
    time: cp.time.toISOString(),
    tinker_path: formatCheckpointPath(scheme, run.id, cp.checkpointId),
    size_bytes: cp.sizeBytes,
    public: false,
    expires_at: null,
  };
}

function latest(run: TrainingRun, type: Checkpoint['type']): Checkpoint | undefined {
  let best: Checkpoint | undefined;
  for (const cp of run.checkpoints.values()) if (cp.type === type && (!best || cp.time >= best.time)) best = cp;
  return best;
}

function runJson(scheme: Scheme, run: TrainingRun) {
  const last = latest(run, 'training');
  const lastSampler = latest(run, 'sampler');
  return {
    training_run_id: run.id,
    base_model: run.baseModel,
    model_owner: 'anonymous',
    is_lora: true,
    corrupted: false,
    lora_rank: run.rank,
    last_request_time: run.lastRequestTime.toISOString(),
    last_checkpoint: last ? checkpointJson(scheme, run, last) : null,
    last_sampler_checkpoint: lastSampler ? checkpointJson(scheme, run, lastSampler) : null,
    user_metadata: run.userMetadata ?? null,
  };
}

function page<T>(items: T[], query: URLSearchParams): { items: T[]; cursor: { offset: number; limit: number; total_count: number } } {
  const q = parseWith(PageQuery, Object.fromEntries(query), 'query');
  return { items: items.slice(q.offset, q.offset + q.limit), cursor: { offset: q.offset, limit: q.limit, total_count: items.length } };
}

function findRun(core: EmulatorCore, id: string): TrainingRun {
  const run = core.world.runs.get(id);
  if (!run) throw detail(404, `Training run not found: ${id}`);
  return run;
}

/** Download links are one-shot style tokens, as a signed URL would be; no API key needed. */
const downloadTokens = new Map<string, { runId: string; checkpointId: string; expires: number }>();
const DOWNLOAD_TTL_MS = 15 * 60 * 1000;

const RUN = '([^/]+)';
const CHECKPOINT = '((?:weights|sampler_weights)/[^/]+)';

export function registerRest(r: Router): void {
  r.add('GET', '/api/v1/training_runs', (ctx) => {
    const runs = [...ctx.core.world.runs.values()].sort((a, b) => b.lastRequestTime.getTime() - a.lastRequestTime.getTime());
    const { items, cursor } = page(runs, ctx.query);
    return json({ training_runs: items.map((run) => runJson(ctx.scheme, run)), cursor });
  });

  r.add('GET', new RegExp(`^/api/v1/training_runs/${RUN}$`), (ctx) => json(runJson(ctx.scheme, findRun(ctx.core, ctx.params[0]!))));

  // MinT answers 404 for a run without checkpoints, and sends no cursor.
  r.add('GET', new RegExp(`^/api/v1/training_runs/${RUN}/checkpoints$`), (ctx) => {
    const run = findRun(ctx.core, ctx.params[0]!);
    if (run.checkpoints.size === 0) throw detail(404, `No checkpoints found for training run ${run.id}`);
    const cps = [...run.checkpoints.values()].sort((a, b) => a.time.getTime() - b.time.getTime());
    return json({ checkpoints: cps.map((cp) => checkpointJson(ctx.scheme, run, cp)), model_id: run.id });
  });

  r.add('DELETE', new RegExp(`^/api/v1/training_runs/${RUN}/checkpoints/${CHECKPOINT}$`), (ctx) => {
    const run = findRun(ctx.core, ctx.params[0]!);
    const cid = ctx.params[1]!;
    if (!run.checkpoints.delete(cid)) throw detail(404, `Checkpoint not found: ${formatCheckpointPath(ctx.scheme, run.id, cid)}`);
    ctx.core.persistence?.deleteCheckpoint(run.id, cid);
    return json({ status: 'deleted', training_run_id: run.id, checkpoint_id: cid });
  });

  r.add('GET', new RegExp(`^/api/v1/training_runs/${RUN}/checkpoints/${CHECKPOINT}/archive$`), (ctx): Reply => {
    const run = findRun(ctx.core, ctx.params[0]!);
    const cid = ctx.params[1]!;
    const cp = run.checkpoints.get(cid);
    const token = ctx.query.get('download_token');
    if (token !== null) {
      const grant = downloadTokens.get(token);
      if (!grant || grant.expires < Date.now() || grant.runId !== run.id || grant.checkpointId !== cid || !cp) {
        throw detail(403, 'Download link expired or invalid; request a new archive URL.');
      }
      return { status: 200, headers: { 'Content-Type': 'application/x-tar', 'Content-Disposition': `attachment; filename="${run.id}_${cid.replace('/', '_')}.tar"` }, body: undefined, bytes: checkpointArchive(run, cp) };
    }
    if (!cp) throw detail(404, `Checkpoint not found: ${formatCheckpointPath(ctx.scheme, run.id, cid)}`);
    const fresh = randomBytes(16).toString('hex');
    const expires = Date.now() + DOWNLOAD_TTL_MS;
    downloadTokens.set(fresh, { runId: run.id, checkpointId: cid, expires });
    setTimeout(() => downloadTokens.delete(fresh), DOWNLOAD_TTL_MS).unref();
    const host = ctx.headers.host ?? '127.0.0.1';
    const location = `http://${host}${ctx.basePath}/api/v1/training_runs/${encodeURIComponent(run.id)}/checkpoints/${cid}/archive?direct=1&download_token=${fresh}`;
    return { status: 302, headers: { Location: location, Expires: new Date(expires).toUTCString() }, body: { url: location, expires: new Date(expires).toISOString() } };
  });

  r.add('GET', '/api/v1/sessions', (ctx) => {
    const ids = [...ctx.core.world.sessions.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).map((s) => s.id);
    const { items, cursor } = page(ids, ctx.query);
    return json({ sessions: items, cursor });
  });

  r.add('GET', new RegExp(`^/api/v1/sessions/${RUN}$`), (ctx) => {
    const s = ctx.core.world.sessions.get(ctx.params[0]!);
    if (!s) throw detail(404, `Session not found: ${ctx.params[0]}`);
    return json({ training_run_ids: s.trainingRunIds, sampler_ids: s.samplerIds });
  });

  r.add('GET', new RegExp(`^/api/v1/samplers/${RUN}$`), (ctx) => {
    const s = ctx.core.world.samplers.get(ctx.params[0]!);
    if (!s) throw detail(404, `Sampler not found: ${ctx.params[0]}`);
    return json({ sampler_id: s.id, base_model: s.baseModel, model_path: s.modelPath ?? null });
  });
}
