import * as vscode from 'vscode';

/** What the presenter puts on a document range when a request made from it fails. */
export interface FailureDiagnostic {
  className: string;
  message: string;
  severity: vscode.DiagnosticSeverity;
  requestId: string | undefined;
  retry: (() => unknown) | undefined;
}

interface Entry {
  diagnostic: vscode.Diagnostic;
  requestId: string | undefined;
  retry: (() => unknown) | undefined;
}

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
      vscode.workspace.onDidCloseTextDocument((d) => this.clearDocument(d.uri)),
      vscode.languages.registerCodeActionsProvider({ scheme: '*' }, this, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    );
  }

  set(uri: vscode.Uri, range: vscode.Range, f: FailureDiagnostic): vscode.Diagnostic {
    const d = new vscode.Diagnostic(range, f.requestId ? `${f.message} (request id: ${f.requestId})` : f.message, f.severity);
    d.source = 'MinT';
    d.code = f.className;
    const list = (this.entries.get(uri.toString()) ?? []).filter((e) => !e.diagnostic.range.isEqual(range));
    list.push({ diagnostic: d, requestId: f.requestId, retry: f.retry });
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

  clearDocument(uri: vscode.Uri): void {
    this.store(uri, []);
  }

  provideCodeActions(document: vscode.TextDocument, _range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const list = this.entries.get(document.uri.toString()) ?? [];
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== 'MinT') continue;
      const entry = list.find((e) => e.diagnostic === d || (e.diagnostic.range.isEqual(d.range) && e.diagnostic.message === d.message));
      if (!entry) continue;
      if (entry.requestId) {
        const copy = new vscode.CodeAction(`Copy request_id ${entry.requestId}`, vscode.CodeActionKind.QuickFix);
        copy.diagnostics = [d];
        copy.command = { title: 'Copy request_id', command: 'mint.copyRequestId', arguments: [entry.requestId] };
        actions.push(copy);
      }
      if (entry.retry) {
        const retry = new vscode.CodeAction('Retry the MinT request', vscode.CodeActionKind.QuickFix);
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
