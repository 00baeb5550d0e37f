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
