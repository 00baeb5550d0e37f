/**
 * When an HTTP attempt is worth repeating, and after how long. Kept apart from the attempt itself
 * so the rules (and the exactly-once exception for training ops, exactlyOnce.ts) read in one place.
 */
import type { ResponseHeaders } from './errors';

const RETRY_BASE_MS = 500;
const RETRY_CAP_MS = 8_000;
const RETRY_AFTER_LIMIT_MS = 60_000;

export function backoffMs(retryIndex: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** retryIndex, RETRY_CAP_MS) * (1 - 0.25 * Math.random());
}

/** The server's requested delay, honoured only in (0, 60 s] as the Stainless clients do. */
export function retryAfterMs(headers: ResponseHeaders): number | undefined {
  const ms = Number.parseFloat(headers['retry-after-ms'] ?? '');
  if (Number.isFinite(ms) && ms > 0 && ms <= RETRY_AFTER_LIMIT_MS) return ms;
  const ra = headers['retry-after'];
  if (ra === undefined) return undefined;
  const v = /^\s*\d+(\.\d+)?\s*$/.test(ra) ? Number.parseFloat(ra) * 1000 : Date.parse(ra) - Date.now();
  return Number.isFinite(v) && v > 0 && v <= RETRY_AFTER_LIMIT_MS ? v : undefined;
}

/** Whether a status is worth another attempt; `x-should-retry` from the server overrides. */
export function isRetryableStatus(status: number, headers: ResponseHeaders): boolean {
  const hint = headers['x-should-retry'];
  if (hint === 'true') return true;
  if (hint === 'false') return false;
  // 501 is "this server does not implement it": asking again cannot change that, and callers
  // that fall back to another route (saveState -> save_weights) should hear it at once.
  return status === 408 || status === 429 || (status >= 500 && status !== 501);
}

/**
 * A reply that does not say whether the request ran: a 500 may come after the work was queued,
 * and a 502/504 from a gateway after it forwarded the request. 503 (and 408, 429) are refusals:
 * the server says it did not take the request. `x-should-retry: true` is the server saying a
 * repeat is safe.
 */
export function isAmbiguousStatus(status: number, headers: ResponseHeaders): boolean {
  if (headers['x-should-retry'] === 'true') return false;
  return status >= 500 && status !== 501 && status !== 503;
}
