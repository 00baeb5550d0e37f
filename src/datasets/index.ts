/**
 * The dataset linter's core, for the editor side to wire up: no `vscode` import, no tokenizer.
 * templateLength.ts (the MeasureFn built on the playground's tokenizer) is imported separately so
 * that loading the linter does not load @huggingface/jinja.
 */
export type * from './types';
export { DatasetLinter, lintText, type DatasetSummary, type FormatDetection, type LinterOptions } from './linter';
export { FORMAT_LABELS, classifyRow, conversationsOf } from './formats';
export { ESTIMATE_LABEL, estimateTokens, lengthStats, type LengthStats } from './lengths';
export { findOverlap, hash53, overlapIndexOfText, overlapText, type OverlapBy, type OverlapHit } from './overlap';
export { RULES } from './ruleList';
export { summaryLines } from './summaryText';
