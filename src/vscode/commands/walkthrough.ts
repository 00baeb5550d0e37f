import * as vscode from 'vscode';
import type { Services } from '../services';

const SHOWN_KEY = 'mint.walkthroughShown';

export async function openWalkthrough(s: Services): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${s.context.extension.id}#mint.gettingStarted`, false);
}

/**
 * The walkthrough opens by itself once per user (VS Code opens an extension's walkthrough only in
 * some installs, never for a development host), unless mint.openWalkthroughOnFirstRun is off.
 */
export async function openWalkthroughOnFirstRun(s: Services): Promise<void> {
  if (s.context.globalState.get<boolean>(SHOWN_KEY)) return;
  if (!vscode.workspace.getConfiguration('mint').get<boolean>('openWalkthroughOnFirstRun', true)) return;
  await s.context.globalState.update(SHOWN_KEY, true);
  await openWalkthrough(s);
}
