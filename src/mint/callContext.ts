/** One logical call's cancellation signal and deadline, shared by all of its attempts and waits. */
import { CancelledError } from './errors';

/**
 * Why a call is about to wait before its next attempt: the server asked (429, rate_limited), it was
 * busy or failed (408/5xx, server_busy / server_error), or it could not be reached (connection).
 */
export type RetryWaitReason = 'rate_limited' | 'server_busy' | 'server_error' | 'connection';

/** Sent before each wait between attempts, so a display can show the wait while it happens. */
export interface RetryWaitEvent {
  /** The attempt that failed, counted from 1. */
  attempt: number;
  /** How long the client will wait now: the server's Retry-After when it sent one, else backoff. */
  delayMs: number;
  /** The HTTP status that caused the wait; none for a connection error or timeout. */
  status?: number;
  reason: RetryWaitReason;
  /** The server's id for the refused attempt, when it sent one. */
  request_id?: string;
  /** The route that is retried ("/api/v1/asample"). */
  path: string;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** The caller's deadline for the whole logical call, retries and polling included. */
  timeoutMs?: number | undefined;
  /** Called before each wait between attempts (retry after 429, 5xx, a connection error). */
  onRetryWait?: ((e: RetryWaitEvent) => void) | undefined;
}

/** The cancellation signal and deadline shared by every attempt of one logical call. */
export interface CallContext {
  signal: AbortSignal | undefined;
  deadline: number | undefined;
  onRetryWait?: ((e: RetryWaitEvent) => void) | undefined;
}

export function contextOf(opts: CallOptions | undefined): CallContext {
  const t = opts?.timeoutMs;
  const ctx: CallContext = { signal: opts?.signal, deadline: t !== undefined && t > 0 ? Date.now() + t : undefined };
  if (opts?.onRetryWait) ctx.onRetryWait = opts.onRetryWait;
  return ctx;
}

export function retryReasonOf(status: number | undefined): RetryWaitReason {
  if (status === undefined) return 'connection';
  if (status === 429) return 'rate_limited';
  return status === 408 || status === 503 ? 'server_busy' : 'server_error';
}

/** Tells the caller about a wait (unset fields left out); a display callback's bug must not fail the call it displays. */
export function reportRetryWait(
  ctx: CallContext,
  e: Omit<RetryWaitEvent, 'status' | 'request_id'> & { status?: number | undefined; request_id?: string | undefined },
): void {
  if (!ctx.onRetryWait) return;
  const { status, request_id, ...rest } = e;
  try {
    ctx.onRetryWait({ ...rest, ...(status !== undefined ? { status } : {}), ...(request_id ? { request_id } : {}) });
  } catch {
    // ignored on purpose: see above
  }
}

export function throwIfCancelled(ctx: CallContext): void {
  if (ctx.signal?.aborted) throw new CancelledError(undefined, { cause: ctx.signal.reason });
}

/** Waits, but a cancellation (or `alsoStop`, e.g. the client closing) wins at once; never keeps the process alive alone. */
export function sleep(ms: number, ctx: CallContext, alsoStop?: AbortSignal): Promise<void> {
  throwIfCancelled(ctx);
  if (alsoStop?.aborted) return Promise.reject(new CancelledError('Stopped: the MinT client was closed.'));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const signal = ctx.signal;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      alsoStop?.removeEventListener('abort', onStop);
    };
    const onAbort = () => {
      done();
      reject(new CancelledError(undefined, { cause: signal?.reason }));
    };
    const onStop = () => {
      done();
      reject(new CancelledError('Stopped: the MinT client was closed.'));
    };
    const timer = setTimeout(() => {
      done();
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    alsoStop?.addEventListener('abort', onStop, { once: true });
  });
}

/**
 * The abort signal of one HTTP attempt, or undefined when the transport's own close signal will do.
 * undici's headers/body timers cost nothing extra per request but tick every ~0.5 s, so they bound
 * the default 60 s attempt; a caller's signal, a deadline or a short timeout needs an
 * AbortController of its own (and a precise timer), paid for only then.
 */
export function attemptSignal(
  caller: AbortSignal | undefined,
  closing: AbortSignal,
  timeoutMs: number,
  precise: boolean,
): { signal: AbortSignal; timedOut(): boolean; dispose(): void } | undefined {
  if (!caller && !precise) return undefined;
  const ac = new AbortController();
  let timedOut = false;
  const onAbort = () => ac.abort();
  caller?.addEventListener('abort', onAbort, { once: true });
  closing.addEventListener('abort', onAbort, { once: true });
  const timer = precise
    ? setTimeout(() => {
        timedOut = true;
        ac.abort();
      }, timeoutMs)
    : undefined;
  return {
    signal: ac.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
      closing.removeEventListener('abort', onAbort);
    },
  };
}
