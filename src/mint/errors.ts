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
 *   └── RequestFailedError             .request_id, .category (a future finished with an error)
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

export class APIError extends TinkerError {
  override name = 'APIError';
  /** Parsed JSON body when there is one, else the raw text, else undefined. */
  readonly body: unknown;
  /** An id support can trace: `X-Trace-Id` / `x-request-id` header, or a "Log ID" in a 5xx body. */
  readonly request_id: string | undefined;
  constructor(message: string, options: { body?: unknown; request_id?: string | undefined; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.body = options.body;
    this.request_id = options.request_id;
  }
}

export class APIConnectionError extends APIError {
  override name = 'APIConnectionError';
  constructor(message = 'Connection error.', options: { cause?: unknown; request_id?: string | undefined } = {}) {
    super(message, options);
  }
}

export class APITimeoutError extends APIConnectionError {
  override name = 'APITimeoutError';
  constructor(message = 'Request timed out.', options: { cause?: unknown; request_id?: string | undefined } = {}) {
    super(message, options);
  }
}

export class APIResponseValidationError extends APIError {
  override name = 'APIResponseValidationError';
  readonly status: number;
  readonly headers: ResponseHeaders;
  constructor(
    message: string,
    options: { status: number; headers: ResponseHeaders; body?: unknown; request_id?: string | undefined; cause?: unknown },
  ) {
    super(message, options);
    this.status = options.status;
    this.headers = options.headers;
  }
}

export class APIStatusError extends APIError {
  override name = 'APIStatusError';
  readonly status: number;
  readonly headers: ResponseHeaders;
  constructor(
    message: string,
    options: { status: number; headers: ResponseHeaders; body?: unknown; request_id?: string | undefined; cause?: unknown },
  ) {
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
    super(`${operation} is not supported by this server (it has no such route). Use a server that implements it, or skip this step.`, options);
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

/** A future that the server finished with `{error, category}`. */
export class RequestFailedError extends TinkerError {
  override name = 'RequestFailedError';
  readonly request_id: string;
  readonly category: ErrorCategory;
  /** The category string exactly as the server sent it (MinT sends "system"). */
  readonly raw_category: string | undefined;
  constructor(message: string, options: { request_id: string; category?: string | undefined; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.request_id = options.request_id;
    this.raw_category = options.category;
    this.category = parseCategory(options.category);
  }
}

/** The user (or the caller's AbortSignal) cancelled the request. Not a failure; never reported as one. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'Request cancelled.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function parseCategory(raw: string | undefined): ErrorCategory {
  const v = raw?.toLowerCase();
  return v === 'server' || v === 'user' ? v : 'unknown';
}

/** The one factory from an HTTP status to its exception class. */
export function makeStatusError(
  status: number,
  message: string,
  options: { headers: ResponseHeaders; body?: unknown; request_id?: string | undefined },
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
    status: err.status, headers: err.headers, body: err.body, request_id: err.request_id, cause: err,
  });
}
