import * as vscode from 'vscode';
import { keyProblem } from '../secrets';
import type { Services } from '../services';

export async function setApiKey(s: Services): Promise<void> {
  const value = await vscode.window.showInputBox({
    title: 'MinT: Set API Key',
    prompt: "Your MinT API key (it starts with sk- or tml-). It is kept in VS Code's secret storage, never in settings.",
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => keyProblem(v),
  });
  if (value === undefined) return;
  try {
    await s.keys.store(value.trim());
  } catch (e) {
    s.presenter.present(e);
    return;
  }
  s.log.addSecret(value.trim());
  s.log.info('key', 'API key stored in secret storage');
  s.statusBar.setConnection('not checked');
  const picked = await vscode.window.showInformationMessage('MinT: API key saved.', 'Check Connection');
  if (picked) await vscode.commands.executeCommand('mint.checkConnection');
}

export async function clearApiKey(s: Services): Promise<void> {
  try {
    await s.keys.clear();
  } catch (e) {
    s.presenter.present(e);
    return;
  }
  s.log.info('key', 'API key removed from secret storage');
  const env = await s.keys.resolve().catch(() => undefined);
  s.statusBar.setConnection(env ? 'not checked' : 'no key');
  void vscode.window.showInformationMessage(
    env
      ? `MinT: API key removed from secret storage. ${env.source} from the environment is still used; unset it to stop.`
      : 'MinT: API key removed from secret storage.',
  );
}
