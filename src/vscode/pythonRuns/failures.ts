/**
 * One place where a Python run's MinT failures become what the user sees, whichever way the run
 * was watched (a terminal command through shell integration, a `mint` task, the debugger): a
 * diagnostic at the user's own deepest frame, a toast through the one presenter with Copy
 * request_id, the status bar, and a log line. A run's diagnostics form a group: the next run of
 * the same command replaces them, and its success clears them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isLibraryPath, userFrame, type MintException, type PyFrame, type TracebackFinding } from '../../python/traceback';
import { errorFor } from '../pythonErrors';
import type { Services } from '../services';

export interface RunContext {
  /** Identifies "the same command" across runs: its diagnostics are replaced and cleared together. */
  group: string;
  /** What the user ran, for the log ("python train.py"). */
  label: string;
  /** The run's working directory, to resolve relative paths in frames. */
  cwd: string | undefined;
  /** Runs the same command again (the "Run again" Quick Fix and toast button). */
  rerun?: (() => unknown) | undefined;
  /** False when someone else makes the diagnostics (a task's $mint-python problem matcher). */
  diagnostics?: boolean;
  /** Hears this run's failures once they are shown. */
  onReport?: (reported: Reported[]) => void;
}

/** What one reported exception became, for tests and the debugger. */
export interface Reported {
  className: string;
  requestId: string | undefined;
  uri: vscode.Uri | undefined;
  line: number | undefined;
  message: string;
}

/** Toasts one run may raise: a loop failing 500 times must not bury the window. */
const MAX_TOASTS_PER_RUN = 3;

export class PythonFailures {
  private readonly reported = new vscode.EventEmitter<Reported[]>();
  /** Fires after each batch of a run's failures is shown (tests wait on it). */
  readonly onDidReport = this.reported.event;

  constructor(private readonly s: Services) {}

  startRun(ctx: RunContext): PythonRun {
    return new PythonRun(this.s, ctx, (r) => {
      ctx.onReport?.(r);
      this.reported.fire(r);
    });
  }

  dispose(): void {
    this.reported.dispose();
  }
}

export class PythonRun {
  private found = 0;
  private toasts = 0;
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly s: Services,
    private readonly ctx: RunContext,
    private readonly fire: (r: Reported[]) => void,
  ) {}

  /** Shows the findings a scanner returned (in order; safe to call while earlier ones are still showing). */
  add(findings: TracebackFinding[]): Promise<unknown> {
    if (findings.length === 0) return this.pending;
    this.pending = this.pending
      .then(() => this.show(findings))
      .catch((e) => this.s.log.error('python', `could not show a failure: ${String(e)}`));
    return this.pending;
  }

  /** The run ended: a clean exit with nothing found clears the command's earlier failures. */
  async end(exitCode: number | undefined): Promise<void> {
    await this.pending;
    if (this.found === 0 && exitCode === 0) {
      const n = this.s.diagnostics.clearGroup(this.ctx.group);
      if (n) this.s.log.info('python', `${this.ctx.label} succeeded: cleared ${n} MinT diagnostic(s) from its earlier run`);
    }
  }

  get failures(): number {
    return this.found;
  }

  private async show(findings: TracebackFinding[]): Promise<void> {
    const out: Reported[] = [];
    for (const f of findings) {
      // A new failure replaces the command's previous run's failures (once per run).
      if (this.found === 0) this.s.diagnostics.clearGroup(this.ctx.group);
      this.found++;
      // Every MinT exception of a chain gets its diagnostic; the toast is for the last (outermost) one.
      for (let i = 0; i < f.exceptions.length; i++) {
        const ex = f.exceptions[i]!;
        const last = i === f.exceptions.length - 1;
        out.push(await this.showOne(ex, last && this.toasts++ < MAX_TOASTS_PER_RUN));
      }
    }
    this.fire(out);
  }

  private async showOne(ex: MintException, toast: boolean): Promise<Reported> {
    const at = await this.locate(ex.frames);
    const err = errorFor(ex);
    const where = at ? `${path.basename(at.uri.fsPath)}:${at.line + 1}` : this.ctx.label;
    const origin = at && this.ctx.diagnostics !== false ? { uri: at.uri, range: at.range, group: this.ctx.group } : undefined;
    let message: string;
    if (toast) {
      const d = this.s.presenter.present(err, { origin, retry: this.ctx.rerun, retryTitle: 'Run again', where });
      message = d?.message ?? err.message;
    } else {
      // Quietly: a diagnostic and a log line, no toast.
      const d = this.s.presenter.describe(err);
      message = d.message;
      this.s.log.error('python', `${where}: ${d.className}${d.requestId ? ` [request id ${d.requestId}]` : ''}`);
      if (origin)
        this.s.diagnostics.set(origin.uri, origin.range, {
          className: d.className,
          message: d.message,
          severity: d.diagnosticSeverity,
          requestId: d.requestId,
          retry: this.ctx.rerun,
          retryTitle: 'Run again',
          group: this.ctx.group,
        });
    }
    return { className: ex.className, requestId: ex.requestId ?? ex.logId, uri: at?.uri, line: at?.line, message };
  }

  /** The user's own deepest frame in the workspace; else their deepest frame outside any library. */
  private async locate(frames: PyFrame[]): Promise<{ uri: vscode.Uri; line: number; range: vscode.Range } | undefined> {
    const uriOf = (file: string): vscode.Uri | undefined => {
      if (file.startsWith('<')) return undefined;
      const abs = isAbsolute(file) ? file : this.ctx.cwd ? path.join(this.ctx.cwd, file) : undefined;
      return abs ? vscode.Uri.file(abs) : undefined;
    };
    const inWorkspace = (file: string) => {
      const uri = uriOf(file);
      return uri !== undefined && vscode.workspace.getWorkspaceFolder(uri) !== undefined;
    };
    const candidates = [userFrame(frames, inWorkspace), userFrame(frames, (f) => uriOf(f) !== undefined && !isLibraryPath(f))];
    for (const frame of candidates) {
      const uri = frame && uriOf(frame.file);
      if (!frame || !uri) continue;
      try {
        const doc = await vscode.workspace.openTextDocument(uri);
        const line = Math.min(Math.max(frame.line - 1, 0), doc.lineCount - 1);
        const text = doc.lineAt(line);
        const range = new vscode.Range(line, text.firstNonWhitespaceCharacterIndex, line, text.text.length);
        return { uri, line, range };
      } catch {
        // The file is gone or unreadable: try the next candidate.
      }
    }
    return undefined;
  }
}

/** Absolute on this machine or on Windows (a run's output may come from either). */
export function isAbsolute(file: string): boolean {
  return path.isAbsolute(file) || /^[A-Za-z]:[\\/]/.test(file) || file.startsWith('\\\\');
}
