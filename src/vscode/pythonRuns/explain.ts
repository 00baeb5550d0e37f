/**
 * "Explain" for a MinT exception class met in a Python run (a terminal link, a Quick Fix): what
 * the class means, then the same cause-and-fix the presenter gives for it, with Copy request_id.
 */
import * as vscode from 'vscode';
import { COOKBOOK_CLASSES, SDK_CLASSES, scanTracebacks, type MintException } from '../../python/traceback';
import { errorFor } from '../pythonErrors';
import type { Services } from '../services';

/** What each class means, in one sentence: the part of an explanation that does not depend on the case. */
// prettier-ignore
export const ABOUT: Record<string, string> = {
  TinkerError: 'the base class of every error the MinT/Tinker SDK raises.',
  APIError: 'a request to MinT failed; the subclass says how.',
  APIStatusError: 'MinT answered with an HTTP error status the SDK has no class for.',
  APIConnectionError: 'the SDK could not reach MinT at all (network, proxy, DNS, TLS), after its own retries.',
  APITimeoutError: 'MinT did not answer in time, after the SDK\'s own retries.',
  APIResponseValidationError: 'MinT\'s reply did not have the shape the SDK expects (a proxy or another server may have answered).',
  BadRequestError: 'HTTP 400: MinT found the request itself invalid; resending it unchanged will fail again.',
  AuthenticationError: 'HTTP 401: MinT did not accept the API key (MINT_API_KEY / TINKER_API_KEY).',
  PermissionDeniedError: 'HTTP 403: the key is valid but may not do this (model access, read-only key).',
  NotFoundError: 'HTTP 404: the model, run, checkpoint or future the request names does not exist on this server.',
  ConflictError: 'HTTP 409: the request conflicts with what exists (a checkpoint name in use, a reused sequence id).',
  UnprocessableEntityError: 'HTTP 422: a field is missing or has the wrong type.',
  RateLimitError: 'HTTP 429: MinT asked the client to slow down, and the SDK\'s retries ran out.',
  InternalServerError: 'HTTP 5xx: MinT failed on its side; a "Log ID" in the message is what support needs.',
  RequestFailedError: 'MinT accepted the request but its result (the future) finished with an error; it carries the request id.',
  RetryableException: 'MinT expired the request\'s result (HTTP 410) before it was read; sampling resubmits it, other calls need a retry.',
  SidecarError: 'the SDK\'s helper process failed.',
  SidecarStartupError: 'the SDK\'s helper process did not start.',
  SidecarDiedError: 'the SDK\'s helper process died.',
  SidecarIPCError: 'the SDK could not talk to its helper process.',
  TimeoutError: 'the script stopped waiting for a MinT request\'s result (the request itself may still be queued).',
  ValueError: 'the SDK could not read or retrieve a result for a MinT request.',
};

export function aboutClass(className: string): string {
  if (ABOUT[className]) return ABOUT[className]!;
  if (COOKBOOK_CLASSES.includes(className)) return 'an error tinker-cookbook raises about your data, config or run.';
  return 'an error from the MinT/Tinker SDK.';
}

/** The exception a class name and the rest of its printed line stand for. */
export function exceptionFrom(className: string, text: string | undefined, requestId: string | undefined): MintException {
  const qualified = COOKBOOK_CLASSES.includes(className)
    ? `tinker_cookbook.exceptions.${className}`
    : SDK_CLASSES.includes(className)
      ? `tinker.${className}`
      : className;
  const parsed = scanTracebacks(
    `Traceback (most recent call last):\n  File "<run>", line 1, in <module>\n${qualified}: ${text ?? ''}\n\n`,
  )[0]?.exceptions[0];
  const family = COOKBOOK_CLASSES.includes(className) ? 'cookbook' : SDK_CLASSES.includes(className) ? 'sdk' : 'builtin';
  const base: MintException = parsed ?? { qualifiedName: qualified, className, family, message: text ?? '', frames: [] };
  return { ...base, requestId: base.requestId ?? requestId, detail: base.detail ?? (text?.trim() || 'no details were printed') };
}

export async function explainError(s: Services, className: unknown, requestId: unknown, text: unknown): Promise<void> {
  if (typeof className !== 'string' || !className) return;
  const id = typeof requestId === 'string' && requestId ? requestId : undefined;
  const d = s.presenter.describe(errorFor(exceptionFrom(className, typeof text === 'string' ? text : undefined, id)));
  const message = `MinT ${className}: ${aboutClass(className)} ${d.message}${d.requestId ? ` (request id: ${d.requestId})` : ''}`;
  const actions = d.requestId ? ['Copy request_id', 'Show Log'] : ['Show Log'];
  // Not awaited: the command (and a terminal link's click) returns while the toast stays.
  void vscode.window.showInformationMessage(message, ...actions).then(async (picked) => {
    if (picked === 'Copy request_id') await vscode.commands.executeCommand('mint.copyRequestId', d.requestId);
    else if (picked === 'Show Log') s.log.show();
  });
}
