import { FutureWorkError } from '../futures';
import { detail, json, parseWith } from '../http';
import type { Router } from '../router';
import { promptLogprobs } from '../sampler';
import { ComputeLogprobsRequest } from '../schemas';
import { checkContext, promptTokens } from './sampling';

/** MinT-only routes outside the Tinker protocol. */
export function registerMint(r: Router): void {
  // Logprob of every token given the ones before it (the first has no context, so null).
  r.add('POST', '/api/v1/compute_logprobs', (ctx) => {
    const body = parseWith(ComputeLogprobsRequest, ctx.body);
    const core = ctx.core;
    const s = core.world.samplers.get(body.sampling_session_id);
    if (!s) throw detail(404, `Sampling session '${body.sampling_session_id}' not found`);
    const tokens = promptTokens(core.model, body.sequence);
    checkContext(s.baseModel, tokens.length, 1);
    const id = core.futures.create('compute_logprobs', {
      fault: ctx.futureFault,
      expectedMs: core.config.latencyMs,
      meta: { sessionId: s.sessionId ?? undefined, samplingSessionId: s.id, seqId: body.seq_id, baseModel: s.baseModel },
    });
    core.futures.settleLater(id, core.config.latencyMs, () => ({
      logprobs: promptLogprobs(core.model, s.adapter, tokens),
      type: 'compute_logprobs',
    }));
    return json({ request_id: id });
  });

  // The mintx calls need checkpoint arithmetic and a reference model the emulator does not have.
  // Accepted, then failed: a 5xx at POST would have the SDK retry it for five minutes first.
  for (const route of ['checkpoints/interpolate', 'forward_backward_reverse_kl']) {
    r.add('POST', `/api/v1/mint/${route}`, (ctx) => {
      const futures = ctx.core.futures;
      const id = futures.create(`mint/${route}`, { fault: ctx.futureFault, expectedMs: 0 });
      futures.settleLater(id, 0, () => {
        throw new FutureWorkError(
          `/api/v1/mint/${route} is a MinT-only operation the local emulator cannot run (it has no checkpoint arithmetic or reference model); run it against MinT itself.`,
        );
      });
      return json({ request_id: id });
    });
  }
}
