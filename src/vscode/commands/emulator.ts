import * as vscode from 'vscode';
import type { Services } from '../services';

export async function startLocalEmulator(s: Services): Promise<void> {
  let url: string;
  try {
    url = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'MinT: starting the local emulator' }, () =>
      s.emulator.start(),
    );
  } catch (e) {
    s.presenter.present(e, { retry: () => startLocalEmulator(s) });
    return;
  }
  s.clients.useEmulator(url);
  s.statusBar.setConnection('emulator');
  void vscode.window.showInformationMessage(
    `MinT: local emulator running at ${url}; MinT requests now go there. "MinT: Stop Local Emulator" switches back.`,
  );
}

export async function stopLocalEmulator(s: Services): Promise<void> {
  const stopped = await s.emulator.stop();
  s.clients.useEmulator(undefined);
  s.statusBar.setConnection('not checked');
  void vscode.window.showInformationMessage(stopped ? 'MinT: local emulator stopped.' : 'MinT: the local emulator is not running.');
}
