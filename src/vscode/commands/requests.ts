import * as vscode from 'vscode';
import type { Services } from '../services';

export async function copyRequestId(s: Services, id: unknown): Promise<void> {
  if (typeof id !== 'string' || !id) return;
  await vscode.env.clipboard.writeText(id);
  s.log.info('presenter', `request id ${id} copied to the clipboard`);
  vscode.window.setStatusBarMessage(`$(clippy) MinT request id ${id} copied`, 3000);
}

export async function copyLastRequestId(s: Services): Promise<void> {
  const id = s.operations.lastRequestId;
  if (!id) {
    void vscode.window.showInformationMessage(
      'MinT: no request id yet. Ids appear once a request reaches the server (sampling, or a failure the server logged).',
    );
    return;
  }
  await copyRequestId(s, id);
}
