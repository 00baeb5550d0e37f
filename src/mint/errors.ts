/**
 * The MinT exception hierarchy (the Tinker SDK's, which MinT re-exports), one class per row:
 *
 *   TinkerError
 *   ├── APIError                      .body, .request_id?
 *   │   ├── APIConnectionError
 *   │   │   └── APITimeoutError
 *   │   ├── APIResponseValidationError .status, .headers
 *   │   └── APIStatusError             .status, .headers
 *   │       ├── BadRequestError 400          ├── AuthenticationError 401
 *   │       ├── PermissionDeniedError 403    ├── NotFoundError 404
 *   │       ├── ConflictError 409            ├── UnprocessableEntityError 422
 *   │       ├── RateLimitError 429           └── InternalServerError >= 500
 *   └── RequestFailedError             .request_id, .category, .masked (a future finished with an error)
 *
 * `APIError.mayHaveBeenApplied` marks a mutating training op that was sent but got no usable
 * reply (dropped connection, timeout, 500/502/504): MinT does not deduplicate training requests,
 * so the client did not resend it, and the caller must check before repeating it.
 *
 * A user's cancellation is `CancelledError`, deliberately NOT a TinkerError: code that reports
 * failures with `catch (e) { if (e instanceof TinkerError) ... }` never reports a cancellation.
 *
 * Nothing here may carry the API key: the transport redacts secrets before building an error.
 */

export type ErrorCategory = 'unknown' | 'server' | 'user';

export type ResponseHeaders = Record<string, string>;

export class TinkerError extends Error {
  override name = 'TinkerError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Options every APIError takes; the ambiguity marker is set only by the transport's exactly-once rule. */
export interface APIErrorOptions {
  body?: unknown;
  request_id?: string | undefined;
  cause?: unknown;
  /** The server may already have applied this request (see the class comment above). */
  mayHaveBeenApplied?: boolean | undefined;
  /** The route name of that request, e.g. "forward_backward", when `mayHaveBeenApplied`. */
  training_op?: string | undefined;
}

export class APIError extends TinkerError {
  override name = 'APIError';
  /** Parsed JSON body when there is one, else the raw text, else undefined. */
  readonly body: unknown;
  /**
   * The server's own words, read once from whichever shape it used (FastAPI detail, the auth
   * middleware's error, OpenAI's error.message, plain text); empty when it said nothing.
   */
  readonly detail: string;
  /** An id support can trace: `X-Trace-Id` / `x-request-id` header, or a "Log ID" in a 5xx body. */
  readonly request_id: string | undefined;
  /**
   * True when a mutating training op was sent and no usable reply came: it may have run on the
   * server. The client did not resend it; check the run before repeating the op.
   */
  readonly mayHaveBeenApplied: boolean;
  /** The op that may have been applied ("forward_backward", "optim_step", "save_state", ...). */
  readonly training_op: string | undefined;
  constructor(message: string, options: APIErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.body = options.body;
    this.detail = detailOf(options.body, typeof options.body === 'string' ? options.body : '');
    this.request_id = options.request_id;
    this.mayHaveBeenApplied = options.mayHaveBeenApplied ?? false;
    this.training_op = options.training_op;
  }
}

export class APIConnectionError extends APIError {
  override name = 'APIConnectionError';
  constructor(message = 'Connection error.', options: Omit<APIErrorOptions, 'body'> = {}) {
    super(message, options);
  }
}

export class APITimeoutError extends APIConnectionError {
  override name = 'APITimeoutError';
  constructor(message = 'Request timed out.', options: Omit<APIErrorOptions, 'body'> = {}) {
    super(message, options);
  }
}

export class APIResponseValidationError extends APIError {
  override name = 'APIResponseValidationError';
  readonly status: number;
  readonly headers: ResponseHeaders;
  constructor(message: string, options: APIErrorOptions & { status: number; headers: ResponseHeaders }) {
    super(message, options);
    this.status = options.status;
    this.headers = options.headers;
  }
}

export class APIStatusError extends APIError {
  override name = 'APIStatusError';
  readonly status: number;
  readonly headers: ResponseHeaders;
  constructor(message: string, options: APIErrorOptions & { status: number; headers: ResponseHeaders }) {
    super(message, options);
    this.status = options.status;
    this.headers = options.headers;
  }
}

export class BadRequestError extends APIStatusError {
  override name = 'BadRequestError';
}
export class AuthenticationError extends APIStatusError {
  override name = 'AuthenticationError';
}
export class PermissionDeniedError extends APIStatusError {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends APIStatusError {
  override name = 'NotFoundError';
}
export class ConflictError extends APIStatusError {
  override name = 'ConflictError';
}
export class UnprocessableEntityError extends APIStatusError {
  override name = 'UnprocessableEntityError';
}
export class RateLimitError extends APIStatusError {
  override name = 'RateLimitError';
}
export class InternalServerError extends APIStatusError {
  override name = 'InternalServerError';
}

/**
 * A 404 that means the server has no such route at all (FastAPI's bare `{"detail":"Not Found"}`),
 * not that a resource is missing: MinT lacks several Tinker routes, and saying "not supported by
 * this server" tells the user that retrying or fixing an id will not help.
 */
export class NotSupportedError extends NotFoundError {
  override name = 'NotSupportedError';
  readonly operation: string;
  constructor(
    operation: string,
    options: { status: number; headers: ResponseHeaders; body?: unknown; request_id?: string | undefined; cause?: unknown },
  ) {
    super(
      `${operation} is not supported by this server (it has no such route). Use a server that implements it, or skip this step.`,
      options,
    );
    this.operation = operation;
  }
}

/** A checkpoint path that is not `mint://<run>/<weights|sampler_weights>/<name>` (or tinker://). */
export class CheckpointPathError extends TinkerError {
  override name = 'CheckpointPathError';
  readonly path: string;
  constructor(path: string, reason: string) {
    super(
      `Invalid checkpoint path "${path}": ${reason}. Expected mint://<training_run_id>/sampler_weights/<name> ` +
        `(or weights/<name> for training state; tinker:// works too).`,
    );
    this.path = path;
  }
}

/** The text production MinT puts in place of a failed future's real error for ordinary keys. */
export const MASKED_FAILURE_TEXT = 'Operation failed. Contact administrator if issue persists.';

/** A future that the server finished with `{error, category}`. */
export class RequestFailedError extends TinkerError {
  override name = 'RequestFailedError';
  readonly request_id: string;
  readonly category: ErrorCategory;
  /** The category string exactly as the server sent it (MinT sends "system"). */
  readonly raw_category: string | undefined;
  /** The server's own error text, unchanged (the message adds context and advice around it). */
  readonly server_error: string | undefined;
  /**
   * True when MinT hid the cause ("Operation failed. Contact administrator if issue persists."):
   * only support can see it, and they need the request id.
   */
  readonly masked: boolean;
  constructor(
    message: string,
    options: { request_id: string; category?: string | undefined; cause?: unknown; server_error?: string | undefined },
  ) {
    super(message, { cause: options.cause });
    this.request_id = options.request_id;
    this.raw_category = options.category;
    this.category = parseCategory(options.category);
    this.server_error = options.server_error;
    this.masked = isMaskedFailure(options.server_error);
  }
}

export type PythonFamily = 'sdk' | 'cookbook' | 'builtin';

/**
 * A failure a Python run printed (a traceback in the terminal, a task, the debugger) that the
 * TypeScript client has no class for: tinker-cookbook's classes, the SDK's sidecar errors, the
 * builtins the SDK raises with a request id. It lives here, in the one errors module every bundle
 * shares, so `instanceof` holds wherever it was made.
 */
export class PythonRunError extends TinkerError {
  readonly request_id: string | undefined;
  constructor(
    /** The class name as Python printed it, without its module ("DataFormatError"). */
    readonly pythonClass: string,
    readonly family: PythonFamily,
    message: string,
    requestId: string | undefined,
  ) {
    super(message);
    this.name = pythonClass;
    this.request_id = requestId;
  }
}

export function isMaskedFailure(serverError: string | undefined): boolean {
  return serverError !== undefined && serverError.trim() === MASKED_FAILURE_TEXT;
}

/**
 * saveState got back a sampler checkpoint (some MinT versions' /save_weights writes one): it has
 * no optimizer state, so loadState with the optimizer would fail later, far from the cause.
 */
export class CheckpointNotResumableError extends TinkerError {
  override name = 'CheckpointNotResumableError';
  readonly path: string;
  constructor(path: string) {
    super(
      `MinT saved "${path}" as a sampler checkpoint, which has no optimizer state and cannot resume training. ` +
        "This server's save_weights writes sampler checkpoints and it has no save_state route: " +
        'sample from this path, and to resume training use a MinT server with /api/v1/save_state.',
    );
    this.path = path;
  }
}

/** The user (or the caller's AbortSignal) cancelled the request. Not a failure; never reported as one. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  /**
   * A training op cancelled after its request was written: MinT may have received it and will run
   * it (a cancel cannot reach it before its request id is known). Check before repeating it.
   */
  readonly mayHaveBeenApplied: boolean;
  /** That op ("forward_backward", "optim_step", ...), when `mayHaveBeenApplied`. */
  readonly training_op: string | undefined;
  constructor(
    message = 'Request cancelled.',
    options?: { cause?: unknown; mayHaveBeenApplied?: boolean; training_op?: string | undefined },
  ) {
    super(message, options);
    this.mayHaveBeenApplied = options?.mayHaveBeenApplied ?? false;
    this.training_op = options?.training_op;
  }
}

export function parseCategory(raw: string | undefined): ErrorCategory {
  const v = raw?.toLowerCase();
  return v === 'server' || v === 'user' ? v : 'unknown';
}

/** Human text from any of the error body shapes MinT uses (FastAPI, auth middleware, OpenAI). */
export function detailOf(body: unknown, text: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const d = b.detail;
    if (typeof d === 'string') return d;
    if (Array.isArray(d)) {
      return d
        .map((item) => {
          const it = item as { loc?: unknown; msg?: unknown };
          const loc = Array.isArray(it.loc) ? it.loc.join('.') : '';
          return loc ? `${loc}: ${String(it.msg)}` : String(it.msg ?? JSON.stringify(item));
        })
        .join('; ');
    }
    // A privileged caller's 404 detail is an object {error, request_id, ...}.
    if (d && typeof d === 'object' && typeof (d as { error?: unknown }).error === 'string') return (d as { error: string }).error;
    const e = b.error;
    if (typeof e === 'string') return e;
    if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
      return (e as { message: string }).message;
    }
    if (typeof b.message === 'string') return b.message;
  }
  const t = text.trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

/** The one factory from an HTTP status to its exception class. */
export function makeStatusError(
  status: number,
  message: string,
  options: Omit<APIErrorOptions, 'cause'> & { headers: ResponseHeaders; cause?: unknown },
): APIStatusError {
  const o = { status, ...options };
  if (status === 400) return new BadRequestError(message, o);
  if (status === 401) return new AuthenticationError(message, o);
  if (status === 403) return new PermissionDeniedError(message, o);
  if (status === 404) return new NotFoundError(message, o);
  if (status === 409) return new ConflictError(message, o);
  if (status === 422) return new UnprocessableEntityError(message, o);
  if (status === 429) return new RateLimitError(message, o);
  if (status >= 500) return new InternalServerError(message, o);
  return new APIStatusError(message, o);
}

/** True for a cancellation from any layer: ours, an AbortSignal's DOMException, or undici's. */
export function isCancellation(err: unknown): boolean {
  if (err instanceof CancelledError) return true;
  const name = (err as { name?: unknown } | null)?.name;
  return name === 'AbortError';
}

/** The id to give support for this failure, when there is one. */
export function requestIdOf(err: unknown): string | undefined {
  if (err instanceof RequestFailedError) return err.request_id;
  if (err instanceof APIError) return err.request_id;
  // Other TinkerErrors that carry one (a failure read from a Python run's traceback).
  if (err instanceof TinkerError) {
    const id = (err as { request_id?: unknown }).request_id;
    if (typeof id === 'string' && id) return id;
  }
  return undefined;
}

/** FastAPI's answer for a route it does not have (`{"detail":"Not Found"}`), as opposed to a missing resource. */
export function isMissingRoute(err: unknown): err is NotFoundError {
  if (!(err instanceof NotFoundError) || err instanceof NotSupportedError) return false;
  const b = err.body as { detail?: unknown } | undefined;
  return typeof b === 'object' && b !== null && b.detail === 'Not Found';
}

/** A missing route becomes "<operation> is not supported by this server"; anything else is returned as is. */
export function asNotSupported(operation: string, err: unknown): unknown {
  if (!isMissingRoute(err)) return err;
  return new NotSupportedError(operation, {
    status: err.status,
    headers: err.headers,
    body: err.body,
    request_id: err.request_id,
    cause: err,
  });
}
