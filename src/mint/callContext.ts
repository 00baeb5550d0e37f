/** One logical call's cancellation signal and deadline, shared by all of its attempts and waits. */
import { CancelledError } from './errors';

export interface CallOptions {
  signal?: AbortSignal | undefined;
  /** The caller's deadline for the whole logical call, retries and polling included. */
  timeoutMs?: number | undefined;
}

/** The cancellation signal and deadline shared by every attempt of one logical call. */
export interface CallContext {
  signal: AbortSignal | undefined;
  deadline: number | undefined;
}

export function contextOf(opts: CallOptions | undefined): CallContext {
  const t = opts?.timeoutMs;
  return { signal: opts?.signal, deadline: t !== undefined && t > 0 ? Date.now() + t : undefined };
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
