/**
 * The retrieve_future loop (protocol §3). MinT long-polls, so a pending reply that took a
 * while is re-polled at once: no sleep adds latency to a result. Only a pending reply that came
 * back fast (throttled, or a server that does not long-poll) earns a short wait, so the loop
 * never spins.
 */
import type { z } from 'zod';
import { cancelFutureQuietly } from './cancel';
import { APIConnectionError, APITimeoutError, CancelledError, isMaskedFailure, RequestFailedError } from './errors';
import { queueEvent } from './queueState';
import { FutureErrorSchema } from './schemas';
import { backoffMs, isRetryableStatus, retryAfterMs } from './retryRules';
import { reportRetryWait, retryReasonOf } from './callContext';
import { throwIfCancelled, type CallContext, type RawResponse, type Transport } from './transport';

export type { QueueStateEvent } from './queueState';
import type { QueueStateEvent } from './queueState';

export interface AwaitFutureOptions {
  /** Sent as X-Tinker-Request-Type, and names the operation in error messages. */
  requestType: string;
  onQueueState?: ((e: QueueStateEvent) => void) | undefined;
  /** Submits the original request again after a 410 (expired future); returns the new request id. */
  resubmit?: (() => Promise<string>) | undefined;
}

const RETRIEVE_PATH = 'api/v1/retrieve_future';
/** Longer than MinT's 20 s long-poll window, as the Tinker SDK's 45 s. */
const POLL_ATTEMPT_TIMEOUT_MS = 45_000;
/** A pending reply faster than this was not long-polled. */
const FAST_PENDING_MS = 50;
const MAX_PENDING_WAIT_MS = 1_000;
const MAX_RESUBMITS = 3;

/**
 * Polls until the future settles. When the caller cancels, MinT is asked (best effort, in the
 * background) to cancel the future too, so the work does not run on for nobody.
 */
export async function awaitFuture<S extends z.ZodType>(
  transport: Transport,
  firstRequestId: string,
  schema: S,
  ctx: CallContext,
  opts: AwaitFutureOptions,
): Promise<{ data: z.infer<S>; request_id: string }> {
  const current = { id: firstRequestId };
  try {
    return await pollFuture(transport, current, schema, ctx, opts);
  } catch (err) {
    if (err instanceof CancelledError && ctx.signal?.aborted) void cancelFutureQuietly(transport, current.id);
    throw err;
  }
}

/** What a failed future's text means for the user: a hidden cause, a name in use, or just a failure. */
function failureAdvice(message: string, requestId: string): string {
  if (isMaskedFailure(message)) {
    return `MinT hides the cause of this failure from API keys; give MinT support the request id ${requestId}.`;
  }
  if (/checkpoint already exists/i.test(message)) {
    return 'A checkpoint with that name already exists for this run: save under another name, or delete the old checkpoint first.';
  }
  if (/already exists/i.test(message)) return 'It already exists on the server: use another name or id, or reuse the existing one.';
  return 'Try again; if it keeps failing, give the request id to MinT support.';
}

async function pollFuture<S extends z.ZodType>(
  transport: Transport,
  current: { id: string },
  schema: S,
  ctx: CallContext,
  opts: AwaitFutureOptions,
): Promise<{ data: z.infer<S>; request_id: string }> {
  let requestId = current.id;
  let iteration = 0;
  let failures = 0;
  let fastPending = 0;
  let resubmits = 0;
  const spec = { method: 'POST' as const, path: RETRIEVE_PATH };
  const started = Date.now();

  const deadlineError = (cause?: unknown) =>
    new APITimeoutError(
      `MinT's ${opts.requestType} (request id ${requestId}) was still pending after ${Math.round((Date.now() - started) / 1000)} s, ` +
        `the caller's deadline. The work may still finish on the server; wait longer (raise timeoutMs) or try again later.`,
      { request_id: requestId, cause },
    );

  for (;;) {
    throwIfCancelled(ctx);
    if (ctx.deadline !== undefined && Date.now() >= ctx.deadline) throw deadlineError();
    let raw: RawResponse;
    try {
      raw = await transport.send(
        {
          ...spec,
          body: { request_id: requestId, allow_metadata_only: false },
          headers: { 'x-tinker-request-iteration': String(iteration), 'x-tinker-request-type': opts.requestType },
          attemptTimeoutMs: POLL_ATTEMPT_TIMEOUT_MS,
        },
        ctx,
        failures,
      );
    } catch (err) {
      if (err instanceof CancelledError) throw err;
      if (ctx.deadline !== undefined && Date.now() >= ctx.deadline) throw deadlineError(err);
      if (!(err instanceof APIConnectionError) || failures >= transport.maxRetries) throw err;
      const wait = boundedWait(backoffMs(failures), ctx);
      reportRetryWait(ctx, {
        attempt: failures + 1,
        delayMs: wait,
        reason: 'connection',
        path: '/' + RETRIEVE_PATH,
        request_id: requestId,
      });
      await transport.wait(wait, ctx);
      failures++;
      continue;
    }
    iteration++;

    let body: unknown;
    if (raw.status === 200 || raw.status === 408) {
      body = raw.text ? safeJson(raw.text) : undefined;
      if (body === INVALID) {
        if (raw.status === 408) body = undefined;
        else throw transport.validationError(spec, raw, 'its body is not JSON');
      }
    }

    const pending =
      raw.status === 408 || (raw.status === 200 && isObject(body) && (body.type === 'try_again' || body.status === 'complete_metadata'));
    if (pending) {
      failures = 0;
      if (opts.onQueueState) {
        try {
          opts.onQueueState(queueEvent(requestId, body, raw.headers));
        } catch {
          // A display callback's bug must not lose the result it was displaying.
        }
      }
      const serverWait = retryAfterMs(raw.headers) ?? MAX_PENDING_WAIT_MS;
      let wait = 0;
      if (raw.headers['x-tinker-poll-throttled']) {
        wait = Math.min(serverWait, MAX_PENDING_WAIT_MS);
      } else if (raw.durationMs < FAST_PENDING_MS) {
        wait = Math.min(25 * 2 ** fastPending, serverWait, MAX_PENDING_WAIT_MS);
        fastPending++;
      } else {
        fastPending = 0;
      }
      if (wait > 0) await transport.wait(boundedWait(wait, ctx), ctx);
      continue;
    }

    if (raw.status === 200) {
      if (isObject(body) && 'error' in body) {
        const fe = FutureErrorSchema.safeParse(body);
        const message = transport.redact(fe.success ? fe.data.error : JSON.stringify(body.error));
        throw new RequestFailedError(
          `MinT could not complete ${opts.requestType} (request id ${requestId}): ${message.replace(/\.\s*$/, '')}. ${failureAdvice(message, requestId)}`,
          { request_id: requestId, category: fe.success ? (fe.data.category ?? undefined) : undefined, server_error: message },
        );
      }
      return { data: transport.parse(spec, raw, schema), request_id: requestId };
    }

    if (raw.status === 410 && opts.resubmit && resubmits < MAX_RESUBMITS) {
      resubmits++;
      requestId = await opts.resubmit();
      current.id = requestId;
      iteration = 0;
      continue;
    }

    const error = transport.statusError(spec, raw);
    if (raw.status !== 410 && isRetryableStatus(raw.status, raw.headers) && failures < transport.maxRetries) {
      const wait = retryAfterMs(raw.headers) ?? backoffMs(failures);
      failures++;
      if (ctx.deadline !== undefined && Date.now() + wait >= ctx.deadline) throw error;
      // The future's id, not the refused poll's: it is the one the user can look up.
      reportRetryWait(ctx, {
        attempt: failures,
        delayMs: wait,
        status: raw.status,
        reason: retryReasonOf(raw.status),
        path: '/' + RETRIEVE_PATH,
        request_id: requestId,
      });
      await transport.wait(wait, ctx);
      continue;
    }
    throw error;
  }
}

const INVALID = Symbol('invalid-json');

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function boundedWait(ms: number, ctx: CallContext): number {
  return ctx.deadline === undefined ? ms : Math.max(0, Math.min(ms, ctx.deadline - Date.now()));
}
