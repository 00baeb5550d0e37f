/**
 * Fine-tune a chat-SFT JSONL dataset on MinT (no `vscode` import): validate the file, turn rows
 * into weighted token datums, and train step by step into a tinker-cookbook run folder,
 * resumable after a cancel, a reload or a failure. The editor command wires these up.
 */
export {
  FINE_TUNE_DEFAULTS,
  FineTuneConfigError,
  learningRateAt,
  resolveFineTuneConfig,
  type FineTuneConfig,
  type LrSchedule,
  type ResolvedFineTuneConfig,
  type TrainOn,
} from './config';
export {
  BatchPlan,
  RowNotTrainableError,
  evalCount,
  prepareExamples,
  prepareRow,
  renderExample,
  rowToMessages,
  rowsSha256,
  splitRows,
  toDatum,
  type ChatTokenizer,
  type Example,
  type PrepareStats,
  type RenderedExample,
} from './data';
export {
  RUN_FILES,
  RunFolder,
  RunFolderBusyError,
  finalMetricsView,
  parseJsonLines,
  readRunFolder,
  type CheckpointRow,
  type MetricsRow,
  type ResumeRecord,
  type RunError,
  type RunFile,
  type RunStatus,
} from './runFolder';
export {
  FineTuneDataError,
  FineTuneResumeMismatchError,
  fineTune,
  meanNll,
  publicServerUrl,
  type FineTuneOptions,
  type FineTuneProgress,
  type FineTunePhase,
  type FineTuneResult,
  type FineTuneService,
  type FineTuneTrainingClient,
} from './train';
export { validateForFineTune, validateForFineTuneAsync, type FineTuneValidation, type FineTuneValidationOptions } from './validate';
