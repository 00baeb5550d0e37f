import * as vscode from 'vscode';
import {
  APIConnectionError, APIResponseValidationError, APIStatusError, APITimeoutError, AuthenticationError,
  BadRequestError, ConflictError, InternalServerError, NotFoundError, PermissionDeniedError, RateLimitError,
  CheckpointPathError, NotSupportedError, RequestFailedError, UnprocessableEntityError, isCancellation, requestIdOf,
} from '../mint/errors';
import { BaseUrlRefusedError, EmulatorStartError, NoApiKeyError, NoServerError } from './setupErrors';
import { KeyringError } from './secrets';
import type { Log } from './log';
import type { MintDiagnostics } from './diagnostics';
import type { ConnectionState, MintStatusBar } from './statusBar';
import type { NotificationLevel } from './settings';

export type Action = 'Copy request_id' | 'Retry' | 'Set API Key' | 'Select Server' | 'Open Settings' | 'Show Log' | 'Start Local Emulator' | 'Show Models';
type Severity = 'error' | 'warning' | 'info';

interface Row {
  /** Matched with instanceof, top to bottom: subclasses before their parents. */
  cls: abstract new (...args: never[]) => Error;
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
}

interface Facts { d: string; host: string; status: number | undefined; timeoutS: number; requestId: string | undefined; err: Error }

const E = vscode.DiagnosticSeverity.Error;
const W = vscode.DiagnosticSeverity.Warning;
const I = vscode.DiagnosticSeverity.Information;

/** THE table: every failure a user can meet, and what they see for it. */
const TABLE: Row[] = [
  { cls: NoApiKeyError, severity: 'warning', status: 'no API key', connection: 'no key', diagnostic: W,
    message: (c) => `No MinT API key is set for ${c.host}. Set your API key, or start the local emulator to try MinT without one.`,
    actions: ['Set API Key', 'Start Local Emulator', 'Select Server'] },
  { cls: NoServerError, severity: 'warning', status: 'no server', connection: 'no server', diagnostic: I,
    message: () => 'No MinT server is chosen yet. Start the local emulator to try MinT offline, or select MinT\'s server and set your API key.',
    actions: ['Start Local Emulator', 'Select Server'] },
  { cls: BaseUrlRefusedError, severity: 'error', status: 'server refused', diagnostic: E,
    message: (c) => c.err.message, actions: ['Select Server', 'Open Settings'] },
  { cls: KeyringError, severity: 'error', status: 'keyring failed', diagnostic: E,
    message: (c) => c.err.message, actions: ['Show Log'] },
  { cls: EmulatorStartError, severity: 'error', status: 'emulator failed', diagnostic: E,
    message: (c) => `The local MinT emulator did not start: ${c.d}. Run "npm run build" if dist/emulator.js is missing, then try again.`,
    actions: ['Retry', 'Show Log'] },
  // Timeouts before connection errors: one subclasses the other.
  { cls: APITimeoutError, severity: 'warning', status: 'timed out', connection: 'offline', diagnostic: W,
    message: (c) => `MinT at ${c.host} did not answer within ${c.timeoutS} s. The server may be busy: wait a moment and retry, or raise mint.timeoutSeconds.`,
    actions: ['Retry', 'Open Settings', 'Show Log'] },
  { cls: APIConnectionError, severity: 'error', status: 'offline', connection: 'offline', diagnostic: E,
    message: (c) => TLS_CODE.test(c.d)
      ? `Could not reach MinT at ${c.host}: its certificate is not trusted (${c.d}). If your network inspects TLS, set NODE_EXTRA_CA_CERTS to your company's CA file and restart VS Code; or select another server.`
      : `Could not reach MinT at ${c.host}${c.d ? ` (${c.d})` : ''}. Check your network and proxy settings (http.proxy), or select another server.`,
    actions: ['Retry', 'Select Server', 'Show Log'] },
  { cls: APIResponseValidationError, severity: 'error', status: 'unreadable reply', diagnostic: E,
    message: (c) => `MinT at ${c.host} sent a reply this extension cannot read (HTTP ${c.status}). A proxy or a different server may have answered: check mint.baseUrl, and report the request id if it persists.`,
    actions: ['Copy request_id', 'Retry', 'Select Server', 'Show Log'] },
  { cls: BadRequestError, severity: 'error', status: 'bad request', diagnostic: E,
    message: (c) => `MinT rejected the request as invalid: ${c.d}. Fix the request (prompt length, parameters) and send it again.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: AuthenticationError, severity: 'error', status: 'auth failed', connection: 'auth failed', diagnostic: E,
    message: () => 'MinT did not accept your API key. Check your API key and set it again.',
    actions: ['Set API Key', 'Copy request_id', 'Show Log'] },
  { cls: PermissionDeniedError, severity: 'error', status: 'permission denied', diagnostic: E,
    message: (c) => `Your API key may not do this: ${c.d}. Check that your MinT account has access to this model, or use another key.`,
    actions: ['Copy request_id', 'Set API Key', 'Show Log'] },
  // A route this server lacks: a missing feature, not a missing thing. Before its parent, NotFoundError.
  { cls: NotSupportedError, severity: 'warning', status: 'not supported', diagnostic: W,
    message: (c) => `MinT at ${c.host} does not support ${lowerFirst((c.err as NotSupportedError).operation)}: the server has no such route. The rest of the extension keeps working; use a server that implements it for this step.`,
    actions: ['Select Server', 'Show Log'] },
  { cls: NotFoundError, severity: 'error', status: 'not found', diagnostic: E,
    message: (c) => `MinT could not find it: ${c.d}. Check the model name or checkpoint path (MinT: Show Models lists the models).`,
    actions: ['Copy request_id', 'Show Models', 'Show Log'] },
  { cls: ConflictError, severity: 'warning', status: 'conflict', diagnostic: W,
    message: (c) => `MinT reports a conflict: ${c.d}. This usually means it was already done (e.g. a checkpoint with that name exists); use another name or retry.`,
    actions: ['Copy request_id', 'Retry', 'Show Log'] },
  { cls: UnprocessableEntityError, severity: 'error', status: 'invalid request', diagnostic: E,
    message: (c) => `MinT could not process the request: ${c.d}. Check the required fields (max_tokens, model) and send it again.`,
    actions: ['Copy request_id', 'Show Log'] },
  { cls: RateLimitError, severity: 'warning', status: 'rate limited', diagnostic: I, countdown: true,
    message: () => 'MinT is rate-limiting requests. Wait a moment before trying again.',
    actions: ['Retry', 'Copy request_id'] },
  { cls: InternalServerError, severity: 'error', status: 'server error', diagnostic: E,
    message: (c) => `MinT had a server error (HTTP ${c.status}). Wait a moment and retry; if it persists, give MinT support the request id.`,
    actions: ['Copy request_id', 'Retry', 'Show Log'] },
  { cls: APIStatusError, severity: 'error', status: `HTTP error`, diagnostic: E,
    message: (c) => `MinT answered HTTP ${c.status}${c.d ? `: ${c.d}` : ''}. Retry; if it persists, check mint.baseUrl or a proxy in between.`,
    actions: ['Copy request_id', 'Retry', 'Open Settings', 'Show Log'] },
  { cls: RequestFailedError, severity: 'error', status: 'request failed', diagnostic: E,
    message: (c) => `MinT could not finish the request: ${c.d}. Retry; if it fails again, give MinT support the request id.`,
    actions: ['Copy request_id', 'Retry', 'Show Log'] },
  { cls: CheckpointPathError, severity: 'error', status: 'bad checkpoint path', diagnostic: E,
    message: (c) => c.err.message, actions: ['Show Log'] },
  { cls: Error, severity: 'error', status: 'error', diagnostic: E,
    message: (c) => `Something unexpected went wrong in MinT: ${c.d}. Show the log for details.`,
    actions: ['Show Log'] },
];

/** Everything a surface needs to show one failure (the playground renders this inline). */
export interface DescribedError {
  className: string;
  message: string;
  severity: Severity;
  actions: Action[];
  requestId: string | undefined;
  diagnosticSeverity: vscode.DiagnosticSeverity;
  statusText: string;
}

export interface PresentContext {
  /** The document range the request came from: the failure also becomes a diagnostic there. */
  origin?: { uri: vscode.Uri; range: vscode.Range } | undefined;
  /** Runs the failed operation again (Retry action and Quick Fix). */
  retry?: (() => unknown) | undefined;
}

export interface PresenterDeps {
  log: Log;
  statusBar: MintStatusBar;
  diagnostics: MintDiagnostics;
  settings: () => { notificationLevel: NotificationLevel; timeoutMs: number; serverUrl: string | undefined };
}

/**
 * Turns any failure into what the user sees: a notification (unless the class is already on
 * screen: repeats coalesce into a count), a diagnostic when a document range caused it, the
 * status bar, and a log line. A cancellation shows nothing: the user asked for it.
 */
export class ErrorPresenter {
  private readonly openToasts = new Map<string, number>();
  private last: { described: DescribedError; retry: (() => unknown) | undefined; at: Date } | undefined;

  constructor(private readonly deps: PresenterDeps) {}

  describe(err: unknown): DescribedError {
    const e = err instanceof Error ? err : new Error(String(err));
    const row = rowFor(e);
    const s = this.deps.settings();
    const facts: Facts = {
      d: this.deps.log.redact(detailOf(e)),
      host: hostOf(s.serverUrl),
      status: (e as { status?: number }).status,
      timeoutS: Math.round(s.timeoutMs / 1000),
      requestId: requestIdOf(e),
      err: e,
    };
    const actions = row.actions.filter((a) => a !== 'Copy request_id' || facts.requestId !== undefined);
    if (facts.requestId !== undefined && !actions.includes('Copy request_id')) actions.unshift('Copy request_id');
    return {
      className: e.name || row.cls.name,
      message: this.deps.log.redact(row.message(facts)),
      severity: row.severity,
      actions,
      requestId: facts.requestId,
      diagnosticSeverity: row.diagnostic,
      statusText: row.status,
    };
  }

  /** Shows a failure everywhere it belongs. Returns undefined for a cancellation. */
  present(err: unknown, ctx: PresentContext = {}): DescribedError | undefined {
    if (isCancellation(err)) {
      this.deps.log.debug('presenter', 'request cancelled by the user');
      return undefined;
    }
    const described = this.describe(err);
    const row = rowFor(err);
    const retry = described.actions.includes('Retry') || ctx.origin ? ctx.retry : undefined;
    this.deps.log.error('presenter', `${described.className}: ${this.deps.log.redact(String((err as Error)?.message ?? err))}${described.requestId ? ` [request_id ${described.requestId}]` : ''}`);
    this.last = { described, retry, at: new Date() };
    if (row.connection) this.deps.statusBar.setConnection(row.connection);
    this.deps.statusBar.showLastError(described.className, described.message, described.statusText);
    if (ctx.origin) {
      this.deps.diagnostics.set(ctx.origin.uri, ctx.origin.range, {
        className: described.className, message: described.message, severity: described.diagnosticSeverity,
        requestId: described.requestId, retry: ctx.retry,
      });
    }
    if (row.countdown) {
      this.deps.statusBar.rateLimited(retryAfterSeconds(err) ?? 5);
      return described;
    }
    this.notify(described, retry);
    return described;
  }

  get lastFailure(): { described: DescribedError; retry: (() => unknown) | undefined; at: Date } | undefined { return this.last; }

  /** The last-error item's click: the full message with its request id and actions. */
  async showLastFailure(): Promise<void> {
    if (!this.last) {
      void vscode.window.showInformationMessage('MinT: no request has failed in this window.');
      return;
    }
    const { described, retry } = this.last;
    const text = `MinT ${described.className} at ${this.last.at.toLocaleTimeString()}: ${described.message}` +
      (described.requestId ? ` Request id: ${described.requestId}` : '');
    const actions = described.actions.filter((a) => a !== 'Retry' || retry);
    const picked = await vscode.window.showWarningMessage(text, ...actions);
    if (picked) await this.runAction(picked, described, retry);
  }

  private notify(described: DescribedError, retry: (() => unknown) | undefined): void {
    const level = this.deps.settings().notificationLevel;
    if (level === 'none' || (level === 'errors' && described.severity === 'info')) return;
    const open = this.openToasts.get(described.className);
    if (open !== undefined) {
      // Already on screen: count it instead of stacking another toast of the same failure.
      this.openToasts.set(described.className, open + 1);
      this.deps.log.info('presenter', `${described.className} repeated (${open + 1} times while its notification is open)`);
      return;
    }
    this.openToasts.set(described.className, 1);
    const actions = described.actions.filter((a) => a !== 'Retry' || retry);
    // The toast must say it is MinT's, but "MinT: MinT had a server error" says it twice.
    const text = /^MinT\b/.test(described.message) ? described.message : `MinT: ${described.message}`;
    const message = `${text}${described.requestId ? ` (request id: ${described.requestId})` : ''}`;
    const show = described.severity === 'error' ? vscode.window.showErrorMessage
      : described.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void Promise.resolve(show(message, ...actions)).then(async (picked) => {
      const repeats = (this.openToasts.get(described.className) ?? 1) - 1;
      this.openToasts.delete(described.className);
      if (repeats > 0) this.deps.log.info('presenter', `${described.className} occurred ${repeats} more time(s) while shown`);
      if (picked) await this.runAction(picked, described, retry);
    });
  }

  private async runAction(action: Action, d: DescribedError, retry: (() => unknown) | undefined): Promise<void> {
    switch (action) {
      case 'Copy request_id':
        if (d.requestId) await vscode.commands.executeCommand('mint.copyRequestId', d.requestId);
        return;
      case 'Retry':
        if (retry) await retry();
        return;
      case 'Set API Key': await vscode.commands.executeCommand('mint.setApiKey'); return;
      case 'Select Server': await vscode.commands.executeCommand('mint.selectServer'); return;
      case 'Open Settings': await vscode.commands.executeCommand('workbench.action.openSettings', 'mint.'); return;
      case 'Show Log': await vscode.commands.executeCommand('mint.showLog'); return;
      case 'Start Local Emulator': await vscode.commands.executeCommand('mint.startEmulator'); return;
      case 'Show Models': await vscode.commands.executeCommand('mint.showModels'); return;
    }
  }
}

/** The first row whose class the failure is an instance of; the last row catches everything. */
function rowFor(err: unknown): Row {
  return TABLE.find((r) => err instanceof r.cls) ?? TABLE[TABLE.length - 1]!;
}

/** The server's own words when it gave any (FastAPI detail, auth middleware, OpenAI error). */
function detailOf(e: Error): string {
  const body = (e as { body?: unknown }).body;
  let d: string | undefined;
  if (typeof body === 'string' && body.trim()) d = body.trim();
  else if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.detail === 'string') d = b.detail;
    else if (Array.isArray(b.detail)) {
      d = b.detail.map((x) => {
        const item = x as { loc?: unknown[]; msg?: string };
        return `${Array.isArray(item.loc) ? item.loc.join('.') + ': ' : ''}${item.msg ?? JSON.stringify(x)}`;
      }).join('; ');
    } else if (typeof b.error === 'string') d = b.error;
    else if (b.error && typeof b.error === 'object' && typeof (b.error as { message?: unknown }).message === 'string') d = (b.error as { message: string }).message;
  }
  if (!d && e instanceof APIConnectionError) {
    d = networkCodeOf(e) ?? '';
  }
  if (d === undefined || (d === '' && !(e instanceof APIConnectionError))) d = e.message;
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

function hostOf(url: string | undefined): string {
  if (!url) return 'the MinT server';
  try { return new URL(url).host; } catch { return url; }
}

function retryAfterSeconds(err: unknown): number | undefined {
  const h = (err as { headers?: Record<string, string> }).headers;
  if (!h) return undefined;
  const ms = Number(h['retry-after-ms']);
  if (Number.isFinite(ms) && ms > 0) return ms / 1000;
  const s = Number(h['retry-after']);
  if (Number.isFinite(s) && s > 0) return s;
  return undefined;
}
