import * as vscode from 'vscode';
import { bundleEvaluationStart } from './vscode/loadClock';
import { ClientManager, needsKey } from './vscode/clientManager';
import { registerCommands } from './vscode/commands';
import { openWalkthroughOnFirstRun } from './vscode/commands/walkthrough';
import { MintDiagnostics } from './vscode/diagnostics';
import { EmulatorLauncher } from './vscode/emulatorLauncher';
import { EnvKeyDetector } from './vscode/envFile';
import { ErrorPresenter } from './vscode/errorPresenter';
import { Log } from './vscode/log';
import { Operations } from './vscode/operations';
import { SampleDocuments } from './vscode/sampleDocuments';
import { ApiKeyStore } from './vscode/secrets';
import type { Services } from './vscode/services';
import { readSettings } from './vscode/settings';
import { MintStatusBar } from './vscode/statusBar';
import { StartView } from './vscode/startView';
import { registerPlayground } from './vscode/playground';
import { registerRunsTree } from './vscode/trees';
import { registerPythonRuns, type PythonRuns } from './vscode/pythonRuns';
import { registerJsonlFeatures, type JsonlFeatures } from './vscode/jsonl';
import { registerRunDashboard, type LocalRuns } from './vscode/dashboard';
import type { FineTuneCommands } from './vscode/fineTune';
import type { PlaygroundSession } from './vscode/playground/session';

const moduleEnd = performance.now();

/** What activate() returns: the services (for tests and sibling features) and its own cost. */
export interface MintExtensionApi {
  services: Services;
  playground: () => Promise<PlaygroundSession>;
  python: PythonRuns;
  /** Prompt files and datasets: loaded with the first .jsonl file (or the first command that needs them). */
  jsonl: JsonlFeatures;
  localRuns: LocalRuns;
  activation: { moduleEvalMs: number; activateMs: number };
}

/** The composition root: builds the services and wires them together, nothing else. */
export function activate(context: vscode.ExtensionContext): MintExtensionApi {
  const t0 = performance.now();
  let log: Log | undefined;
  try {
    log = new Log();
    const statusBar = new MintStatusBar();
    const diagnostics = new MintDiagnostics();
    const keys = new ApiKeyStore(context.secrets);
    const version = String((context.extension.packageJSON as { version?: string }).version ?? '0');
    const clients = new ClientManager(log, keys, `MinT-VSCode/${version} (VS Code ${vscode.version}; Node ${process.version})`);
    // Runs and checkpoints made on the local emulator outlive it and the window, as on MinT.
    const emulator = new EmulatorLauncher(
      context.extensionPath,
      log,
      vscode.Uri.joinPath(context.globalStorageUri, 'emulator-data').fsPath,
    );
    const presenter = new ErrorPresenter({
      log,
      statusBar,
      diagnostics,
      settings: () => ({ ...readSettings(), serverUrl: clients.server()?.url }),
    });
    const operations = new Operations(clients, presenter, statusBar, diagnostics, log);
    const samples = new SampleDocuments();
    const services: Services = { context, log, keys, clients, statusBar, diagnostics, presenter, operations, emulator, samples };
    const envKeys = new EnvKeyDetector(keys, context.workspaceState, log);

    emulator.onExit = () => {
      clients.useEmulator(undefined);
      statusBar.setConnection('offline');
    };
    // A new server or key makes the last known state stale until the next request says otherwise.
    context.subscriptions.push(clients.onDidChange(() => void initialState(services)));
    statusBar.setModel(readSettings().defaultModel);
    const playground = registerPlayground(services);
    const runs = registerRunsTree(services);
    const python = registerPythonRuns(services, playground);
    const jsonl = registerJsonlFeatures(services, playground);
    const localRuns = registerRunDashboard(services, playground);
    let fineTuning: Promise<FineTuneCommands> | undefined;
    const fineTune = (): Promise<FineTuneCommands> =>
      (fineTuning ??= import('./vscode/fineTune').then((m) => new m.FineTuneCommands(services, playground, () => localRuns.refresh())));
    context.subscriptions.push(
      log,
      statusBar,
      diagnostics,
      keys,
      clients,
      emulator,
      envKeys,
      samples,
      ...registerCommands(services, {
        detectEnvKey: () => envKeys.check(true),
        playground,
        runs,
        python,
        batch: jsonl.batch,
        localRuns,
        fineTune,
      }),
      new StartView(),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mint.defaultModel')) statusBar.setModel(readSettings().defaultModel);
      }),
    );
    // The key state is shown after activation returns: SecretStorage can be slow to answer.
    void initialState(services).then(() => envKeys.check());
    void openWalkthroughOnFirstRun(services).catch((e: unknown) => log?.warn('activation', `could not open the walkthrough: ${String(e)}`));

    const activateMs = performance.now() - t0;
    const moduleEvalMs = moduleEnd - bundleEvaluationStart;
    log.info('activation', `activated in ${activateMs.toFixed(1)} ms (+ ${moduleEvalMs.toFixed(1)} ms evaluating the bundle)`);
    return { services, playground, python, jsonl, localRuns, activation: { moduleEvalMs, activateMs } };
  } catch (e) {
    // VS Code shows nothing when activation throws; the user must learn MinT is not running.
    const msg = e instanceof Error ? e.message : String(e);
    log?.error('activation', `activation failed: ${msg}`);
    void vscode.window
      .showErrorMessage(
        `MinT could not start: ${msg}. Reload the window; if it persists, reinstall the extension and report this message.`,
        'Show Log',
      )
      .then((p) => {
        if (p) log?.show();
      });
    throw e;
  }
}

async function initialState(s: Services): Promise<void> {
  const server = s.clients.server();
  if (!server) {
    s.statusBar.setConnection('no server');
    return;
  }
  s.statusBar.setConnection(server.origin === 'emulator' ? 'emulator' : 'not checked');
  try {
    const key = await s.keys.resolve();
    s.statusBar.setServer(server, key?.source);
    if (!key && needsKey(server)) {
      s.statusBar.setConnection('no key');
      return;
    }
    if (key) s.log.addSecret(key.key);
  } catch (e) {
    s.presenter.present(e);
    return;
  }
  await quietCheck(s, server.origin === 'emulator' ? 'emulator' : 'connected');
}

/**
 * The state at first open, without a toast: one health check (one attempt, short timeout). Its
 * answer is shown only if nothing newer (a request the user made) has set the state meanwhile.
 */
async function quietCheck(s: Services, up: 'emulator' | 'connected'): Promise<void> {
  const asked = s.statusBar.connectionVersion;
  let state: 'emulator' | 'connected' | 'offline';
  try {
    const { client } = await s.clients.getClient();
    const health = await client.healthCheck({ timeoutMs: 5_000 });
    state = health.ok ? up : 'offline';
    s.log.info('server', `health check at start: ${health.status}`);
  } catch (e) {
    // Setup problems (no server, bad URL) are already shown by initialState; a refusal is "offline".
    const name = (e as Error)?.name ?? '';
    if (!/Connection|Timeout/.test(name)) return;
    state = 'offline';
    s.log.info('server', `health check at start: ${(e as Error).message}`);
  }
  if (s.statusBar.connectionVersion === asked) s.statusBar.setConnection(state);
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the emulator child and close the client.
}
