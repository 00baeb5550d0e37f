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
  // Whose emulator it is decides what Stop will do, so the user learns it now.
  const whose = s.emulator.owned
    ? `started by this window, runs and checkpoints kept in ${s.emulator.dataDir}`
    : 'already running, started by npm start or another window';
  void vscode.window.showInformationMessage(
    `MinT: local emulator running at ${url} (${whose}); MinT requests now go there. "MinT: Stop Local Emulator" switches back.`,
  );
}

export async function stopLocalEmulator(s: Services): Promise<void> {
  if (s.emulator.owned) {
    const runs = (await s.emulator.runCount()) ?? 0;
    if (runs > 0) {
      const answer = await vscode.window.showWarningMessage(
        `MinT: the local emulator at ${s.emulator.url} holds ${runs} training run${runs === 1 ? '' : 's'}. ` +
          `Stopping it ends ${runs === 1 ? 'its session' : 'their sessions'}: saved checkpoints are kept in ${s.emulator.dataDir} ` +
          '(sample them by their mint:// path after "MinT: Start Local Emulator"), training not saved since is lost. Stop it?',
        'Stop Emulator',
        'Keep Running',
      );
      if (answer !== 'Stop Emulator') return;
    }
  }
  const url = s.emulator.url;
  const what = await s.emulator.stop();
  s.clients.useEmulator(undefined);
  s.statusBar.setConnection('not checked');
  void vscode.window.showInformationMessage(
    what === 'stopped'
      ? 'MinT: local emulator stopped.'
      : what === 'released'
        ? `MinT: no longer using the local emulator at ${url}. It keeps running: this window did not start it.`
        : 'MinT: the local emulator is not running.',
  );
}

/**
 * Another server was chosen: this window's own emulator is stopped (one someone else started is
 * only let go), and when it held runs the user is told where they are kept.
 */
export async function leaveLocalEmulator(s: Services): Promise<void> {
  if (!s.emulator.url) return;
  const runs = s.emulator.owned ? ((await s.emulator.runCount()) ?? 0) : 0;
  const what = await s.emulator.stop();
  s.clients.useEmulator(undefined);
  if (what === 'stopped' && runs > 0)
    void vscode.window.showInformationMessage(
      `MinT: stopped this window's local emulator, ending ${runs} training run${runs === 1 ? '' : 's'}. ` +
        `Saved checkpoints are kept in ${s.emulator.dataDir} and can be sampled again after "MinT: Start Local Emulator".`,
    );
}
