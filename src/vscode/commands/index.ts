import * as vscode from 'vscode';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';
import type { RunsView } from '../trees';
import type { PythonRuns } from '../pythonRuns';
import type { Batch } from '../batch/register';
import type { LocalRuns } from '../dashboard';
import type { FineTuneCommands } from '../fineTune';
import { batchCommand } from './batch';
import { clearApiKey, setApiKey } from './apiKey';
import { startLocalEmulator, stopLocalEmulator } from './emulator';
import type { CommandId } from './ids';
import { openPlayground, openPlaygroundInEditor, openSharedRun, setHuggingFaceToken } from './playground';
import { openWalkthrough } from './walkthrough';
import { copyLastRequestId, copyRequestId } from './requests';
import { copyCheckpointPath, copyRunId, deleteCheckpoint, sampleCheckpoint } from './runs';
import { sampleSelection } from './sampleSelection';

export interface CommandDeps {
  detectEnvKey: () => Promise<void>;
  playground: () => Promise<PlaygroundSession>;
  runs: RunsView;
  python: PythonRuns;
  batch: () => Promise<Batch>;
  localRuns: LocalRuns;
  fineTune: () => Promise<FineTuneCommands>;
}

/**
 * Every command of the extension, in one table (its keys are exactly ./ids.ts, which a test holds
 * against package.json), registered at activation whatever the server's state: a command that
 * cannot work yet explains why (through the presenter) instead of being missing or failing silently.
 */
export function registerCommands(s: Services, deps: CommandDeps): vscode.Disposable[] {
  const { playground, runs } = deps;
  const table: Record<CommandId, (...args: unknown[]) => unknown> = {
    'mint.openPlayground': () => openPlayground(),
    'mint.openPlaygroundInEditor': () => openPlaygroundInEditor(s, playground),
    'mint.setHuggingFaceToken': () => setHuggingFaceToken(playground),
    'mint.setApiKey': () => setApiKey(s),
    'mint.clearApiKey': () => clearApiKey(s),
    // Loaded when first run (they throw no error class of their own, so a lazy copy of what they import is harmless).
    'mint.selectServer': async () => (await import('./server')).selectServer(s),
    'mint.checkConnection': async () => (await import('./server')).checkConnection(s),
    'mint.showModels': async () => (await import('./server')).showModels(s),
    'mint.sampleSelection': () => sampleSelection(s),
    'mint.copyLastRequestId': () => copyLastRequestId(s),
    'mint.copyRequestId': (id) => copyRequestId(s, id),
    'mint.retryLastFailed': () => s.operations.retryLastFailed(),
    'mint.retryDiagnostic': (uri, key) => {
      if (typeof uri === 'string' && typeof key === 'string') s.diagnostics.retry(uri, key);
    },
    'mint.showLastError': () => s.presenter.showLastFailure(),
    'mint.showLog': () => s.log.show(),
    'mint.openWalkthrough': () => openWalkthrough(s),
    'mint.startEmulator': () => startLocalEmulator(s),
    'mint.stopEmulator': () => stopLocalEmulator(s),
    'mint.storeKeyFromEnv': () => deps.detectEnvKey(),
    'mint.runs.refresh': () => runs.provider.refresh(),
    'mint.runs.loadMore': () => runs.provider.loadMore(),
    'mint.runs.copyRunId': (arg) => copyRunId(runs, arg),
    'mint.runs.copyPath': (arg) => copyCheckpointPath(runs, arg),
    'mint.runs.sampleCheckpoint': (arg) => sampleCheckpoint(runs, playground, arg),
    'mint.runs.deleteCheckpoint': (arg) => deleteCheckpoint(s, runs, arg),
    'mint.runPythonFile': async (arg) => (await import('../pythonRuns/task')).runPythonFile(await deps.python.tasks(), arg),
    'mint.explainError': async (cls, id, text) => (await import('../pythonRuns/explain')).explainError(s, cls, id, text),
    'mint.batch.runAll': async (uri, opts) => batchCommand(await deps.batch(), uri, (c, u) => c.runAll(u, opts)),
    'mint.batch.runRemaining': async (uri, opts) => batchCommand(await deps.batch(), uri, (c, u) => c.runRemaining(u, opts)),
    'mint.batch.cancel': async (uri) => batchCommand(await deps.batch(), uri, (c, u) => c.cancel(u)),
    'mint.batch.configure': async (uri, value) =>
      batchCommand(await deps.batch(), uri, (c, u) => (value ? c.configure(u, value) : c.pickConfig(u))),
    'mint.batch.compare': async (uri, a, b) => batchCommand(await deps.batch(), uri, (c, u) => c.compare(u, a, b)),
    'mint.fineTune': async (uri, args) => {
      const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      if (!target || !/\.jsonl$/i.test(target.path)) {
        void vscode.window.showInformationMessage('MinT: open a chat-SFT dataset (.jsonl with "messages") to fine-tune on it.');
        return undefined;
      }
      return (await deps.fineTune()).run(target, args);
    },
    'mint.fineTune.cancel': async (uri) => (uri instanceof vscode.Uri ? (await deps.fineTune()).cancel(uri) : false),
    'mint.openSharedRun': (arg) => openSharedRun(playground, arg),
    'mint.openRunDashboard': (arg) => deps.localRuns.open(arg),
    'mint.localRuns.refresh': () => deps.localRuns.refresh(),
    'mint.localRuns.sampleCheckpoint': (arg) => deps.localRuns.sampleCheckpoint(arg),
    'mint.batch.sampleRow': async (uri, line) =>
      batchCommand(await deps.batch(), uri, (c, u) => (typeof line === 'number' ? c.sampleRow(u, line) : undefined)),
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
