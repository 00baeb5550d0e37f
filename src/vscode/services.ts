import type * as vscode from 'vscode';
import type { ClientManager } from './clientManager';
import type { MintDiagnostics } from './diagnostics';
import type { EmulatorLauncher } from './emulatorLauncher';
import type { ErrorPresenter } from './errorPresenter';
import type { Log } from './log';
import type { Operations } from './operations';
import type { SampleDocuments } from './sampleDocuments';
import type { ApiKeyStore } from './secrets';
import type { MintStatusBar } from './statusBar';

/**
 * The extension's services, built once in activate() and handed to every command and view.
 * For a new surface (the playground): run requests with `operations.run(label, fn, { origin })`
 * — it builds the client, counts the request in the status bar and sends failures through the
 * one presenter; use `presenter.describe(err)` to render a failure inline.
 */
export interface Services {
  context: vscode.ExtensionContext;
  log: Log;
  keys: ApiKeyStore;
  clients: ClientManager;
  statusBar: MintStatusBar;
  diagnostics: MintDiagnostics;
  presenter: ErrorPresenter;
  operations: Operations;
  emulator: EmulatorLauncher;
  /** Read-only documents that show sampled text beside the editor. */
  samples: SampleDocuments;
}
