/**
 * A MinT failure read from a Python run's output (a traceback in the terminal, a task, the
 * debugger) becomes an instance of the client's own exception class, so the one error table
 * words it exactly as it words the extension's own failures. Classes the TypeScript client has no
 * twin for (tinker-cookbook's, the SDK's sidecar errors, the builtins the SDK raises with a
 * request id) become a PythonRunError, which has rows of its own in the table.
 */
import {
  APIConnectionError,
  APIError,
  APIResponseValidationError,
  APIStatusError,
  APITimeoutError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  PythonRunError,
  RequestFailedError,
  UnprocessableEntityError,
} from '../mint/errors';

export { PythonRunError };
import type { MintException } from '../python/traceback';

const STATUS_CLASSES: Record<
  string,
  { cls: new (m: string, o: ConstructorParameters<typeof APIStatusError>[1]) => APIStatusError; status: number }
> = {
  BadRequestError: { cls: BadRequestError, status: 400 },
  AuthenticationError: { cls: AuthenticationError, status: 401 },
  PermissionDeniedError: { cls: PermissionDeniedError, status: 403 },
  NotFoundError: { cls: NotFoundError, status: 404 },
  ConflictError: { cls: ConflictError, status: 409 },
  UnprocessableEntityError: { cls: UnprocessableEntityError, status: 422 },
  RateLimitError: { cls: RateLimitError, status: 429 },
  InternalServerError: { cls: InternalServerError, status: 500 },
  APIStatusError: { cls: APIStatusError, status: 0 },
};

/** The server's text inside the SDK's RequestFailedError message ("Request failed: <text> for self.request_id=..."). */
export function serverTextOfRequestFailed(message: string): string {
  const m = /^Request failed:\s*([\s\S]*?)\s+for self\.request_id=/.exec(message);
  return (m ? m[1]! : message).trim();
}

/** The client's exception (or a PythonRunError) standing for one exception a Python run printed. */
export function errorFor(ex: MintException): Error {
  const requestId = ex.requestId ?? ex.logId;
  const body = ex.detail !== undefined ? { detail: ex.detail } : undefined;
  let err: Error;
  const status = STATUS_CLASSES[ex.className];
  if (ex.family === 'sdk' && status) {
    err = new status.cls(ex.message, { status: ex.status ?? status.status, headers: {}, body, request_id: requestId });
  } else if (ex.family === 'sdk' && ex.className === 'RequestFailedError' && requestId) {
    const text = serverTextOfRequestFailed(ex.message);
    err = new RequestFailedError(text, { request_id: requestId ?? '', server_error: text });
  } else if (ex.family === 'sdk' && ex.className === 'APITimeoutError') {
    err = new APITimeoutError(ex.message, { request_id: requestId });
  } else if (ex.family === 'sdk' && ex.className === 'APIConnectionError') {
    err = new APIConnectionError(ex.message, { request_id: requestId });
  } else if (ex.family === 'sdk' && ex.className === 'APIResponseValidationError') {
    err = new APIResponseValidationError(ex.message, { status: ex.status ?? 200, headers: {}, body, request_id: requestId });
  } else if (ex.family === 'sdk' && ex.className === 'APIError') {
    err = new APIError(ex.message, { body, request_id: requestId });
  } else {
    err = new PythonRunError(ex.className, ex.family, ex.detail ?? ex.message, requestId);
  }
  // What Python called it is what the user saw; the table still matches on the class.
  err.name = ex.className;
  return err;
}
