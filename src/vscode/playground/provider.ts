import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { PlaygroundSession } from './session';

export const PLAYGROUND_VIEW_ID = 'mint.playground';
/** The editor panel's view type; its serializer (index.ts) and `onWebviewPanel:` activation event name it. */
export const PLAYGROUND_PANEL_TYPE = 'mint.playgroundPanel';

/**
 * The playground's page. Locked down: CSP default-src 'none', one nonce'd external script, styles
 * and fonts only from the extension, resources only from dist/ and media/.
 */
export function playgroundHtml(webview: vscode.Webview, extensionUri: vscode.Uri, where: 'sidebar' | 'editor'): string {
  return pageHtml(webview, {
    script: vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'playground.js'),
    style: vscode.Uri.joinPath(extensionUri, 'media', 'playground.css'),
    title: 'MinT Playground',
    bodyAttrs: ` data-where="${where}"`,
  });
}

/**
 * A page of ours (the playground, the run dashboard) as the webview loads it: CSP default-src
 * 'none', one nonce'd external script, styles and fonts only from the extension, images from it or
 * data: URLs.
 */
export function pageHtml(
  webview: vscode.Webview,
  page: { script: vscode.Uri; style: vscode.Uri; title: string; bodyAttrs?: string },
): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${webview.asWebviewUri(page.style)}">
<title>${page.title}</title>
</head>
<body${page.bodyAttrs ?? ''}>
<div id="app"></div>
<script nonce="${nonce}" src="${webview.asWebviewUri(page.script)}"></script>
</body>
</html>`;
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

export class PlaygroundViewProvider implements vscode.WebviewViewProvider {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: () => Promise<PlaygroundSession>,
  ) {}

  async resolveWebviewView(view: vscode.WebviewView): Promise<void> {
    view.webview.options = webviewOptions(this.extensionUri);
    // Attach before setting html, so the page's `ready` cannot arrive before anyone listens.
    const attached = (await this.session()).attach(view.webview);
    view.webview.html = playgroundHtml(view.webview, this.extensionUri, 'sidebar');
    view.onDidDispose(() => attached.dispose());
  }
}

/** The same playground in an editor tab, for more room (compare in four columns). */
export function openPlaygroundPanel(extensionUri: vscode.Uri, session: PlaygroundSession): vscode.WebviewPanel {
  const panel = vscode.window.createWebviewPanel(PLAYGROUND_PANEL_TYPE, 'MinT Playground', vscode.ViewColumn.Active, {
    ...webviewOptions(extensionUri),
    retainContextWhenHidden: false,
  });
  showPlaygroundIn(panel, extensionUri, session);
  return panel;
}

/**
 * Fills a panel with the playground page: a new one, or one VS Code restores after a window reload
 * (the serializer). The page keeps nothing itself, so a restored panel needs no saved webview
 * state: after its `ready` the host replays the draft, runs and history.
 */
export function showPlaygroundIn(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, session: PlaygroundSession): void {
  panel.webview.options = webviewOptions(extensionUri);
  const attached = session.attach(panel.webview);
  panel.webview.html = playgroundHtml(panel.webview, extensionUri, 'editor');
  panel.onDidDispose(() => attached.dispose());
}
