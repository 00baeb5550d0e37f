/**
 * What a pending future says about where it is. MinT (since 2026-05) sends only a status and a
 * stage (X-Queue-Status / X-Queue-Stage, or the body's status / stage), progress while a sample
 * decodes, `Retry-After: 1` and a generic `queue_state: "active"`; older servers and the emulator
 * may add a position, depth and ETA. Each field is read on its own and reported only when the
 * server sent it, so a display never shows a number nobody measured.
 */
import type { ResponseHeaders } from './errors';

export type QueueStateEvent = {
  request_id: string;
  /**
   * Tinker's queue_state ("active", "paused_capacity", "paused_rate_limit"). Kept for older
   * callers; on MinT it is always "active", so show `stage ?? status` instead. When the server
   * sends none, this is the status (or "pending").
   */
  queue_state: string;
  /** MinT's status: training "queued" | "running"; sampling "queued" | "prefill" | "decode". */
  status?: string;
  /** MinT's stage (X-Queue-Stage or body `stage`), when sent. */
  stage?: string;
  queue_state_reason?: string;
  /** Only when the server sent one (older MinT, the emulator); MinT since 2026-05 does not. */
  queue_position?: number;
  queue_depth?: number;
  /** Seconds until the server expects to start or finish, only when it said so. */
  eta_s?: number;
  /** When to poll again (MinT: always 1). Not an ETA. */
  retry_after_s?: number;
  progress?: { tokens_generated?: number; max_tokens?: number };
  /** The server throttled this poll (X-Tinker-Poll-Throttled): polled again within a second. */
  throttled?: boolean;
};

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function numOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Queue state from the body first, the headers where the body is silent. */
export function queueEvent(requestId: string, body: unknown, headers: ResponseHeaders): QueueStateEvent {
  const b = (body && typeof body === 'object' && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const h = headers;
  const status = str(b.status) ?? str(h['x-queue-status']);
  const stage = str(b.stage) ?? str(h['x-queue-stage']);
  const e: QueueStateEvent = { request_id: requestId, queue_state: str(b.queue_state) ?? status ?? 'pending' };
  if (status !== undefined) e.status = status;
  if (stage !== undefined) e.stage = stage;
  const reason = str(b.queue_state_reason);
  if (reason) e.queue_state_reason = reason;
  const pos = numOf(b.queue_position) ?? numOf(h['x-queue-position']);
  if (pos !== undefined) e.queue_position = pos;
  const depth = numOf(b.queue_depth) ?? numOf(h['x-queue-depth']);
  if (depth !== undefined) e.queue_depth = depth;
  const eta = numOf(b.eta_s) ?? numOf(b.estimated_wait_s) ?? numOf(h['x-queue-eta-s']);
  if (eta !== undefined) e.eta_s = eta;
  const ra = numOf(b.retry_after_s) ?? numOf(h['retry-after']);
  if (ra !== undefined) e.retry_after_s = ra;
  // MinT's body has progress as a token count beside max_tokens; Tinker-style bodies nest both.
  const p = b.progress;
  const nested = p && typeof p === 'object' ? (p as Record<string, unknown>) : undefined;
  const tg = numOf(nested?.tokens_generated) ?? numOf(p) ?? numOf(h['x-queue-tokens-generated']);
  const mt = numOf(nested?.max_tokens) ?? numOf(b.max_tokens) ?? numOf(h['x-queue-max-tokens']);
  if (tg !== undefined || mt !== undefined) {
    e.progress = {};
    if (tg !== undefined) e.progress.tokens_generated = tg;
    if (mt !== undefined) e.progress.max_tokens = mt;
  }
  if (h['x-tinker-poll-throttled']) e.throttled = true;
  return e;
}
