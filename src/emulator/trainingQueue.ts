import type { EmulatorCore } from './core';
import type { FutureFault } from './faults';
import type { LiveModel } from './world';

/**
 * Queues one training operation on its model and returns its request id. A model runs its
 * operations one at a time, first come first served, as MinT's per-model ordering key does.
 * The seq_id is only reported back in pending replies: MinT never waits for a missing one and
 * never deduplicates, so a resent forward_backward runs (and accumulates gradient) twice.
 */
export function submitTrainingOp(
  core: EmulatorCore,
  model: LiveModel,
  kind: string,
  seqId: number | null | undefined,
  fault: FutureFault | undefined,
  work: () => unknown,
): string {
  // MinT refreshes the session heartbeat on every training enqueue, so a busy client stays alive.
  const session = core.world.sessions.get(model.sessionId);
  if (session) session.lastHeartbeat = new Date();
  model.run.lastRequestTime = new Date();
  const requestId = core.futures.create(kind, {
    fault,
    expectedMs: core.config.latencyMs,
    queued: true,
    meta: { modelId: model.id, sessionId: model.sessionId, seqId, baseModel: model.run.baseModel },
  });
  model.queue.push({ requestId, work });
  core.futures.onDequeue(requestId, () => {
    const i = model.queue.findIndex((op) => op.requestId === requestId);
    if (i < 0) return false;
    model.queue.splice(i, 1);
    return true;
  });
  runNext(core, model);
  return requestId;
}

function runNext(core: EmulatorCore, model: LiveModel): void {
  if (model.running !== undefined) return;
  const op = model.queue.shift();
  if (!op) return;
  model.running = op.requestId;
  core.futures.markStarted(op.requestId);
  core.futures.settleLater(op.requestId, core.config.latencyMs, () => {
    try {
      return op.work();
    } finally {
      model.running = undefined;
      // A stopped model's queue was failed and emptied; nothing more of it runs.
      if (core.world.models.get(model.id) === model) runNext(core, model);
    }
  });
}

/** Fails every pending operation of a model that is going away, and forgets its queue. */
export function failPendingOps(core: EmulatorCore, model: LiveModel, error: string): void {
  const ids = [...(model.running !== undefined ? [model.running] : []), ...model.queue.map((op) => op.requestId)];
  model.queue.length = 0;
  for (const id of ids) core.futures.reject(id, { error, category: 'system' });
}
