/**
 * The dataset linter for one JSONL document, kept up to date edit by edit.
 *
 * Each line's result (rules.ts) depends on that line alone, so an edit re-lints only the lines it
 * touched. What depends on the whole file is recomputed from the per-line results, cheaply:
 *  - the file's format: the majority shape among the first `formatSample` rows;
 *  - rows whose shape does not fit it (format-mismatch) or fits no format (missing-field);
 *  - duplicate ids: a count per id is kept as lines come and go, so removing a row can
 *    un-duplicate another; the first occurrence is found when findings are listed;
 *  - rows over the context: from lengths measured lazily (measureRange) or the estimate.
 * Positions are 0-based lines and UTF-16 characters, as in VS Code.
 */
import { FORMAT_LABELS, FORMAT_NEEDS, compatible, conversationsOf, isObj } from './formats';
import { ESTIMATE_LABEL, type LengthStats, lengthStats } from './lengths';
import { type OverlapBy, findOverlap, overlapKeyOf } from './overlap';
import { type LocalFinding, type RowLint, lintRow, valueRange } from './rules';
import type { Finding, FormatId, MeasureFn, Range, Severity, TextChange } from './types';

export interface LinterOptions {
  /** Tokens of a row with the model's tokenizer and chat template; called lazily by measureRange. */
  measure?: MeasureFn;
  /** What `measure` is, for messages (e.g. "Qwen/Qwen3-8B's tokenizer and chat template"). */
  measureLabel?: string;
  /** The chosen model's context window in tokens; rows longer than this get an over-context finding. */
  contextLength?: number;
  /** Findings kept per row (default 20); the rest are summed up in one finding. */
  maxFindingsPerRow?: number;
  /** Findings listed per file (default 10,000); the rest are summed up in one final finding. */
  maxFindings?: number;
  /** How many rows decide the file's format (default 200). */
  formatSample?: number;
  /** Skip detection and lint every row against this format. */
  format?: FormatId;
}

export interface FormatDetection {
  /** The detected (or forced) format; undefined when no row has a known shape. */
  format: FormatId | undefined;
  /** Plain-English name, with the fields used for prompt/target rows: "SFT prompt/target fields (instruction+input → output)". */
  label: string;
  /** Rows looked at (those with a known shape among the first formatSample rows) and how many had the detected format. */
  sampled: number;
  matching: number;
  /** Shapes seen among the sampled rows. */
  counts: Partial<Record<FormatId, number>>;
  forced: boolean;
}

export interface DatasetSummary {
  lines: number;
  /** Non-blank lines. */
  rows: number;
  /** Rows that are not JSON objects (syntax errors included). */
  invalidRows: number;
  format: FormatDetection;
  /** Findings by severity, before the per-file cap. */
  counts: Record<Severity, number>;
  /** Length distribution; `source` says whether it is the tokenizer's count or the estimate. */
  lengths: LengthStats | undefined;
  lengthLabel: string;
  /** With a measure: rows measured so far and rows still to measure. */
  measured: number;
  pendingMeasure: number;
  contextLength: number | undefined;
  overContext: number;
  /** The first (up to 50) lines over the context. */
  overContextLines: number[];
}

interface Row extends RowLint {
  /** Tokens from the MeasureFn: a number, null when it could not tell, undefined before measuring. */
  tokens?: number | null;
  idRange?: [number, number] | null;
  idEntry?: { count: number };
  overlap?: Partial<Record<OverlapBy, number | null>>;
}

const EOL = /\r\n|\r|\n/;

export class DatasetLinter {
  private lines: string[] = [''];
  private rows: Row[];
  /** One shared counter per id; each row with that id points at it, so listing findings reads no map. */
  private ids = new Map<string, { count: number }>();
  private opts: LinterOptions;
  private cache: { findings: Finding[]; counts: Record<Severity, number> } | undefined;
  private detection: FormatDetection | undefined;
  private summaryCache: DatasetSummary | undefined;

  constructor(opts: LinterOptions = {}) {
    this.opts = { ...opts };
    this.rows = [this.lint('')];
  }

  get lineCount(): number {
    return this.lines.length;
  }

  /** Lints a whole document, replacing what was there. */
  setText(text: string): void {
    this.lines = text.split(EOL);
    this.rows = this.lines.map((l) => this.lint(l));
    this.ids.clear();
    for (const r of this.rows) this.countId(r);
    this.invalidate(true);
  }

  /**
   * Applies VS Code content changes in order (each range refers to the text after the previous
   * ones, which holds for the events VS Code sends) and re-lints the lines they touched.
   * Returns all current findings.
   */
  update(changes: readonly TextChange[]): Finding[] {
    for (const ch of changes) {
      const { start, end } = ch.range;
      const first = this.lines[start.line] ?? '';
      const last = this.lines[end.line] ?? '';
      const merged = first.slice(0, start.character) + ch.text + last.slice(end.character);
      this.spliceLines(start.line, end.line - start.line + 1, merged.split(EOL));
    }
    return this.findings();
  }

  /** Replaces `deleteCount` lines from `start` with `newLines` and re-lints them. Returns all current findings. */
  replaceLines(start: number, deleteCount: number, newLines: readonly string[]): Finding[] {
    this.spliceLines(start, deleteCount, newLines);
    return this.findings();
  }

  private spliceLines(start: number, deleteCount: number, newLines: readonly string[]): void {
    const added = newLines.map((l) => this.lint(l));
    const removed = this.rows.splice(start, deleteCount, ...added);
    this.lines.splice(start, deleteCount, ...newLines);
    for (const r of removed) {
      if (r.id === undefined) continue;
      const entry = r.idEntry!;
      if (--entry.count === 0) this.ids.delete(r.id);
    }
    for (const r of added) this.countId(r);
    if (this.lines.length === 0) {
      this.lines = [''];
      this.rows = [this.lint('')];
    }
    // Detection reads the first rows with a known shape; it is cheap, so it is simply redone.
    this.invalidate(true);
  }

  private countId(r: Row): void {
    if (r.id === undefined) return;
    let entry = this.ids.get(r.id);
    if (!entry) this.ids.set(r.id, (entry = { count: 0 }));
    entry.count++;
    r.idEntry = entry;
  }

  private lint(line: string): Row {
    return lintRow(line, { maxFindingsPerRow: this.opts.maxFindingsPerRow ?? 20 });
  }

  private invalidate(detection: boolean): void {
    this.cache = undefined;
    this.summaryCache = undefined;
    if (detection) this.detection = undefined;
  }

  /** Changes the measure or the context; lengths measured before are forgotten when the measure changes. */
  setMeasure(measure: MeasureFn | undefined, contextLength: number | undefined, measureLabel?: string): void {
    if (measure !== this.opts.measure) for (const r of this.rows) delete r.tokens;
    this.opts.measure = measure;
    this.opts.contextLength = contextLength;
    this.opts.measureLabel = measureLabel;
    this.invalidate(false);
  }

  /** Forces a format (or, with undefined, goes back to detection). */
  setFormat(format: FormatId | undefined): void {
    this.opts.format = format;
    this.invalidate(true);
  }

  // ---- format ----

  format(): FormatDetection {
    if (this.detection) return this.detection;
    const sample = this.opts.formatSample ?? 200;
    const counts: Partial<Record<FormatId, number>> = {};
    const variants = new Map<string, number>();
    let sampled = 0;
    for (let i = 0; i < this.rows.length && sampled < sample; i++) {
      const r = this.rows[i]!;
      if (!r.shape) continue;
      sampled++;
      counts[r.shape] = (counts[r.shape] ?? 0) + 1;
    }
    let format = this.opts.format;
    if (!format) {
      let best = 0;
      for (const [f, n] of Object.entries(counts) as Array<[FormatId, number]>) {
        if (n > best) {
          best = n;
          format = f;
        }
      }
    }
    let label = format ? FORMAT_LABELS[format] : 'no known training format';
    if (format === 'sft-fields' || format === 'rl-math') {
      let seen = 0;
      for (let i = 0; i < this.rows.length && seen < sample; i++) {
        const r = this.rows[i]!;
        if (r.shape !== format || !r.variant) continue;
        seen++;
        variants.set(r.variant, (variants.get(r.variant) ?? 0) + 1);
      }
      const top = [...variants].sort((a, b) => b[1] - a[1])[0];
      if (top) label += ` (${top[0]})`;
    }
    this.detection = { format, label, sampled, matching: format ? (counts[format] ?? 0) : 0, counts, forced: !!this.opts.format };
    return this.detection;
  }

  // ---- findings ----

  /** All current findings, by line, capped at maxFindings (the last one then says how many more there are). */
  findings(): Finding[] {
    return this.assemble().findings;
  }

  private assemble(): { findings: Finding[]; counts: Record<Severity, number> } {
    if (this.cache) return this.cache;
    const det = this.format();
    const max = this.opts.maxFindings ?? 10_000;
    const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
    const out: Finding[] = [];
    let omitted = 0;
    let firstOmittedLine = -1;
    const firstLineOfId = new Map<string, number>();
    const ctx = this.opts.contextLength;
    const push = (f: Finding) => {
      counts[f.severity]++;
      if (out.length < max) out.push(f);
      else {
        if (omitted === 0) firstOmittedLine = f.line;
        omitted++;
      }
    };
    for (let line = 0; line < this.rows.length; line++) {
      const r = this.rows[line]!;
      if (r.kind === 'blank') continue;
      for (const f of r.findings) push(materialise(f, line));
      if (r.kind !== 'row') continue;
      // Format of the file.
      if (det.format) {
        if (r.shape && !compatible(r.shape, det.format)) {
          push({
            rule: 'format-mismatch',
            severity: 'error',
            message: `This row is ${FORMAT_LABELS[r.shape]}, but the file is ${det.label} (${det.matching} of the first ${det.sampled} rows). A trainer reads one format per file: convert this row, or move it to a file of its own.`,
            line,
            range: span(line, r.rowStart, r.rowEnd),
          });
        } else if (!r.shape) {
          push({
            rule: 'missing-field',
            severity: 'error',
            message: `This row has none of the fields of ${det.label}, which needs ${FORMAT_NEEDS[det.format]}; it has ${describeKeys(r.keys)}.${r.hint ? ` ${r.hint}` : ''}`,
            line,
            range: span(line, r.rowStart, r.rowEnd),
          });
        }
      } else if (!r.shape && !det.forced) {
        push({
          rule: 'unknown-format',
          severity: 'warning',
          message: `No known training format: ${r.hint ?? `this row has ${describeKeys(r.keys)}`}. MinT trainers read messages (SFT chat), prompt/target fields (SFT), chosen/rejected or comparison rows (DPO), or question/answer (RL).`,
          line,
          range: span(line, r.rowStart, r.rowEnd),
        });
      }
      // Duplicate ids.
      if (r.idEntry && r.idEntry.count > 1) {
        const id = r.id!;
        const first = firstLineOfId.get(id);
        if (first === undefined) firstLineOfId.set(id, line);
        else {
          if (r.idRange === undefined) r.idRange = valueRange(this.lines[line]!, r.idKey!) ?? null;
          const [s, e] = r.idRange ?? [r.rowStart, r.rowEnd];
          push({
            rule: 'duplicate-id',
            severity: 'error',
            message: `${r.idKey} ${JSON.stringify(id)} is already used on line ${first + 1}. Trainers key rows by id (the mint scaffolds require unique example ids; eval results are joined on them): give this row its own id, or remove the duplicate.`,
            line,
            range: span(line, s, e),
            path: r.idKey!,
          });
        }
      }
      // Length over the context.
      if (ctx !== undefined) {
        const measured = this.opts.measure ? r.tokens : r.est;
        if (typeof measured === 'number' && measured > ctx) {
          const how = this.opts.measure
            ? `with ${this.opts.measureLabel ?? "the model's tokenizer and chat template"}`
            : `(${ESTIMATE_LABEL})`;
          push({
            rule: 'over-context',
            severity: 'warning',
            message: `This row is ${this.opts.measure ? '' : 'about '}${measured.toLocaleString('en-US')} tokens ${how}, over the model's ${ctx.toLocaleString('en-US')}-token context: training truncates or rejects it. Shorten or split it, or drop it.`,
            line,
            range: span(line, r.rowStart, r.rowEnd),
          });
        }
      }
      if (r.dropped > 0) {
        push({
          rule: 'too-many-findings',
          severity: 'info',
          message: `${r.dropped} more finding${r.dropped === 1 ? '' : 's'} on this row ${r.dropped === 1 ? 'is' : 'are'} not shown; fix the ones above first.`,
          line,
          range: span(line, r.rowStart, r.rowEnd),
        });
      }
    }
    if (omitted > 0) {
      out.push({
        rule: 'too-many-findings',
        severity: 'info',
        message: `${omitted.toLocaleString('en-US')} more findings from line ${firstOmittedLine + 1} on are not shown (the first ${max.toLocaleString('en-US')} are). Fix those, or check the file's format.`,
        line: firstOmittedLine,
        range: span(firstOmittedLine, 0, 0),
      });
    }
    this.cache = { findings: out, counts };
    return this.cache;
  }

  // ---- lengths ----

  /**
   * Measures rows in lines [from, to) that have not been measured yet with the MeasureFn (a row is
   * re-measured after it is edited). Returns how many it measured. Call it in chunks from an idle
   * loop or a worker: the measure (a tokenizer) is the slow part.
   */
  measureRange(from = 0, to = this.rows.length): number {
    const measure = this.opts.measure;
    if (!measure) return 0;
    let n = 0;
    const end = Math.min(to, this.rows.length);
    for (let line = Math.max(0, from); line < end; line++) {
      const r = this.rows[line]!;
      if (r.kind !== 'row' || !r.shape || r.tokens !== undefined) continue;
      const value = JSON.parse(this.lines[line]!) as unknown;
      let tokens: number | undefined;
      try {
        tokens = isObj(value) ? measure({ line, value, shape: r.shape, conversations: conversationsOf(value, r.shape) }) : undefined;
      } catch {
        tokens = undefined;
      }
      r.tokens = tokens ?? null;
      n++;
    }
    if (n) this.invalidate(false);
    return n;
  }

  /** Rows that still wait for measureRange. */
  pendingMeasure(): number {
    if (!this.opts.measure) return 0;
    let n = 0;
    for (const r of this.rows) if (r.kind === 'row' && r.shape && r.tokens === undefined) n++;
    return n;
  }

  /**
   * Measures every pending row, working for about `budgetMs` (default 10 ms) at a time and awaiting
   * `yieldFn` (default: setImmediate) in between, so the caller's event loop keeps running. Rows
   * edited meanwhile are measured too; stops when none is left or `signal` aborts. Returns rows measured.
   */
  async measureAll(opts: { budgetMs?: number; yieldFn?: () => Promise<void>; signal?: AbortSignal } = {}): Promise<number> {
    if (!this.opts.measure) return 0;
    const budget = opts.budgetMs ?? 10;
    const pause = opts.yieldFn ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
    let total = 0;
    let line = 0;
    for (;;) {
      if (opts.signal?.aborted) break;
      const t0 = performance.now();
      while (line < this.rows.length && performance.now() - t0 < budget) total += this.measureRange(line, ++line);
      if (line >= this.rows.length) {
        if (this.pendingMeasure() === 0) break;
        line = 0; // rows were edited while we waited
      }
      await pause();
    }
    return total;
  }

  /** Tokens of one line's row: measured, else estimated, else undefined. */
  rowInfo(line: number): { shape?: FormatId; variant?: string; id?: string; tokens?: number; estimated: boolean } | undefined {
    const r = this.rows[line];
    if (!r || r.kind !== 'row') return undefined;
    const tokens = typeof r.tokens === 'number' ? r.tokens : r.est;
    return {
      ...(r.shape ? { shape: r.shape } : {}),
      ...(r.variant ? { variant: r.variant } : {}),
      ...(r.id !== undefined ? { id: r.id } : {}),
      ...(tokens !== undefined ? { tokens } : {}),
      estimated: typeof r.tokens !== 'number',
    };
  }

  /** Rows, format, findings by severity, the length distribution and the rows over the context; cached until the next change. */
  summary(): DatasetSummary {
    if (this.summaryCache) return this.summaryCache;
    const { counts } = this.assemble();
    const det = this.format();
    let rows = 0;
    let invalid = 0;
    const values: number[] = [];
    const useMeasure = !!this.opts.measure;
    let measured = 0;
    let pending = 0;
    let over = 0;
    const overLines: number[] = [];
    const ctx = this.opts.contextLength;
    for (let line = 0; line < this.rows.length; line++) {
      const r = this.rows[line]!;
      if (r.kind === 'blank') continue;
      rows++;
      if (r.kind === 'invalid') {
        invalid++;
        continue;
      }
      if (!r.shape) continue;
      let v: number | undefined;
      if (useMeasure) {
        if (r.tokens === undefined) pending++;
        else measured++;
        v = typeof r.tokens === 'number' ? r.tokens : undefined;
      } else v = r.est;
      if (v === undefined) continue;
      values.push(v);
      if (ctx !== undefined && v > ctx) {
        over++;
        if (overLines.length < 50) overLines.push(line);
      }
    }
    const source = useMeasure ? 'tokenizer' : 'estimate';
    this.summaryCache = {
      lines: this.lines.length,
      rows,
      invalidRows: invalid,
      format: det,
      counts,
      lengths: lengthStats(values, source),
      lengthLabel: useMeasure ? (this.opts.measureLabel ?? "the model's tokenizer and chat template") : ESTIMATE_LABEL,
      measured,
      pendingMeasure: pending,
      contextLength: ctx,
      overContext: over,
      overContextLines: overLines,
    };
    return this.summaryCache;
  }

  // ---- overlap ----

  /** Hash of each row's normalised text (see overlap.ts) → its lines; computed lazily, kept per row until edited. */
  overlapIndex(by: OverlapBy = 'conversation'): Map<number, number[]> {
    const index = new Map<number, number[]>();
    for (let line = 0; line < this.rows.length; line++) {
      const r = this.rows[line]!;
      if (r.kind !== 'row' || !r.shape) continue;
      r.overlap ??= {};
      let key = r.overlap[by];
      if (key === undefined) {
        const value = JSON.parse(this.lines[line]!) as unknown;
        key = isObj(value) ? (overlapKeyOf(value, r.shape, by) ?? null) : null;
        r.overlap[by] = key;
      }
      if (key === null) continue;
      const at = index.get(key);
      if (at) at.push(line);
      else index.set(key, [line]);
    }
    return index;
  }

  /**
   * Train/eval overlap as findings on this file's rows: each row whose normalised text also occurs
   * in `other` (an index from another linter's overlapIndex, or overlapIndexOfText for a file that
   * is not open). `otherName` names that file in the message. At most `limit` findings (default 1,000).
   */
  overlapFindings(other: ReadonlyMap<number, number[]>, otherName: string, by: OverlapBy = 'conversation', limit = 1000): Finding[] {
    const out: Finding[] = [];
    const what = by === 'prompt' ? 'the same user text' : 'the same user and assistant text';
    for (const hit of findOverlap(other, this.overlapIndex(by))) {
      const where = `${otherName} line${hit.aLines.length > 1 ? 's' : ''} ${hit.aLines
        .slice(0, 3)
        .map((l) => l + 1)
        .join(', ')}${hit.aLines.length > 3 ? ', …' : ''}`;
      for (const line of hit.bLines) {
        if (out.length >= limit) return out;
        out.push({
          rule: 'train-eval-overlap',
          severity: 'warning',
          message: `This row also appears in ${where} (${what}, whitespace aside): evaluating on rows the model trained on measures memory, not skill. Remove it from one of the files.`,
          line,
          range: this.rowRange(line)!,
        });
      }
    }
    return out;
  }

  /** The text of a line, as the linter holds it. */
  lineText(line: number): string | undefined {
    return this.lines[line];
  }

  /** Range of a whole row (whitespace excluded), for findings computed outside (e.g. overlap). */
  rowRange(line: number): Range | undefined {
    const r = this.rows[line];
    return r && r.kind !== 'blank' ? span(line, r.rowStart, r.rowEnd) : undefined;
  }
}

function span(line: number, start: number, end: number): Range {
  return { start: { line, character: start }, end: { line, character: end } };
}

function materialise(f: LocalFinding, line: number): Finding {
  const out: Finding = { rule: f.rule, severity: f.severity, message: f.message, line, range: span(line, f.start, f.end) };
  if (f.path) out.path = f.path;
  if (f.fix) out.fix = { title: f.fix.title, edits: f.fix.edits.map((e) => ({ range: span(line, e.start, e.end), newText: e.newText })) };
  return out;
}

function describeKeys(keys: readonly string[] | undefined): string {
  if (!keys || keys.length === 0) return 'no fields';
  const shown = keys.slice(0, 6).map((k) => `\`${k}\``);
  return `${keys.length === 1 ? 'only ' : ''}${shown.join(', ')}${keys.length > 6 ? `, … (${keys.length} fields)` : ''}`;
}

/** Lints a whole document at once. */
export function lintText(text: string, opts: LinterOptions = {}): { findings: Finding[]; summary: DatasetSummary; linter: DatasetLinter } {
  const linter = new DatasetLinter(opts);
  linter.setText(text);
  return { findings: linter.findings(), summary: linter.summary(), linter };
}
