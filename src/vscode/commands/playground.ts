import * as vscode from 'vscode';
import { PLAYGROUND_VIEW_ID, openPlaygroundPanel } from '../playground/provider';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';

export async function openPlayground(): Promise<void> {
  await vscode.commands.executeCommand(`${PLAYGROUND_VIEW_ID}.focus`);
}

export async function openPlaygroundInEditor(s: Services, playground: () => Promise<PlaygroundSession>): Promise<void> {
  openPlaygroundPanel(s.context.extensionUri, await playground());
}

export async function setHuggingFaceToken(playground: () => Promise<PlaygroundSession>): Promise<void> {
  await (await playground()).tokenizers.setHfToken();
}

/** "MinT: Open Shared Playground Run": a `.mint-run.json` someone shared, into this playground's history. */
export async function openSharedRun(playground: () => Promise<PlaygroundSession>, arg: unknown): Promise<void> {
  const session = await playground();
  const run = await session.importRun(arg instanceof vscode.Uri ? arg : undefined, (msg) => {
    if (msg.type !== 'notice') return;
    const show =
      msg.level === 'error'
        ? vscode.window.showErrorMessage
        : msg.level === 'warning'
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    void show(`MinT: ${msg.message}`);
  });
  if (run) await openPlayground();
}
