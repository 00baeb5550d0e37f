import type { EmulatorCore } from './core';
import type { FutureFault } from './faults';
import { fastHash } from './fastHash';
import { detail } from './http';
import type { LiveModel } from './world';

/**
 * Runs a model's operations one at a time in seq_id order, as MinT does: an op that arrives
 * early (the SDK sends a batch's first chunk last) waits for its predecessors, and a retried
 * POST with a seq_id already admitted gets the original future back.
 */
export function submitTrainingOp(
  core: EmulatorCore,
  model: LiveModel,
  kind: string,
  seqId: number | null | undefined,
  body: unknown,
  fault: FutureFault | undefined,
  work: () => unknown,
): string {
  const payloadKey = fastHash(JSON.stringify(body));
  if (seqId != null) {
    const prior = model.seen.get(seqId);
    if (prior) {
      if (prior.payloadKey === payloadKey) return prior.requestId;
      throw detail(409, `seq_id ${seqId} was already used on model ${model.id} for a different request; send the next seq_id (${model.lastSeq + 1}).`);
    }
    if (seqId <= model.lastSeq) {
      throw detail(400, `seq_id ${seqId} is behind model ${model.id}, which has already run seq_id ${model.lastSeq}; seq_ids must increase by one per operation.`);
    }
    if (model.parked.has(seqId)) throw detail(409, `seq_id ${seqId} is already waiting for its turn on model ${model.id}.`);
  }
  const requestId = core.futures.create(kind, { fault, expectedMs: core.config.latencyMs });
  model.inFlight.add(requestId);
  const start = () => {
    model.busy = model.busy.then(
      () =>
        new Promise<void>((resolve) => {
          core.futures.settleLater(requestId, core.config.latencyMs, () => {
            try {
              return work();
            } finally {
              model.inFlight.delete(requestId);
              resolve();
            }
          });
        }),
    );
  };
  if (seqId == null) {
    start();
    return requestId;
  }
  model.seen.set(seqId, { requestId, payloadKey });
  const admit = (seq: number, run: () => void) => {
    model.lastSeq = seq;
    run();
    const next = model.parked.get(seq + 1);
    if (next) {
      model.parked.delete(seq + 1);
      next();
    }
  };
  if (seqId === model.lastSeq + 1) admit(seqId, start);
  else model.parked.set(seqId, () => admit(seqId, start));
  return requestId;
}
