import * as vscode from 'vscode';
import type { Services } from '../services';
import { clearApiKey, setApiKey } from './apiKey';
import { startEmulator, stopEmulator } from './emulator';
import { copyLastRequestId, copyRequestId } from './requests';
import { sampleSelection } from './sampleSelection';
import { checkConnection, selectServer, showModels } from './server';

/**
 * Every command, registered at activation whatever the server's state: a command that cannot
 * work yet explains why (through the presenter) instead of being missing or failing silently.
 */
export function registerCommands(s: Services, extra: { detectEnvKey: () => Promise<void> }): vscode.Disposable[] {
  const table: Record<string, (...args: unknown[]) => unknown> = {
    'mint.setApiKey': () => setApiKey(s),
    'mint.clearApiKey': () => clearApiKey(s),
    'mint.selectServer': () => selectServer(s),
    'mint.checkConnection': () => checkConnection(s),
    'mint.showModels': () => showModels(s),
    'mint.sampleSelection': () => sampleSelection(s),
    'mint.copyLastRequestId': () => copyLastRequestId(s),
    'mint.copyRequestId': (id) => copyRequestId(s, id),
    'mint.retryLastFailed': () => s.operations.retryLastFailed(),
    'mint.retryDiagnostic': (uri, key) => { if (typeof uri === 'string' && typeof key === 'string') s.diagnostics.retry(uri, key); },
    'mint.showLastError': () => s.presenter.showLastFailure(),
    'mint.showLog': () => s.log.show(),
    'mint.startEmulator': () => startEmulator(s),
    'mint.stopEmulator': () => stopEmulator(s),
    'mint.storeKeyFromEnv': () => extra.detectEnvKey(),
  };
  return Object.entries(table).map(([id, run]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await run(...args);
      } catch (e) {
        // Commands report their own failures; this catches what slipped through, so nothing is silent.
        s.presenter.present(e);
        return undefined;
      }
    }),
  );
}
