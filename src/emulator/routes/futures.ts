import { detail, json, parseWith } from '../http';
import type { Router } from '../router';
import { CancelFutureRequest, RetrieveFutureRequest } from '../schemas';

export function registerFutures(r: Router): void {
  r.add('POST', '/api/v1/retrieve_future', async (ctx) => {
    const body = parseWith(RetrieveFutureRequest, ctx.body);
    const reply = await ctx.core.futures.retrieve(body.request_id, ctx.onClose);
    if (!reply) throw detail(404, `Unknown request_id: ${body.request_id}`);
    return reply;
  });

  // MinT-only. Later operations of the model never depend on a cancelled one.
  r.add('POST', '/api/v1/cancel_future', (ctx) => {
    const body = parseWith(CancelFutureRequest, ctx.body);
    const result = ctx.core.futures.cancel(body.request_id, body.reason || 'cancelled');
    if (!result) throw detail(404, 'Future not found');
    return json(result);
  });
}
