/**
 * Batch sampling over a prompt file: Run all / Run remaining / Cancel / one row, against the
 * target and parameters chosen once per file. Every row goes through the one client and
 * Operations (status bar, queue state, retries), renders like the playground (same tokenizers
 * and chat templates), and ends with a line in `<name>.results.jsonl`: its output or its error
 * with class, message and request id. A failed row is also a diagnostic on that row, through the
 * presenter's words, with Copy request_id and Retry row.
 */
import * as vscode from 'vscode';
import { parsePromptFile, resultsPathFor, type PromptFile, type PromptRow } from '../../batch/promptFile';
import { ResultsFile, type ResultRecord } from '../../batch/results';
import { runBatch, type BatchSummary } from '../../batch/runner';
import { DEFAULT_PARAMS, ParamsSchema, TargetSchema, targetLabel, type Outcome, type Params, type Target } from '../../shared/playground';
import type { PlaygroundSession } from '../playground/session';
import { sampleTarget } from '../playground/sampler';
import type { Services } from '../services';

export interface BatchConfig {
  target: Target;
  params: Params;
}

interface FileRun {
  abort: AbortController;
  done: Promise<BatchSummary | undefined>;
}

const CONFIG_KEY = 'mint.batch.config';
const COMPARE_SCHEME = 'mint-batch-compare';
export const BATCH_GROUP = (uri: vscode.Uri) => `batch:${uri.toString()}`;

export class BatchController implements vscode.Disposable {
  private readonly running = new Map<string, FileRun>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a file's results change (lenses, hovers and decorations refresh). */
  readonly onDidChange = this.changed.event;
  private readonly decoration = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 2em', color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' },
    rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
  });
  private readonly results = new Map<string, Promise<ResultsFile>>();
  private readonly compareDocs = new Map<string, string>();
  private compareSeq = 0;
  private readonly compareProvider: vscode.Disposable;

  constructor(
    private readonly s: Services,
    private readonly playground: () => Promise<PlaygroundSession>,
  ) {
    this.compareProvider = vscode.workspace.registerTextDocumentContentProvider(COMPARE_SCHEME, {
      provideTextDocumentContent: (u) => this.compareDocs.get(u.toString()) ?? '',
    });
  }

  isRunning(uri: vscode.Uri): boolean {
    return this.running.has(uri.toString());
  }

  config(uri: vscode.Uri): BatchConfig | undefined {
    const all = this.s.context.workspaceState.get<Record<string, BatchConfig>>(CONFIG_KEY, {});
    return all[uri.toString()];
  }

  /** Remembers a file's target and parameters (the automation path: no prompt). */
  async configure(uri: vscode.Uri, value: unknown): Promise<BatchConfig> {
    const v = (value ?? {}) as { target?: unknown; params?: unknown };
    const target = TargetSchema.parse(v.target);
    const params = ParamsSchema.parse({ ...DEFAULT_PARAMS, ...(typeof v.params === 'object' ? v.params : {}) });
    const all = { ...this.s.context.workspaceState.get<Record<string, BatchConfig>>(CONFIG_KEY, {}) };
    all[uri.toString()] = { target, params };
    await this.s.context.workspaceState.update(CONFIG_KEY, all);
    return { target, params };
  }

  /** The file's configuration, asking for it the first time (a model or checkpoint, then parameters). */
  private async configFor(uri: vscode.Uri, given: unknown): Promise<BatchConfig | undefined> {
    if (given && typeof given === 'object' && 'target' in given) return this.configure(uri, given);
    const known = this.config(uri);
    if (known) return known;
    return this.pickConfig(uri);
  }

  async pickConfig(uri: vscode.Uri): Promise<BatchConfig | undefined> {
    const ctx = await (await this.playground()).samplingContext();
    const items: (vscode.QuickPickItem & { target: Target })[] = [
      ...ctx.models.map((m) => ({
        label: m.model_name,
        description: m.max_context_length ? `${m.max_context_length.toLocaleString('en-US')} ctx` : undefined,
        target: { base_model: m.model_name },
      })),
      ...ctx.checkpoints.map((c) => ({
        label: c.path,
        description: `checkpoint of ${c.base_model ?? 'a training run'}`,
        target: { model_path: c.path },
      })),
    ];
    if (items.length === 0) {
      void vscode.window.showWarningMessage('MinT: the server lists no models; check the connection (MinT: Check Connection).');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: 'MinT batch: sample this prompt file with…',
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    const defaults = JSON.stringify({ max_tokens: DEFAULT_PARAMS.max_tokens, temperature: DEFAULT_PARAMS.temperature });
    const text = await vscode.window.showInputBox({
      title: 'MinT batch: sampling parameters (JSON)',
      value: defaults,
      prompt: 'max_tokens, temperature, top_p, top_k, seed, stop, num_samples. Rows may override them with "params".',
      validateInput: (t) => {
        try {
          ParamsSchema.parse({ ...DEFAULT_PARAMS, ...(JSON.parse(t) as object) });
          return undefined;
        } catch (e) {
          return e instanceof SyntaxError ? `Not JSON: ${e.message}` : 'Not valid parameters: check the ranges.';
        }
      },
    });
    if (text === undefined) return undefined;
    return this.configure(uri, { target: picked.target, params: JSON.parse(text) as object });
  }

  /** Opens (once per file) the results beside the prompt file. */
  resultsFor(uri: vscode.Uri, fresh = false): Promise<ResultsFile> {
    const key = uri.toString();
    let r = this.results.get(key);
    if (!r || fresh) {
      r = ResultsFile.open(resultsPathFor(uri.fsPath));
      this.results.set(key, r);
      r.catch(() => this.results.delete(key));
    }
    return r;
  }

  async runAll(uri: vscode.Uri, options?: unknown): Promise<BatchSummary | undefined> {
    return this.run(uri, 'all', options);
  }

  async runRemaining(uri: vscode.Uri, options?: unknown): Promise<BatchSummary | undefined> {
    return this.run(uri, 'remaining', options);
  }

  cancel(uri: vscode.Uri): boolean {
    const r = this.running.get(uri.toString());
    if (!r) return false;
    r.abort.abort();
    return true;
  }

  /**
   * Drops every run without waiting or tidying, as a window reload does: in-flight rows are
   * aborted and get no result, and the in-memory state is forgotten. What is on disk stays.
   */
  abandonAll(): void {
    for (const r of this.running.values()) r.abort.abort();
    this.running.clear();
    this.results.clear();
  }

  async sampleRow(uri: vscode.Uri, line: number): Promise<ResultRecord | undefined> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const file = parsePromptFile(doc.getText());
    const row = file.rows.find((r) => r.line === line);
    if (!row) {
      void vscode.window.showWarningMessage(`MinT: line ${line + 1} is not a prompt row (see Problems).`);
      return undefined;
    }
    const config = await this.configFor(uri, undefined);
    if (!config) return undefined;
    const results = await this.resultsFor(uri);
    const record = await this.sampleOne(uri, row, config, new AbortController().signal);
    await results.append(record);
    await results.flush();
    this.showRecord(uri, row, record);
    this.changed.fire(uri);
    return record;
  }

  private async run(uri: vscode.Uri, which: 'all' | 'remaining', options: unknown): Promise<BatchSummary | undefined> {
    if (this.running.has(uri.toString())) {
      void vscode.window.showInformationMessage('MinT: this prompt file is already running; Cancel it first.');
      return undefined;
    }
    // Taken before the first await, so a double click on Run all starts one run, not two.
    const abort = new AbortController();
    let started = false;
    this.running.set(uri.toString(), { abort, done: Promise.resolve(undefined) });
    try {
      const summary = await this.start(uri, which, options, abort, () => (started = true));
      return summary;
    } finally {
      if (this.running.get(uri.toString())?.abort === abort) this.running.delete(uri.toString());
      if (started) this.changed.fire(uri);
    }
  }

  private async start(
    uri: vscode.Uri,
    which: 'all' | 'remaining',
    options: unknown,
    abort: AbortController,
    onStart: () => void,
  ): Promise<BatchSummary | undefined> {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (doc.isDirty) await doc.save();
    const file = parsePromptFile(doc.getText());
    if (file.rows.length === 0) {
      void vscode.window.showWarningMessage(
        `MinT: ${vscode.workspace.asRelativePath(uri)} has no prompt rows to run${file.problems.length ? ` (${file.problems.length} rows have problems: see Problems)` : ''}.`,
      );
      return undefined;
    }
    const config = await this.configFor(uri, options);
    if (!config) return undefined;
    // Fresh from disk: after a reload or a crash, the file is the truth.
    const results = await this.resultsFor(uri, true);
    const rows = which === 'all' ? file.rows : file.rows.filter((r) => results.get(r.key, r.target ?? config.target)?.status !== 'ok');
    if (rows.length === 0) {
      void vscode.window.showInformationMessage(`MinT: every row already has a result for ${targetLabel(config.target)}.`);
      return { ok: 0, failed: 0, notRun: 0 };
    }
    const concurrency = vscode.workspace.getConfiguration('mint').get<number>('batch.concurrency', 8);
    const done = this.withProgress(uri, file, rows, config, results, abort, concurrency);
    this.running.set(uri.toString(), { abort, done });
    onStart();
    this.changed.fire(uri);
    return done;
  }

  private withProgress(
    uri: vscode.Uri,
    file: PromptFile,
    rows: PromptRow[],
    config: BatchConfig,
    results: ResultsFile,
    abort: AbortController,
    concurrency: number,
  ): Promise<BatchSummary | undefined> {
    const name = vscode.workspace.asRelativePath(uri);
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `MinT batch: ${name}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => abort.abort());
          let finished = 0;
          let failed = 0;
          const step = 100 / rows.length;
          this.s.log.info('sample', `batch ${name}: ${rows.length} rows on ${targetLabel(config.target)}, ${concurrency} at a time`);
          const summary = await runBatch({
            rows,
            concurrency,
            signal: abort.signal,
            sampleRow: (row, signal) => this.sampleOne(uri, row, config, signal),
            onRecord: async (record) => {
              finished++;
              if (record.status === 'error') failed++;
              await results.append(record);
              const row = rows.find((r) => r.key === record.row);
              if (row) this.showRecord(uri, row, record);
              progress.report({ increment: step, message: `${finished}/${rows.length}${failed ? ` (${failed} failed)` : ''}` });
              if (finished % 25 === 0) this.changed.fire(uri);
            },
          });
          // A crash before this point loses nothing already appended; this only tidies the file.
          if (!abort.signal.aborted || this.running.has(uri.toString())) await results.compact(file.rows.map((r) => r.key));
          this.report(name, summary, abort.signal.aborted);
          return summary;
        },
      ),
    );
  }

  private report(name: string, s: BatchSummary, cancelled: boolean): void {
    const parts = [
      `${s.ok} done`,
      ...(s.failed ? [`${s.failed} failed (see Problems)`] : []),
      ...(s.notRun ? [`${s.notRun} not run`] : []),
    ];
    const text = `MinT batch ${name}: ${cancelled ? 'cancelled; ' : ''}${parts.join(', ')}.${s.notRun ? ' Run remaining picks up the rest.' : ''}`;
    this.s.log.info('sample', text);
    // The summary is a notification like any failure's: mint.notificationLevel "none" keeps it in the status bar.
    const level = vscode.workspace.getConfiguration('mint').get<string>('notificationLevel', 'errors');
    if (s.failed && level !== 'none')
      void vscode.window
        .showWarningMessage(text, 'Show Problems')
        .then((p) => p && vscode.commands.executeCommand('workbench.actions.view.problems'));
    else vscode.window.setStatusBarMessage(`$(check) ${text}`, 8000);
  }

  /** One row, as a record; a failure is a record too. Throws only when cancelled. */
  private async sampleOne(uri: vscode.Uri, row: PromptRow, config: BatchConfig, signal: AbortSignal): Promise<ResultRecord> {
    const target = row.target ?? config.target;
    const parsed = ParamsSchema.safeParse({ ...config.params, ...row.params });
    const params = parsed.success ? parsed.data : config.params;
    const base = {
      row: row.key,
      label: row.label,
      line: row.line,
      target,
      params,
      ...(row.reference !== undefined ? { reference: row.reference } : {}),
    };
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const message = `The row's parameters are not valid: ${String(issue.path[0] ?? 'params')}: ${issue.message}. Fix "params" on this row.`;
      return { ...base, status: 'error', at: new Date().toISOString(), error: { class: 'BadRequestError', message } };
    }
    const ctx = await (await this.playground()).samplingContext();
    const result = await this.s.operations.attempt(
      `Batch ${row.label} of ${vscode.workspace.asRelativePath(uri)}`,
      ({ client }, t) =>
        sampleTarget(client, t, {
          target,
          prompt: row.prompt,
          params,
          models: ctx.models,
          checkpoints: ctx.checkpoints,
          tokenizers: ctx.tokenizers,
          onQueue: () => undefined,
        }),
      { quiet: true, signal },
    );
    const at = new Date().toISOString();
    if (result.kind === 'cancelled') throw new vscode.CancellationError();
    if (result.kind === 'failed') {
      const e = result.error;
      return {
        ...base,
        status: 'error',
        at,
        error: { class: e.className, message: e.message, ...(e.requestId ? { request_id: e.requestId } : {}) },
      };
    }
    return recordOf(base, result.value, at);
  }

  /** A row's latest result on screen: inline after the row, and a diagnostic when it failed. */
  private showRecord(uri: vscode.Uri, row: PromptRow, r: ResultRecord): void {
    const range = new vscode.Range(row.line, 0, row.line, Number.MAX_SAFE_INTEGER);
    if (r.status === 'error' && r.error) {
      const severity = r.error.class === 'RateLimitError' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error;
      this.s.diagnostics.set(uri, range, {
        className: r.error.class,
        message: r.error.message,
        severity,
        requestId: r.error.request_id,
        retry: () => this.sampleRow(uri, row.line),
        retryTitle: 'Retry row',
        group: BATCH_GROUP(uri),
      });
    } else {
      this.s.diagnostics.clear(uri, range);
    }
    this.decorate(uri);
  }

  /** The inline "→ output" after each row that has a result for the file's target. */
  async decorate(uri: vscode.Uri): Promise<void> {
    const editors = vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === uri.toString());
    if (!editors.length) return;
    const config = this.config(uri);
    if (!config) return;
    const results = await this.resultsFor(uri);
    const file = parsePromptFile(editors[0]!.document.getText());
    const decorations: vscode.DecorationOptions[] = [];
    for (const row of file.rows) {
      const r = results.get(row.key, row.target ?? config.target);
      if (!r) continue;
      const text =
        r.status === 'ok'
          ? `→ ${oneLine(r.output ?? '', 80)}  (${r.tokens ?? 0} tok, ${Math.round(r.latency_ms ?? 0)} ms)`
          : `✗ ${r.error?.class ?? 'failed'}${r.error?.request_id ? ` [${r.error.request_id}]` : ''}`;
      const end = editors[0]!.document.lineAt(row.line).range.end;
      decorations.push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: text } } });
    }
    for (const e of editors) e.setDecorations(this.decoration, decorations);
  }

  /** The hover on a prompt row: its latest result for each target. */
  async hover(uri: vscode.Uri, line: number, text: string): Promise<vscode.MarkdownString | undefined> {
    const row = parsePromptFile(text).rows.find((r) => r.line === line);
    if (!row) return undefined;
    const records = (await this.resultsFor(uri)).forRow(row.key);
    if (!records.length) return undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['mint.copyRequestId'] };
    for (const r of records) {
      md.appendMarkdown(`**${escapeMd(targetLabel(r.target))}** · ${r.at}\n\n`);
      if (r.status === 'ok') {
        md.appendCodeblock(r.output ?? '', 'text');
        md.appendMarkdown(
          `${r.tokens} tokens · stop: ${r.stop_reason} · ${Math.round(r.latency_ms ?? 0)} ms` +
            (r.logprobs ? ` · mean logprob ${r.logprobs.mean.toFixed(3)}` : '') +
            (r.request_id ? ` · request id \`${r.request_id}\`` : '') +
            '\n\n',
        );
      } else {
        md.appendMarkdown(`**${r.error?.class}**: ${escapeMd(r.error?.message ?? '')}`);
        if (r.error?.request_id)
          md.appendMarkdown(` · [Copy request_id](command:mint.copyRequestId?${encodeURIComponent(JSON.stringify([r.error.request_id]))})`);
        md.appendMarkdown('\n\n');
      }
    }
    return md;
  }

  /** Two targets' outputs for the same file, side by side (VS Code's diff editor). */
  async compare(uri: vscode.Uri, leftTarget?: unknown, rightTarget?: unknown): Promise<void> {
    // A running file's results are the run's own instance: reading the file again would fork them.
    const results = await this.resultsFor(uri, !this.isRunning(uri));
    const targets = results.targets();
    if (targets.length < 2) {
      void vscode.window.showInformationMessage(
        'MinT: compare needs results from two targets. Run the file, then "MinT: Configure Batch" to pick another model or checkpoint and run it again.',
      );
      return;
    }
    const pick = async (title: string, except?: Target) => {
      const items = targets
        .filter((t) => !except || JSON.stringify(t) !== JSON.stringify(except))
        .map((t) => ({ label: targetLabel(t), target: t }));
      return (await vscode.window.showQuickPick(items, { title }))?.target;
    };
    // Two targets given (automation, tests) skip the pickers.
    const given = TargetSchema.safeParse(leftTarget).success && TargetSchema.safeParse(rightTarget).success;
    const a = given ? TargetSchema.parse(leftTarget) : await pick('MinT compare: left');
    if (!a) return;
    const b = given ? TargetSchema.parse(rightTarget) : await pick('MinT compare: right', a);
    if (!b) return;
    const doc = await vscode.workspace.openTextDocument(uri);
    const rows = parsePromptFile(doc.getText()).rows;
    const render = (t: Target) =>
      rows
        .map((row) => {
          const r = results.get(row.key, t);
          const body = !r ? '(no result)' : r.status === 'ok' ? (r.output ?? '') : `✗ ${r.error?.class}: ${r.error?.message}`;
          return `### ${row.label}\n${body}\n`;
        })
        .join('\n');
    // Read-only documents of our own scheme: nothing to save when the comparison is closed.
    const name = uri.path.split('/').pop() ?? 'results';
    const left = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/${targetLabel(a)}/${name}.md`, query: String(++this.compareSeq) });
    const right = vscode.Uri.from({ scheme: COMPARE_SCHEME, path: `/${targetLabel(b)}/${name}.md`, query: String(this.compareSeq) });
    this.compareDocs.set(left.toString(), render(a));
    this.compareDocs.set(right.toString(), render(b));
    await vscode.commands.executeCommand('vscode.diff', left, right, `${targetLabel(a)} ↔ ${targetLabel(b)}`);
  }

  dispose(): void {
    for (const r of this.running.values()) r.abort.abort();
    this.compareProvider.dispose();
    this.decoration.dispose();
    this.changed.dispose();
  }
}

function recordOf(base: Omit<ResultRecord, 'status' | 'at'>, outcome: Outcome, at: string): ResultRecord {
  if (outcome.status !== 'done') {
    const e = outcome.error;
    return { ...base, status: 'error', at, error: { class: e?.kind ?? 'Error', message: e?.message ?? 'The row was not sampled.' } };
  }
  const first = outcome.samples?.[0];
  const lps = (first?.tokens?.logprobs ?? []).filter((x): x is number => typeof x === 'number');
  const sum = lps.reduce((a, b) => a + b, 0);
  return {
    ...base,
    status: 'ok',
    at,
    output: first?.text ?? '',
    ...(outcome.samples && outcome.samples.length > 1 ? { outputs: outcome.samples.map((x) => x.text) } : {}),
    tokens: first?.tokens?.ids.length ?? 0,
    ...(outcome.prompt_tokens !== undefined ? { prompt_tokens: outcome.prompt_tokens } : {}),
    ...(lps.length ? { logprobs: { sum, mean: sum / lps.length, min: Math.min(...lps) } } : {}),
    stop_reason: first?.stop_reason ?? 'unknown',
    ...(outcome.latency_ms !== undefined ? { latency_ms: Math.round(outcome.latency_ms) } : {}),
    ...(outcome.request_id ? { request_id: outcome.request_id } : {}),
  };
}

function oneLine(s: string, max: number): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_[\]<>|]/g, '\\$&');
}
