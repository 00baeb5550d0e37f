/**
 * Where every failure's words live: one row per failure class a user can meet, with its
 * message (cause and fix), severity, actions, diagnostic severity, status-bar text and the
 * one-line form a tree item uses. Every surface (toasts, Problems, the status bar, the Training
 * Runs view, the playground) renders from here, so the words never diverge.
 */
import * as vscode from 'vscode';
import { retryAfterMs } from '../mint/retryRules';
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
  CheckpointNotResumableError,
  CheckpointPathError,
  NotSupportedError,
  RequestFailedError,
  PythonRunError,
  UnprocessableEntityError,
} from '../mint/errors';
import { BaseUrlRefusedError, EmulatorStartError, NoApiKeyError, NoServerError } from './setupErrors';
import { KeyringError } from './secrets';

import type { ConnectionState } from './statusBar';

export type Action =
  'Copy request_id' | 'Retry' | 'Set API Key' | 'Select Server' | 'Open Settings' | 'Show Log' | 'Start Local Emulator' | 'Show Models';
export type Severity = 'error' | 'warning' | 'info';

/**
 * What each action does, once for every surface: a toast's button, a Quick Fix, a tree item's
 * click. `Retry` has no command of its own: each surface knows what to run again.
 */
export const ACTIONS: Record<Action, { command?: string; args?: unknown[]; verb: string }> = {
  'Copy request_id': { command: 'mint.copyRequestId', verb: 'copy the request id' },
  Retry: { verb: 'try again' },
  'Set API Key': { command: 'mint.setApiKey', verb: 'set your API key' },
  'Select Server': { command: 'mint.selectServer', verb: 'select a server' },
  'Open Settings': { command: 'workbench.action.openSettings', args: ['mint.'], verb: 'open the MinT settings' },
  'Show Log': { command: 'mint.showLog', verb: 'show the MinT log' },
  'Start Local Emulator': { command: 'mint.startEmulator', verb: 'start the local emulator' },
  'Show Models': { command: 'mint.showModels', verb: 'list the models' },
};

export interface Row {
  /** Matched with instanceof, top to bottom: subclasses before their parents. */
  cls: abstract new (...args: never[]) => Error;
  /** A narrower test within the class (e.g. a failure whose cause MinT masked). */
  when?: (e: Error) => boolean;
  severity: Severity;
  /** Cause and fix, in words. `d` is the server's own detail, `host` the server, `s` seconds. */
  message: (c: Facts) => string;
  actions: Action[];
  diagnostic: vscode.DiagnosticSeverity;
  /** Short text for the status bar's last-error item. */
  status: string;
  /** What the connection item says afterwards; undefined leaves it alone. */
  connection?: ConnectionState;
  /** Waiting, not failing: a status-bar countdown instead of a toast. */
  countdown?: boolean;
  /**
   * For places with one line of room (a tree item): a headline, a hint at the fix, and a
   * codicon. Rows without it show the surface's own headline and the status text.
   */
  short?: { label: (c: Facts) => string; hint: string; icon: string };
}

export interface Facts {
  /** The server's own words, or the error's message when the server said nothing. */
  detail: string;
  host: string;
  status: number | undefined;
  timeoutS: number;
  requestId: string | undefined;
  err: Error;
}

const { Error: E, Warning: W, Information: I } = vscode.DiagnosticSeverity;

/** Failures of requests sent without an API key, marked by whoever knows (Operations). */
export const NO_KEY_SENT = new WeakSet<Error>();

/** THE table: every failure a user can meet, and what they see for it. */
// One row a line or two, so the whole table reads on a screen or two: keep prettier out of it.
// prettier-ignore
export const TABLE: Row[] = [
  { cls: NoApiKeyError, severity: 'warning', status: 'no API key', connection: 'no key', diagnostic: W,
    message: (c) => `No MinT API key is set for ${c.host}. Set your API key, or start the local emulator to try MinT without one.`,
    actions: ['Set API Key', 'Start Local Emulator', 'Select Server'],
    short: { label: (c) => `No API key for ${c.host}`, hint: 'set your API key', icon: 'key' } },
  { cls: NoServerError, severity: 'warning', status: 'no server', connection: 'no server', diagnostic: I,
    message: () => 'No MinT server is chosen yet. Start the local emulator to try MinT offline, or select MinT\'s server and set your API key.',
    actions: ['Start Local Emulator', 'Select Server'],
    short: { label: () => 'No MinT server chosen', hint: 'start the local emulator or select a server', icon: 'plug' } },
  { cls: BaseUrlRefusedError, severity: 'error', status: 'server refused', diagnostic: E,
    message: (c) => c.err.message, actions: ['Select Server', 'Open Settings'],
    short: { label: () => 'The server URL was refused', hint: 'select another server', icon: 'error' } },
  { cls: KeyringError, severity: 'error', status: 'keyring failed', diagnostic: E,
    message: (c) => c.err.message, actions: ['Show Log'] },
  { cls: EmulatorStartError, severity: 'error', status: 'emulator failed', diagnostic: E,
    message: (c) => `The local MinT emulator did not start: ${c.detail}. Run "npm run build" if dist/emulator.js is missing, then try again.`,
    actions: ['Retry', 'Show Log'] },
  // A training step that reached MinT but got no usable answer. MinT does not deduplicate
  // training requests, so the client did not resend it: before any other row of its class.
  { cls: APIError, when: (e) => (e as APIError).mayHaveBeenApplied, severity: 'warning', status: 'step may have run', diagnostic: W,
    message: (c) => `MinT may already have applied ${(c.err as APIError).training_op ?? 'this training step'}: the request reached ${c.host} but no usable answer came back${c.detail ? ` (${c.detail})` : ''}. It was not sent again, so it cannot run twice. Check the run before repeating it (its step from get_info, or its checkpoints in the Training Runs view), or resume from your last saved state.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: CheckpointNotResumableError, severity: 'error', status: 'cannot resume', diagnostic: E,
    message: (c) => c.err.message, actions: ['Show Log'] },
  // Timeouts before connection errors: one subclasses the other.
  { cls: APITimeoutError, severity: 'warning', status: 'timed out', connection: 'offline', diagnostic: W,
    message: (c) => `MinT at ${c.host} did not answer within ${c.timeoutS} s. The server may be busy: wait a moment and retry, or raise mint.timeoutSeconds.`,
    actions: ['Retry', 'Open Settings', 'Show Log'],
    short: { label: (c) => `${c.host} is offline or unreachable`, hint: 'check the network, then refresh', icon: 'debug-disconnect' } },
  { cls: APIConnectionError, severity: 'error', status: 'offline', connection: 'offline', diagnostic: E,
    message: (c) => TLS_CODE.test(c.detail)
      ? `Could not reach MinT at ${c.host}: its certificate is not trusted (${c.detail}). If your network inspects TLS, set NODE_EXTRA_CA_CERTS to your company's CA file and restart VS Code; or select another server.`
      : `Could not reach MinT at ${c.host}${c.detail ? ` (${c.detail})` : ''}. Check your network and proxy settings (http.proxy), or select another server.`,
    actions: ['Retry', 'Select Server', 'Show Log'],
    short: { label: (c) => `${c.host} is offline or unreachable`, hint: 'check the network, then refresh', icon: 'debug-disconnect' } },
  { cls: APIResponseValidationError, severity: 'error', status: 'unreadable reply', diagnostic: E,
    message: (c) => `MinT at ${c.host} sent a reply this extension cannot read (HTTP ${c.status}). A proxy or a different server may have answered: check mint.baseUrl, and report the request id if it persists.`,
    actions: ['Copy request_id', 'Retry', 'Select Server', 'Show Log'] },
  { cls: BadRequestError, severity: 'error', status: 'bad request', diagnostic: E,
    message: (c) => `MinT rejected the request as invalid: ${c.detail}. Fix the request (prompt length, parameters) and send it again.`,
    actions: ['Copy request_id', 'Show Log'] },
  // A 401 to a request that carried no key says nothing about a key: there was none (trial #12).
  { cls: AuthenticationError, when: (e) => NO_KEY_SENT.has(e), severity: 'warning', status: 'no API key', connection: 'no key', diagnostic: W,
    message: (c) => `No API key is set, and MinT at ${c.host} asks for one. Set your API key, then try again.`,
    actions: ['Set API Key', 'Copy request_id', 'Show Log'],
    short: { label: () => 'No API key is set', hint: 'set your API key', icon: 'key' } },
  { cls: AuthenticationError, severity: 'error', status: 'auth failed', connection: 'auth failed', diagnostic: E,
    message: () => 'MinT did not accept your API key. Check your API key and set it again.',
    actions: ['Set API Key', 'Copy request_id', 'Show Log'],
    short: { label: () => 'MinT did not accept your API key', hint: 'set your API key again', icon: 'key' } },
  { cls: PermissionDeniedError, severity: 'error', status: 'permission denied', diagnostic: E,
    message: (c) => `Your API key may not do this: ${c.detail}. Check that your MinT account has access to this model, or use another key.`,
    actions: ['Copy request_id', 'Set API Key', 'Show Log'] },
  // A route this server lacks: a missing feature, not a missing thing. Before its parent, NotFoundError.
  { cls: NotSupportedError, severity: 'warning', status: 'not supported', diagnostic: W,
    message: (c) => `MinT at ${c.host} does not support ${lowerFirst((c.err as NotSupportedError).operation)}: the server has no such route. The rest of the extension keeps working; use a server that implements it for this step.`,
    actions: ['Select Server', 'Show Log'],
    short: { label: (c) => `${c.host} does not support ${lowerFirst((c.err as NotSupportedError).operation)}`, hint: 'this server lacks the route; the rest keeps working', icon: 'circle-slash' } },
  { cls: NotFoundError, severity: 'error', status: 'not found', diagnostic: E,
    message: (c) => `MinT could not find it: ${c.detail}. Check the model name or checkpoint path (MinT: Show Models lists the models).`,
    actions: ['Copy request_id', 'Show Models', 'Show Log'] },
  { cls: ConflictError, severity: 'warning', status: 'conflict', diagnostic: W,
    message: (c) => `MinT reports a conflict: ${c.detail}. This usually means it was already done (e.g. a checkpoint with that name exists); use another name or retry.`,
    actions: ['Copy request_id', 'Retry', 'Show Log'] },
  { cls: UnprocessableEntityError, severity: 'error', status: 'invalid request', diagnostic: E,
    message: (c) => `MinT could not process the request: ${c.detail}. Check the required fields (max_tokens, model) and send it again.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: RateLimitError, severity: 'warning', status: 'rate limited', diagnostic: I, countdown: true,
    message: () => 'MinT is rate-limiting requests. Wait a moment before trying again.',
    actions: ['Retry', 'Copy request_id'] },
  { cls: InternalServerError, severity: 'error', status: 'server error', diagnostic: E,
    message: (c) => `MinT had a server error (HTTP ${c.status}). Wait a moment and retry; if it persists, give MinT support the request id.`,
    actions: ['Copy request_id', 'Retry', 'Show Log'] },
  { cls: APIStatusError, severity: 'error', status: `HTTP error`, diagnostic: E,
    message: (c) => `MinT answered HTTP ${c.status}${c.detail ? `: ${c.detail}` : ''}. Retry; if it persists, check mint.baseUrl or a proxy in between.`,
    actions: ['Copy request_id', 'Retry', 'Open Settings', 'Show Log'] },
  // Production MinT replaces most failure causes with one generic sentence; only its logs hold the cause.
  { cls: RequestFailedError, when: (e) => (e as RequestFailedError).masked === true, severity: 'error', status: 'request failed (cause hidden)', diagnostic: E,
    message: () => 'MinT hides the cause of this failure: it only says "Operation failed". Give MinT support this request id; they can look the cause up. Retry if it may have been temporary.',
    actions: ['Copy request_id', 'Retry', 'Show Log'] },
  { cls: RequestFailedError, severity: 'error', status: 'request failed', diagnostic: E,
    message: (c) => `MinT could not finish the request: ${c.detail}. Retry; if it fails again, give MinT support the request id.`,
    actions: ['Copy request_id', 'Retry', 'Show Log'] },
  { cls: CheckpointPathError, severity: 'error', status: 'bad checkpoint path', diagnostic: E,
    message: (c) => c.err.message, actions: ['Show Log'] },
  // Failures a Python run printed that the TypeScript client has no class for (see pythonErrors.ts).
  { cls: PythonRunError, when: py('cookbook', /^Data(Format|Validation)?Error$/), severity: 'error', status: 'data rejected', diagnostic: E,
    message: (c) => `tinker-cookbook rejected your training data: ${c.detail}. Fix the row or field it names (open the .jsonl: MinT marks rows that do not fit their format), then run again.`,
    actions: ['Show Log'] },
  { cls: PythonRunError, when: py('cookbook', /^ConfigurationError$/), severity: 'error', status: 'bad config', diagnostic: E,
    message: (c) => `tinker-cookbook refused its configuration: ${c.detail}. Fix the config field it names (model name, renderer, batch size, log_path) and run again.`,
    actions: ['Show Log'] },
  { cls: PythonRunError, when: py('cookbook', /^RendererError$/), severity: 'error', status: 'renderer failed', diagnostic: E,
    message: (c) => `The chat renderer could not render a conversation: ${c.detail}. Use the renderer that matches the model (its chat template), and check every message has a known role and text content.`,
    actions: ['Show Log'] },
  { cls: PythonRunError, when: py('cookbook', /^(Checkpoint|Weights\w*)Error$/), severity: 'error', status: 'checkpoint failed', diagnostic: E,
    message: (c) => `A checkpoint could not be saved, loaded or converted: ${c.detail}. Check the path exists and is the right kind (sampler_weights/ to sample or download, weights/ to resume): the Training Runs view lists them.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: PythonRunError, when: py('cookbook', /^AllTrajectoriesFailedError$/), severity: 'error', status: 'rollouts failed', diagnostic: E,
    message: (c) => `Every rollout of a group failed, so there was nothing to train on: ${c.detail}. Read the first RolloutError above it in the output; a sampling failure there has its own request id.`,
    actions: ['Show Log'] },
  { cls: PythonRunError, when: py('cookbook', /^(Eval\w*|BenchmarkNotFound|Sandbox)Error$/), severity: 'error', status: 'evaluation failed', diagnostic: E,
    message: (c) => `An evaluation step failed: ${c.detail}. Check the benchmark name and its grader; the training itself is not affected unless the script stops here.`,
    actions: ['Show Log'] },
  { cls: PythonRunError, when: py('cookbook'), severity: 'error', status: 'training stopped', diagnostic: E,
    message: (c) => `tinker-cookbook stopped the run: ${c.detail}. Fix what it names; resume from the run's last saved state (checkpoints.jsonl) instead of starting over.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: PythonRunError, when: py('builtin', /^TimeoutError$/), severity: 'warning', status: 'gave up waiting', diagnostic: W,
    message: (c) => `Your script stopped waiting for a MinT request: ${c.detail}. It may still be queued or paused by a rate limit or capacity: wait and run again, raise the timeout, or give each rollout its own timeout so one stuck request cannot stall the run.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: PythonRunError, when: py('builtin'), severity: 'error', status: 'SDK gave up', diagnostic: E,
    message: (c) => `The MinT SDK gave up on a request: ${c.detail}. Check MinT is reachable (MinT: Check Connection), then run again; if it persists, give MinT support the request id. A process that hangs after this line can be stopped safely.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: PythonRunError, when: (e) => /^Sidecar/.test((e as PythonRunError).pythonClass), severity: 'error', status: 'SDK sidecar failed', diagnostic: E,
    message: (c) => `The tinker SDK's helper process failed: ${c.detail}. Run again; if it keeps failing, reinstall mindlab-toolkit / tinker in this environment.`,
    actions: ['Show Log'] },
  { cls: PythonRunError, severity: 'error', status: 'MinT error', diagnostic: E,
    message: (c) => `Your MinT run failed: ${c.detail}. Run again; if it persists, give MinT support the request id.`,
    actions: ['Copy request_id', 'Show Log'] },
  // A fine-tune that cannot start (src/finetune: its settings, its data, its run folder): an answer, not a surprise.
  // Matched by name: the classes live in a lazily loaded module, and their names are set as strings.
  { cls: Error, when: (e) => /^(FineTune(Config|Data|ResumeMismatch)Error|RunFolderBusyError)$/.test(e.name), severity: 'error', status: 'fine-tune refused', diagnostic: E,
    message: (c) => `${c.detail}.`, actions: ['Show Log'] },
  { cls: Error, severity: 'error', status: 'error', diagnostic: E,
    message: (c) => `Something unexpected went wrong in MinT: ${c.detail}. Show the log for details.`,
    actions: ['Show Log'] },
];

function py(family: PythonRunError['family'], name?: RegExp): (e: Error) => boolean {
  return (e) => (e as PythonRunError).family === family && (!name || name.test((e as PythonRunError).pythonClass));
}

/** The first row whose class the failure is an instance of; the last row catches everything. */
export function rowFor(err: unknown): Row {
  return TABLE.find((r) => err instanceof r.cls && (!r.when || r.when(err))) ?? TABLE[TABLE.length - 1]!;
}

/**
 * The server's own words when it gave any (the client reads them once, into APIError.detail), the
 * network's error code for a connection failure, else the error's message.
 */
export function detailOf(e: Error): string {
  let d: string;
  if (e instanceof APIConnectionError) d = networkCodeOf(e) ?? '';
  else if (e instanceof APIError && e.detail) d = e.detail;
  // The server's own words: the client's message around them repeats the operation and the id.
  else if (e instanceof RequestFailedError && e.server_error) d = e.server_error;
  else d = e.message;
  // Every message template adds its own full stop after the detail.
  d = d.replace(/\s+/g, ' ').trim().replace(/\.+$/, '');
  return d.length > 200 ? `${d.slice(0, 197)}...` : d;
}

const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/** The first string error code down the cause chain (undici nests the socket's under its own). */
function networkCodeOf(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur; depth++) {
    const cause = (cur as { cause?: unknown }).cause;
    const code = (cause as { code?: unknown } | undefined)?.code;
    // Prefer the deepest specific code: UND_ERR_* wrappers hide the TLS or socket reason.
    if (typeof code === 'string' && !(code.startsWith('UND_ERR') && (cause as { cause?: unknown }).cause)) return code;
    cur = cause;
  }
  return undefined;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function hostOf(url: string | undefined): string {
  if (!url) return 'the MinT server';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** How long the server asked to wait, by the same rules the client waits by (retryRules.ts). */
export function retryAfterSeconds(err: unknown): number | undefined {
  const headers = (err as { headers?: Record<string, string> }).headers;
  const ms = headers ? retryAfterMs(headers) : undefined;
  return ms === undefined ? undefined : ms / 1000;
}
