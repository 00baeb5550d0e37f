import * as vscode from 'vscode';
import type { Services } from '../services';
import { PLAYGROUND_PANEL_TYPE, PLAYGROUND_VIEW_ID, PlaygroundViewProvider, showPlaygroundIn } from './provider';
import type { PlaygroundSession } from './session';

/**
 * Wires the playground into the extension: the sidebar view in the MinT container (its commands
 * are in src/vscode/commands/playground.ts). The session (zod, tokenizers, history) is loaded on first use, not at activation.
 * Returns the session's getter for tests and the extension API.
 */
export function registerPlayground(s: Services): () => Promise<PlaygroundSession> {
  let session: Promise<PlaygroundSession> | undefined;
  const get = (): Promise<PlaygroundSession> =>
    (session ??= import('./session').then(({ PlaygroundSession }) => {
      const created = new PlaygroundSession(s);
      s.context.subscriptions.push(created);
      return created;
    }));
  s.context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(PLAYGROUND_VIEW_ID, new PlaygroundViewProvider(s.context.extensionUri, get)),
    // Without a serializer VS Code drops the editor playground on a window reload.
    vscode.window.registerWebviewPanelSerializer(PLAYGROUND_PANEL_TYPE, {
      deserializeWebviewPanel: async (panel) => showPlaygroundIn(panel, s.context.extensionUri, await get()),
    }),
  );
  return get;
}
