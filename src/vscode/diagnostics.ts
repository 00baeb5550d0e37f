import * as vscode from 'vscode';

/** What the presenter puts on a document range when a request made from it fails. */
export interface FailureDiagnostic {
  className: string;
  message: string;
  severity: vscode.DiagnosticSeverity;
  requestId: string | undefined;
  retry: (() => unknown) | undefined;
  /** The Retry Quick Fix's title ("Run again" for a Python run); "Retry the MinT request" when absent. */
  retryTitle?: string | undefined;
  /**
   * Diagnostics from one source of failures (a command line run in a terminal, a task): they
   * outlive their document being closed, and go together when that source succeeds.
   */
  group?: string | undefined;
}

interface Entry {
  diagnostic: vscode.Diagnostic;
  requestId: string | undefined;
  retry: (() => unknown) | undefined;
  retryTitle: string | undefined;
  group: string | undefined;
}

/** The request id a MinT diagnostic's message ends with, whoever made it (us, or the $mint-python matcher). */
const ID_IN_MESSAGE = /\(request id: ([^\s()]+)\)\s*$/;

/**
 * The "MinT" diagnostic collection for requests that came from a document (a selection sent by
 * mint.sampleSelection, a playground prompt file). A diagnostic stays until that range succeeds
 * or the user edits it, and offers Quick Fixes to copy its request id and to retry.
 */
export class MintDiagnostics implements vscode.Disposable, vscode.CodeActionProvider {
  private readonly collection = vscode.languages.createDiagnosticCollection('MinT');
  private readonly entries = new Map<string, Entry[]>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e)),
      // A closed document's request failures are stale; a Python run's stay until the run succeeds.
      vscode.workspace.onDidCloseTextDocument((d) => this.clearDocument(d.uri, { keepGroups: true })),
      vscode.languages.registerCodeActionsProvider({ scheme: '*' }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    );
  }

  set(uri: vscode.Uri, range: vscode.Range, f: FailureDiagnostic): vscode.Diagnostic {
    const d = new vscode.Diagnostic(range, f.requestId ? `${f.message} (request id: ${f.requestId})` : f.message, f.severity);
    d.source = 'MinT';
    d.code = f.className;
    const list = (this.entries.get(uri.toString()) ?? []).filter((e) => !e.diagnostic.range.isEqual(range));
    list.push({ diagnostic: d, requestId: f.requestId, retry: f.retry, retryTitle: f.retryTitle, group: f.group });
    this.store(uri, list);
    return d;
  }

  /** The request from this range succeeded: its old failure no longer applies. */
  clear(uri: vscode.Uri, range: vscode.Range): void {
    const list = this.entries.get(uri.toString());
    if (list)
      this.store(
        uri,
        list.filter((e) => !e.diagnostic.range.isEqual(range)),
      );
  }

  clearDocument(uri: vscode.Uri, opts: { keepGroups?: boolean } = {}): void {
    const list = this.entries.get(uri.toString()) ?? [];
    this.store(uri, opts.keepGroups ? list.filter((e) => e.group !== undefined) : []);
  }

  /** Removes every diagnostic of a group (its command succeeded, or ran again). Returns how many. */
  clearGroup(group: string): number {
    let removed = 0;
    for (const [key, list] of [...this.entries]) {
      const kept = list.filter((e) => e.group !== group);
      if (kept.length === list.length) continue;
      removed += list.length - kept.length;
      this.store(vscode.Uri.parse(key), kept);
    }
    return removed;
  }

  /** The diagnostics of a group, for tests and for "Run again". */
  groupDiagnostics(group: string): { uri: vscode.Uri; diagnostic: vscode.Diagnostic }[] {
    const out: { uri: vscode.Uri; diagnostic: vscode.Diagnostic }[] = [];
    for (const [key, list] of this.entries)
      for (const e of list) if (e.group === group) out.push({ uri: vscode.Uri.parse(key), diagnostic: e.diagnostic });
    return out;
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const list = this.entries.get(document.uri.toString()) ?? [];
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== 'MinT') continue;
      const entry = list.find((e) => e.diagnostic === d || (e.diagnostic.range.isEqual(d.range) && e.diagnostic.message === d.message));
      // A diagnostic we did not make (the $mint-python problem matcher's) still carries its class and id.
      const requestId = entry ? entry.requestId : ID_IN_MESSAGE.exec(d.message)?.[1];
      if (requestId) {
        const copy = new vscode.CodeAction(`Copy request_id ${requestId}`, vscode.CodeActionKind.QuickFix);
        copy.diagnostics = [d];
        copy.command = { title: 'Copy request_id', command: 'mint.copyRequestId', arguments: [requestId] };
        actions.push(copy);
      }
      const className = typeof d.code === 'string' ? d.code : typeof d.code === 'object' ? String(d.code.value) : undefined;
      if (className && /^[A-Z]\w*(Error|Exception)$/.test(className) && (entry?.group !== undefined || !entry)) {
        const explain = new vscode.CodeAction(`Explain ${className}`, vscode.CodeActionKind.QuickFix);
        explain.diagnostics = [d];
        explain.command = { title: 'Explain', command: 'mint.explainError', arguments: [className, requestId] };
        actions.push(explain);
      }
      if (entry?.retry) {
        const retry = new vscode.CodeAction(entry.retryTitle ?? 'Retry the MinT request', vscode.CodeActionKind.QuickFix);
        retry.diagnostics = [d];
        retry.isPreferred = true;
        retry.command = { title: 'Retry', command: 'mint.retryDiagnostic', arguments: [document.uri.toString(), rangeKey(d.range)] };
        actions.push(retry);
      }
    }
    return actions;
  }

  /** Runs the retry stored with the diagnostic at this range (the "Retry" Quick Fix). */
  retry(uri: string, key: string): boolean {
    const entry = this.entries.get(uri)?.find((e) => rangeKey(e.diagnostic.range) === key);
    if (!entry?.retry) return false;
    void entry.retry();
    return true;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.collection.dispose();
  }

  private onEdit(e: vscode.TextDocumentChangeEvent): void {
    const list = this.entries.get(e.document.uri.toString());
    if (!list?.length || e.contentChanges.length === 0) return;
    // An edit touching a failed range makes its failure stale; diagnostics elsewhere stay
    // (VS Code moves their ranges for display, but ours are re-set on the next request anyway).
    const kept = list.filter((entry) => !e.contentChanges.some((c) => c.range.intersection(entry.diagnostic.range) !== undefined));
    if (kept.length !== list.length) this.store(e.document.uri, kept);
  }

  private store(uri: vscode.Uri, list: Entry[]): void {
    if (list.length) this.entries.set(uri.toString(), list);
    else this.entries.delete(uri.toString());
    this.collection.set(
      uri,
      list.map((e) => e.diagnostic),
    );
  }
}

function rangeKey(r: vscode.Range): string {
  return `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
}
