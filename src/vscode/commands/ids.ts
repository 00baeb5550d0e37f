/**
 * Every command id the extension registers, in one list with no `vscode` import, so a unit test
 * can hold it against package.json and the compiler can hold the command table against it.
 */
export const CONTRIBUTED_COMMANDS = [
  'mint.openPlayground',
  'mint.openPlaygroundInEditor',
  'mint.setHuggingFaceToken',
  'mint.setApiKey',
  'mint.clearApiKey',
  'mint.selectServer',
  'mint.checkConnection',
  'mint.showModels',
  'mint.sampleSelection',
  'mint.copyLastRequestId',
  'mint.retryLastFailed',
  'mint.showLog',
  'mint.openWalkthrough',
  'mint.startEmulator',
  'mint.stopEmulator',
  'mint.showLastError',
  'mint.storeKeyFromEnv',
  'mint.copyRequestId',
  'mint.retryDiagnostic',
  'mint.runs.refresh',
  'mint.runs.copyRunId',
  'mint.runs.copyPath',
  'mint.runs.sampleCheckpoint',
  'mint.runs.deleteCheckpoint',
  'mint.runPythonFile',
  'mint.explainError',
  'mint.batch.runAll',
  'mint.batch.runRemaining',
  'mint.batch.cancel',
  'mint.batch.configure',
  'mint.batch.compare',
  'mint.openRunDashboard',
  'mint.localRuns.refresh',
  'mint.localRuns.sampleCheckpoint',
  'mint.fineTune',
  'mint.fineTune.cancel',
  'mint.openSharedRun',
] as const;

/** Registered but not contributed: only a tree item's click runs them, never a person by name. */
export const INTERNAL_COMMANDS = ['mint.runs.loadMore', 'mint.batch.sampleRow'] as const;

export type CommandId = (typeof CONTRIBUTED_COMMANDS)[number] | (typeof INTERNAL_COMMANDS)[number];
