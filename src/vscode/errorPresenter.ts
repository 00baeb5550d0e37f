import * as vscode from 'vscode';
import { isCancellation, requestIdOf } from '../mint/errors';
import { ACTIONS, detailOf, hostOf, retryAfterSeconds, rowFor, type Action, type Facts, type Severity } from './errorTable';
import type { Log } from './log';
import type { MintDiagnostics } from './diagnostics';
import type { MintStatusBar } from './statusBar';
import type { NotificationLevel } from './settings';

export type { Action } from './errorTable';

/** Everything a surface needs to show one failure (the playground renders this inline). */
export interface DescribedError {
  className: string;
  message: string;
  severity: Severity;
  actions: Action[];
  requestId: string | undefined;
  diagnosticSeverity: vscode.DiagnosticSeverity;
  statusText: string;
  /** The server the failure is about, as the messages name it. */
  host: string;
  /** The one-line form for a tree item, when the row has one. */
  short?: { label: string; hint: string; icon: string } | undefined;
}

export interface PresentContext {
  /** The document range the request came from: the failure also becomes a diagnostic there. */
  origin?: { uri: vscode.Uri; range: vscode.Range; group?: string | undefined } | undefined;
  /** Runs the failed operation again (Retry action and Quick Fix). */
  retry?: (() => unknown) | undefined;
  /** What Retry is called where it means something else ("Run again" for a Python run). */
  retryTitle?: string | undefined;
  /** Where the failure happened, when not in the extension's own request ("your Python run"). */
  where?: string | undefined;
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
      detail: this.deps.log.redact(detailOf(e)),
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
      host: facts.host,
      short: row.short && { label: this.deps.log.redact(row.short.label(facts)), hint: row.short.hint, icon: row.short.icon },
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
    // The client's message usually names the id already ("[request id X]"): say it once.
    const text = this.deps.log.redact(String((err as Error)?.message ?? err));
    const id = described.requestId && !text.includes(described.requestId) ? ` [request id ${described.requestId}]` : '';
    this.deps.log.error('presenter', `${ctx.where ? `${ctx.where}: ` : ''}${described.className}: ${text}${id}`);
    this.last = { described, retry, at: new Date() };
    if (row.connection) this.deps.statusBar.setConnection(row.connection);
    this.deps.statusBar.showLastError(described.className, described.message, described.statusText);
    if (ctx.origin) {
      this.deps.diagnostics.set(ctx.origin.uri, ctx.origin.range, {
        className: described.className,
        message: described.message,
        severity: described.diagnosticSeverity,
        requestId: described.requestId,
        retry: ctx.retry,
        retryTitle: ctx.retryTitle,
        group: ctx.origin.group,
      });
    }
    // A countdown is for the extension's own waiting requests; a Python run's 429 already gave up.
    if (row.countdown && !ctx.where) {
      this.deps.statusBar.rateLimited(retryAfterSeconds(err) ?? 5);
      return described;
    }
    this.notify(described, retry, ctx.where);
    return described;
  }

  get lastFailure(): { described: DescribedError; retry: (() => unknown) | undefined; at: Date } | undefined {
    return this.last;
  }

  /** The last-error item's click: the full message with its request id and actions. */
  async showLastFailure(): Promise<void> {
    if (!this.last) {
      void vscode.window.showInformationMessage('MinT: no request has failed in this window.');
      return;
    }
    const { described, retry } = this.last;
    const text =
      `MinT ${described.className} at ${this.last.at.toLocaleTimeString()}: ${described.message}` +
      (described.requestId ? ` Request id: ${described.requestId}` : '');
    const actions = described.actions.filter((a) => a !== 'Retry' || retry);
    const picked = await vscode.window.showWarningMessage(text, ...actions);
    if (picked) await this.runAction(picked, described, retry);
  }

  private notify(described: DescribedError, retry: (() => unknown) | undefined, where?: string): void {
    const level = this.deps.settings().notificationLevel;
    if (level === 'none' || (level === 'errors' && described.severity === 'info')) return;
    // One toast per failure as the user sees it: the class and its row (a masked failure and an
    // ordinary one share a class but not a row, and must not hide each other).
    const key = `${described.className}|${described.statusText}`;
    const open = this.openToasts.get(key);
    if (open !== undefined) {
      // Already on screen: count it instead of stacking another toast of the same failure.
      this.openToasts.set(key, open + 1);
      this.deps.log.info('presenter', `${described.className} repeated (${open + 1} times while its notification is open)`);
      return;
    }
    this.openToasts.set(key, 1);
    const actions = described.actions.filter((a) => a !== 'Retry' || retry);
    // The toast must say it is MinT's, but "MinT: MinT had a server error" says it twice.
    const text = where
      ? `${/^MinT\b/.test(described.message) ? '' : 'MinT '}${described.className} in ${where}: ${described.message}`
      : /^MinT\b/.test(described.message)
        ? described.message
        : `MinT: ${described.message}`;
    const message = `${text}${described.requestId ? ` (request id: ${described.requestId})` : ''}`;
    const show =
      described.severity === 'error'
        ? vscode.window.showErrorMessage
        : described.severity === 'warning'
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    void Promise.resolve(show(message, ...actions)).then(async (picked) => {
      const repeats = (this.openToasts.get(key) ?? 1) - 1;
      this.openToasts.delete(key);
      if (repeats > 0) this.deps.log.info('presenter', `${described.className} occurred ${repeats} more time(s) while shown`);
      if (picked) await this.runAction(picked, described, retry);
    });
  }

  private async runAction(action: Action, d: DescribedError, retry: (() => unknown) | undefined): Promise<void> {
    if (action === 'Retry') {
      if (retry) await retry();
      return;
    }
    if (action === 'Copy request_id' && !d.requestId) return;
    const { command, args } = ACTIONS[action];
    if (!command) return;
    await vscode.commands.executeCommand(command, ...(action === 'Copy request_id' ? [d.requestId] : (args ?? [])));
  }
}
