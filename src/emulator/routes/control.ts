import { json, parseWith } from '../http';
import { FaultRuleSchema } from '../faults';
import { REQUEST_LOG_CAPACITY } from '../requestLog';
import type { Router } from '../router';
import { ControlConfigRequest } from '../schemas';

/** The test-only control interface of docs/contracts.md §2 (paths relative to /_emulator). */
export function registerControl(r: Router): void {
  r.add('POST', '/_emulator/faults', (ctx) => {
    const rule = parseWith(FaultRuleSchema, ctx.body);
    return json({ id: ctx.core.faults.add(rule) });
  });
  r.add('DELETE', '/_emulator/faults', (ctx) => {
    ctx.core.faults.clear();
    return json({ status: 'cleared' });
  });
  r.add('GET', '/_emulator/requests', (ctx) => {
    const raw = Number(ctx.query.get('limit') ?? REQUEST_LOG_CAPACITY);
    const limit = Number.isFinite(raw) ? Math.max(0, Math.min(REQUEST_LOG_CAPACITY, Math.trunc(raw))) : REQUEST_LOG_CAPACITY;
    return json(ctx.core.requestLog.last(limit));
  });
  r.add('DELETE', '/_emulator/requests', (ctx) => {
    ctx.core.requestLog.clear();
    return json({ status: 'cleared' });
  });
  r.add('POST', '/_emulator/config', (ctx) => {
    const body = parseWith(ControlConfigRequest, ctx.body ?? {});
    const c = ctx.core.config;
    if (body.latencyMs !== undefined) c.latencyMs = body.latencyMs;
    if (body.longPollMs !== undefined) c.longPollMs = body.longPollMs;
    if (body.apiKey !== undefined) c.apiKey = body.apiKey ?? undefined;
    if (body.samplingBackpressureLimit !== undefined) c.samplingBackpressureLimit = body.samplingBackpressureLimit;
    if (body.heartbeatStaleMs !== undefined) c.heartbeatStaleMs = body.heartbeatStaleMs;
    if (body.maskErrors !== undefined) c.maskErrors = body.maskErrors;
    if (body.legacyQueueHeaders !== undefined) c.legacyQueueHeaders = body.legacyQueueHeaders;
    if (body.saveWeightsAsSampler !== undefined) c.saveWeightsAsSampler = body.saveWeightsAsSampler;
    if (body.resultHotTtlMs !== undefined) c.resultHotTtlMs = body.resultHotTtlMs;
    if (body.futurePendingTtlMs !== undefined) c.futurePendingTtlMs = body.futurePendingTtlMs;
    // Never echo the key back: report only whether one is set.
    return json({
      latencyMs: c.latencyMs,
      longPollMs: c.longPollMs,
      apiKeySet: c.apiKey !== undefined,
      samplingBackpressureLimit: c.samplingBackpressureLimit,
      heartbeatStaleMs: c.heartbeatStaleMs,
      maskErrors: c.maskErrors,
      legacyQueueHeaders: c.legacyQueueHeaders,
      saveWeightsAsSampler: c.saveWeightsAsSampler,
      resultHotTtlMs: c.resultHotTtlMs,
      futurePendingTtlMs: c.futurePendingTtlMs,
    });
  });
  r.add('POST', '/_emulator/reset', (ctx) => {
    ctx.core.reset();
    return json({ status: 'reset' });
  });
}
