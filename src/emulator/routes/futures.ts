import { detail, parseWith } from '../http';
import type { Router } from '../router';
import { RetrieveFutureRequest } from '../schemas';

export function registerFutures(r: Router): void {
  r.add('POST', '/api/v1/retrieve_future', async (ctx) => {
    const body = parseWith(RetrieveFutureRequest, ctx.body);
    const reply = await ctx.core.futures.retrieve(body.request_id, ctx.core.config.longPollMs, ctx.onClose);
    if (!reply) throw detail(404, `Unknown request_id: ${body.request_id}`);
    return reply;
  });
}
