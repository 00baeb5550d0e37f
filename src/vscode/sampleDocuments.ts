import * as vscode from 'vscode';

export const SAMPLE_SCHEME = 'mint-sample';

/**
 * Read-only documents for sampled text. A virtual document, not an untitled one: results are
 * meant to be read and copied, and closing them must never ask "Save changes?".
 */
export class SampleDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly contents = new Map<string, string>();
  private next = 1;
  private readonly registration = vscode.workspace.registerTextDocumentContentProvider(SAMPLE_SCHEME, this);

  /** Stores the text and returns the URI that shows it. */
  add(title: string, text: string): vscode.Uri {
    const safe = title.replace(/[^\w.-]+/g, '-').slice(0, 60);
    const uri = vscode.Uri.from({ scheme: SAMPLE_SCHEME, path: `/Sample ${this.next++} ${safe}.md` });
    this.contents.set(uri.toString(), text);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? 'This MinT sample is gone: samples live only as long as the window.';
  }

  dispose(): void {
    this.registration.dispose();
    this.contents.clear();
  }
}
