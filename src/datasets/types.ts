/**
 * Shapes shared by the dataset linter. Positions follow VS Code: 0-based lines, and characters
 * counted in UTF-16 code units (a JS string index), so the editor side can build Ranges as they are.
 * Nothing here imports `vscode`.
 */

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'info';

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
}

export interface Finding {
  /** A rule id from RULES (MinT's glm52_sft validator vocabulary where one fits). */
  rule: RuleId;
  severity: Severity;
  /** What is wrong and what to do about it, in plain English. */
  message: string;
  /** The row's line (0-based). Every finding sits on one line: a JSONL row is a line. */
  line: number;
  range: Range;
  /** The JSON path of the value the finding is about, e.g. `messages[2].role`. */
  path?: string;
  /** A mechanical Quick Fix, when there is one. */
  fix?: Fix;
}

/** A VS Code-like content change: replace `range` (in the text before this change) by `text`. */
export interface TextChange {
  range: Range;
  text: string;
}

/** The training formats the linter recognises (mint-workflows.md §2.6). */
export type FormatId = 'sft-messages' | 'sft-fields' | 'dpo-messages' | 'dpo-prompt' | 'dpo-completions' | 'dpo-comparison' | 'rl-math';

export type RuleId =
  | 'json-syntax'
  | 'row-shape'
  | 'unknown-format'
  | 'format-mismatch'
  | 'missing-field'
  | 'unknown-field'
  | 'content-shape'
  | 'empty-role'
  | 'unknown-role'
  | 'empty-content'
  | 'no-assistant'
  | 'shadowed-field'
  | 'label-value'
  | 'same-chosen-rejected'
  | 'duplicate-id'
  | 'reasoning-source'
  | 'stray-think-close'
  | 'leftover-empty-answer'
  | 'literal-think-tags'
  | 'protocol-injection'
  | 'thinking-role'
  | 'content-part-type'
  | 'tool-call-shape'
  | 'tool-output-shape'
  | 'tool-reference-shape'
  | 'tools-shape'
  | 'invalid-utf8'
  | 'over-context'
  | 'train-eval-overlap'
  | 'too-many-findings';

/** One conversation as the renderer sees it: the prompt turns, then one completion (chosen, rejected, …). */
export interface LintMessage {
  role: string;
  /** Visible text; non-text parts (images, audio) contribute nothing here. */
  content: string;
  /** Reasoning from `reasoning_content`, thinking parts or an inline `<think>` block, if any. */
  reasoning?: string;
}

export interface Conversation {
  messages: LintMessage[];
  /** True when the conversation ends with a prompt for the model to answer (RL rows, prompts alone). */
  addGenerationPrompt: boolean;
}

/** What a length measure gets for one row: the parsed JSON, the row's own shape, and its renderings. */
export interface RowForMeasure {
  line: number;
  value: unknown;
  shape: FormatId;
  /** Every conversation this row trains on (DPO rows: chosen and rejected); the row's length is the longest. */
  conversations: Conversation[];
}

/** Tokens of a row as the model will see it, or undefined when it cannot be told. Called lazily. */
export type MeasureFn = (row: RowForMeasure) => number | undefined;
