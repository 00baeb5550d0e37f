/**
 * Exactly once for mutating training ops. MinT gives every training POST a fresh request id and
 * runs it; it does not deduplicate (unlike samples, which it deduplicates by seq_id). So a
 * forward_backward resent after a dropped reply would apply its gradient twice. The transport
 * therefore repeats such a request only when the server cannot have it: it was refused (408, 429,
 * 503) or never written to a connected socket (connection refused, DNS, connect timeout, a proxy
 * refusing the tunnel). Anything else raises the original error class marked
 * `mayHaveBeenApplied`, with words on how to check.
 */
import type { Dispatcher } from 'undici';
import { APIConnectionError, APIStatusError, APITimeoutError, makeStatusError } from './errors';

/** Set by the dispatcher the moment undici starts writing the request to a connected socket. */
export interface SendProbe {
  written: boolean;
}

/** Request options carry the probe to the interceptor (undici passes unknown options through). */
export const PROBE_OPTION = 'mintSendProbe';

/** Failures that happen before a connection exists, so before any byte of the request left. */
const CONNECT_PHASE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type Handler = Dispatcher.DispatchHandler;

/** Forwards everything and notes onRequestStart, which undici calls just before writing the request. */
class ProbeHandler implements Handler {
  constructor(
    private readonly inner: Handler,
    private readonly probe: SendProbe,
  ) {}
  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.probe.written = true;
    this.inner.onRequestStart?.(controller, context);
  }
  onRequestUpgrade(...a: Parameters<NonNullable<Handler['onRequestUpgrade']>>): void {
    this.inner.onRequestUpgrade?.(...a);
  }
  onResponseStart(...a: Parameters<NonNullable<Handler['onResponseStart']>>): void {
    this.inner.onResponseStart?.(...a);
  }
  onResponseData(...a: Parameters<NonNullable<Handler['onResponseData']>>): void {
    this.inner.onResponseData?.(...a);
  }
  onResponseEnd(...a: Parameters<NonNullable<Handler['onResponseEnd']>>): void {
    this.inner.onResponseEnd?.(...a);
  }
  onResponseError(...a: Parameters<NonNullable<Handler['onResponseError']>>): void {
    this.inner.onResponseError?.(...a);
  }
}

/** The caller's dispatcher with the probe interceptor: used only for exactly-once requests. */
export function probingDispatcher(base: Dispatcher): Dispatcher {
  return base.compose((dispatch) => (opts, handler) => {
    const probe = (opts as unknown as Record<string, unknown>)[PROBE_OPTION] as SendProbe | undefined;
    return dispatch(opts, probe ? new ProbeHandler(handler, probe) : handler);
  });
}

function codesOf(err: unknown): string[] {
  const out: string[] = [];
  const visit = (e: unknown, depth: number) => {
    if (!e || typeof e !== 'object' || depth > 3) return;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.push(code);
    visit((e as { cause?: unknown }).cause, depth + 1);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) for (const i of inner) visit(i, depth + 1);
  };
  visit(err, 0);
  return out;
}

/**
 * Whether the server may have received the whole request. A failure during connect never
 * wrote anything; after the probe fired, a reset, "other side closed", a headers or body
 * timeout all leave it unknown (the keep-alive race included: we cannot tell a stale socket
 * from a server that crashed after reading).
 */
export function mayHaveReachedServer(err: unknown, probe: SendProbe): boolean {
  if (!probe.written) return false;
  const codes = codesOf(err);
  return !(codes.length > 0 && codes.every((c) => CONNECT_PHASE_CODES.has(c)));
}

function howToCheck(op: string): string {
  const check =
    op === 'create_model'
      ? 'list your training runs (a new run may exist) before creating another'
      : op.startsWith('save') || op === 'load_weights'
        ? "list the run's checkpoints (or call getInfo) to see whether it took effect"
        : "compare the run's step or loss with your own count (getInfo, your logs), or resume from the last saved state";
  return (
    `MinT may have applied ${op}: the request was sent but no usable reply came back. ` +
    `It was not sent again, because MinT runs every training request it receives and a resend could apply it twice. ` +
    `Before repeating it, ${check}. The training client stays usable.`
  );
}

/** The same error class, with the ambiguity marker and a message that says what to check. */
export function markMayHaveBeenApplied(err: APIConnectionError | APIStatusError, op: string): APIConnectionError | APIStatusError {
  const message = `${howToCheck(op)} (${err.message})`;
  const marker = { mayHaveBeenApplied: true, training_op: op, request_id: err.request_id, cause: err };
  if (err instanceof APIStatusError) {
    return makeStatusError(err.status, message, { ...marker, headers: err.headers, body: err.body });
  }
  return err instanceof APITimeoutError ? new APITimeoutError(message, marker) : new APIConnectionError(message, marker);
}
