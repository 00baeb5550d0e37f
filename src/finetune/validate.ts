/**
 * The check made before a fine-tune starts: the dataset linter's rules (src/datasets) plus what
 * would make the run fail on MinT or train on nothing. It refuses, saying why, rather than let a
 * run die at step 40: a file that is not SFT, any error finding (the first few named by line),
 * no row with an assistant turn to learn from, rows over the model's context, rows this path
 * cannot train yet (tool calls, images), or fewer trainable rows than one batch.
 */
import { createHash } from 'node:crypto';
import { FORMAT_LABELS, classifyRow, conversationsOf, isObj } from '../datasets/formats';
import { ESTIMATE_LABEL } from '../datasets/lengths';
import { type DatasetLinter, lintText } from '../datasets/linter';
import { measureWithTemplate, type TemplateTokenizer } from '../datasets/templateLength';
import type { FormatId, MeasureFn } from '../datasets/types';
import { evalCount } from './data';

export interface FineTuneValidationOptions {
  /** The model's context window in tokens; rows longer than it are refused. */
  contextLength?: number;
  /** Measure rows with this tokenizer's chat template (else the linter's estimate is used). */
  tokenizer?: TemplateTokenizer;
  /** Or an explicit measure (wins over `tokenizer`), with a label for messages. */
  measure?: MeasureFn;
  measureLabel?: string;
  /** Rows per step and the eval split the run will use: fewer trainable rows than one batch is refused (defaults 8 and 0). */
  batchSize?: number;
  evalSplit?: number;
  /** How many findings or lines to name in one problem (default 5). */
  maxListed?: number;
}

export interface FineTuneValidation {
  ok: boolean;
  /** Why the file is refused, one sentence each; empty when ok. */
  problems: string[];
  /** Worth saying but not refused (rows without a target, warnings from the linter). */
  warnings: string[];
  /** The parsed rows (JSON objects), blank lines left out, in file order. */
  rows: unknown[];
  /** The 0-based line of each row. */
  lines: number[];
  format: FormatId | undefined;
  formatLabel: string;
  /** Rows with an assistant turn that has text to learn from. */
  trainableRows: number;
  /** sha256 of the text as given (UTF-8), for config.json. */
  sha256: string;
}

const SFT: ReadonlySet<FormatId> = new Set(['sft-messages', 'sft-fields']);

function listLines(lines: readonly number[], max: number): string {
  const shown = lines.slice(0, max).map((l) => l + 1);
  return `${lines.length === 1 ? 'line' : 'lines'} ${shown.join(', ')}${lines.length > max ? `, … (${lines.length} in all)` : ''}`;
}

/** Why a row cannot be trained by this path even though the linter accepts it, if so. */
function unsupported(row: Record<string, unknown>): string | undefined {
  if (row.tools !== undefined) return 'tool definitions (`tools`)';
  if (!Array.isArray(row.messages)) return undefined;
  for (const m of row.messages) {
    if (!isObj(m)) continue;
    if (m.tool_calls !== undefined && m.tool_calls !== null) return 'tool calls (`tool_calls`)';
    if (Array.isArray(m.content) && m.content.some((p) => isObj(p) && p.type !== 'text' && p.type !== 'thinking')) {
      return 'non-text content parts (images, audio)';
    }
  }
  return undefined;
}

function lint(
  text: string,
  opts: FineTuneValidationOptions,
): { linter: DatasetLinter; measured: boolean; measureLabel: string | undefined } {
  const measure = opts.measure ?? (opts.tokenizer ? measureWithTemplate(opts.tokenizer) : undefined);
  const measureLabel = opts.measureLabel ?? (opts.tokenizer ? "the model's tokenizer and chat template" : undefined);
  const { linter } = lintText(text, {
    ...(opts.contextLength !== undefined ? { contextLength: opts.contextLength } : {}),
    ...(measure ? { measure } : {}),
    ...(measureLabel ? { measureLabel } : {}),
  });
  return { linter, measured: !!measure, measureLabel };
}

/**
 * Checks `text` (a JSONL file) for fine-tuning; see the module comment. With a tokenizer, every row
 * is measured with the chat template here and now (about 0.1 ms a row); for large files in an
 * editor, validateForFineTuneAsync measures in slices instead.
 */
export function validateForFineTune(text: string, opts: FineTuneValidationOptions = {}): FineTuneValidation {
  const l = lint(text, opts);
  if (l.measured) l.linter.measureRange();
  return check(text, l.linter, l.measured, l.measureLabel, opts);
}

/** validateForFineTune, measuring rows in ~10 ms slices so the host stays responsive; stops with the signal. */
export async function validateForFineTuneAsync(
  text: string,
  opts: FineTuneValidationOptions & { signal?: AbortSignal } = {},
): Promise<FineTuneValidation> {
  const l = lint(text, opts);
  if (l.measured) {
    await l.linter.measureAll(opts.signal ? { signal: opts.signal } : {});
    opts.signal?.throwIfAborted();
  }
  return check(text, l.linter, l.measured, l.measureLabel, opts);
}

function check(
  text: string,
  linter: DatasetLinter,
  measure: boolean,
  measureLabel: string | undefined,
  opts: FineTuneValidationOptions,
): FineTuneValidation {
  const max = opts.maxListed ?? 5;
  const findings = linter.findings();
  const summary = linter.summary();
  const det = summary.format;
  const problems: string[] = [];
  const warnings: string[] = [];
  const sha256 = createHash('sha256').update(text, 'utf8').digest('hex');

  if (summary.rows === 0) problems.push('The file has no rows: add one JSON object per line.');
  else if (!det.format) {
    problems.push(
      'No row has a training format MinT fine-tuning reads: SFT needs `messages` [{role, content}] or a prompt field with a target field (prompt/completion, instruction/output, …).',
    );
  } else if (!SFT.has(det.format)) {
    const what = det.format === 'rl-math' ? 'RL math rows (question, answer)' : FORMAT_LABELS[det.format];
    problems.push(
      `This file is ${what}, not supervised fine-tuning data: fine-tuning trains on chat \`messages\` or prompt/target rows.${
        det.format.startsWith('dpo-') ? ' Train preference pairs with a DPO recipe (tinker-cookbook) instead.' : ''
      }`,
    );
  }

  const errors = findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    problems.push(
      `The dataset linter found ${errors.length} error${errors.length === 1 ? '' : 's'} that would fail or mistrain on MinT; fix ${errors.length === 1 ? 'it' : 'them'} first.`,
    );
    for (const f of errors.slice(0, max)) problems.push(`Line ${f.line + 1}: ${f.message}`);
    if (errors.length > max)
      problems.push(`… and ${errors.length - max} more error${errors.length - max === 1 ? '' : 's'} (the Problems panel lists them all).`);
  }
  const warned = findings.filter((f) => f.severity === 'warning' && f.rule !== 'over-context');
  if (warned.length > 0)
    warnings.push(
      `${warned.length} linter warning${warned.length === 1 ? '' : 's'}, first on line ${warned[0]!.line + 1}: ${warned[0]!.message}`,
    );

  // Rows, targets, and what this path cannot train.
  const rows: unknown[] = [];
  const lines: number[] = [];
  const noTarget: number[] = [];
  const unsupportedLines = new Map<string, number[]>();
  let trainable = 0;
  for (let line = 0; line < linter.lineCount; line++) {
    const src = linter.lineText(line) ?? '';
    if (!src.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(src);
    } catch {
      continue; // reported by the linter as json-syntax
    }
    rows.push(value);
    lines.push(line);
    if (!isObj(value)) continue;
    const shape = classifyRow(value)?.shape;
    if (!shape || !SFT.has(shape)) continue;
    const why = unsupported(value);
    if (why) {
      const l = unsupportedLines.get(why) ?? [];
      l.push(line);
      unsupportedLines.set(why, l);
    }
    const conv = conversationsOf(value, shape)[0];
    const hasTarget = !!conv?.messages.some((m) => m.role === 'assistant' && (m.content.trim() !== '' || !!m.reasoning?.trim()));
    if (hasTarget && !why) trainable++;
    else if (!hasTarget) noTarget.push(line);
  }
  for (const [why, l] of unsupportedLines) {
    problems.push(
      `Fine-tuning from the editor cannot train rows with ${why} yet (${listLines(l, max)}): remove them, or train this file with tinker-cookbook.`,
    );
  }
  if (det.format && SFT.has(det.format) && rows.length > 0) {
    if (trainable === 0 && unsupportedLines.size === 0) {
      problems.push(
        'No row has an assistant turn with text to learn from: SFT trains on the assistant replies (role "assistant", or a target field such as completion/output).',
      );
    } else if (noTarget.length > 0) {
      warnings.push(
        `${noTarget.length} row${noTarget.length === 1 ? ' has' : 's have'} no assistant reply and will be skipped (${listLines(noTarget, max)}).`,
      );
    }
  }

  // Length over the context: measured when a tokenizer was given, else the linter's estimate.
  if (opts.contextLength !== undefined && summary.overContext > 0) {
    const how = measure ? `with ${measureLabel ?? "the model's tokenizer"}` : `(${ESTIMATE_LABEL})`;
    problems.push(
      `${summary.overContext} row${summary.overContext === 1 ? ' is' : 's are'} longer than the model's ${opts.contextLength.toLocaleString('en-US')}-token context ${how}: ${listLines(summary.overContextLines, max)}. MinT rejects them; shorten, split or drop them.`,
    );
  }

  // Enough rows for one step.
  const batchSize = opts.batchSize ?? 8;
  const held = evalCount(trainable, opts.evalSplit ?? 0);
  if (trainable > 0 && trainable - held < batchSize) {
    problems.push(
      `Only ${trainable - held} trainable row${trainable - held === 1 ? '' : 's'}${held ? ` after holding out ${held} for eval` : ''}, fewer than one batch of ${batchSize}: lower the batch size${held ? ' or the eval split' : ''}, or add rows.`,
    );
  }

  return {
    ok: problems.length === 0,
    problems,
    warnings,
    rows,
    lines,
    format: det.format,
    formatLabel: det.label,
    trainableRows: trainable,
    sha256,
  };
}
