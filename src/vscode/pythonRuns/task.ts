/**
 * The `mint` task type and "MinT: Run Python File with MinT". A mint task runs `python <file>`,
 * `python -m <module>` or `uv run ...` with MINT_BASE_URL set to the selected server (the local
 * emulator when none is chosen, started if needed) and MINT_API_KEY from SecretStorage, in that
 * process's environment only: the key is never on a command line, in a file, in shell history
 * or in any other terminal. The process runs in a pseudoterminal the extension owns, so its
 * output is read exactly (no shell integration needed): each MinT traceback becomes a toast
 * through the presenter and a one-line "[MinT] ..." summary that the $mint-python problem matcher
 * turns into a diagnostic at the user's own frame.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { TracebackScanner } from '../../python/traceback';
import type { Services } from '../services';
import type { PythonFailures, Reported } from './failures';
import { resolveInterpreter } from './interpreter';

export const MINT_TASK_TYPE = 'mint';
/** What emulator runs get for a key: the SDK insists on one, the emulator takes any. */
export const EMULATOR_PLACEHOLDER_KEY = 'tml-local-emulator';
const TRANSCRIPT_LIMIT = 256 * 1024;

export interface MintTaskDefinition extends vscode.TaskDefinition {
  type: 'mint';
  /** A Python file to run (relative to the workspace folder, or absolute). */
  program?: string;
  /** A module to run with `python -m`. */
  module?: string;
  args?: string[];
  /** `python` (the selected interpreter) or `uv` (`uv run`). */
  runner?: 'python' | 'uv';
  cwd?: string;
}

/** The process a definition stands for: an executable and its arguments. */
export async function commandFor(
  def: MintTaskDefinition,
  folder: vscode.WorkspaceFolder | undefined,
): Promise<{ cmd: string; args: string[] }> {
  // A program is relative to the workspace folder (as tasks.json says), whatever the cwd.
  const program = def.program && folder && !path.isAbsolute(def.program) ? path.join(folder.uri.fsPath, def.program) : def.program;
  const target = def.module ? ['-m', def.module] : program ? [program] : [];
  if (target.length === 0) throw new Error('A mint task needs "program" (a .py file) or "module" (for python -m).');
  const args = [...target, ...(def.args ?? [])];
  if (def.runner === 'uv') return { cmd: 'uv', args: ['run', ...(def.module ? ['python', ...args] : args)] };
  return { cmd: await resolveInterpreter(folder), args: ['-u', ...args] };
}

/** The environment a MinT run adds: where to send requests, and the key, for this process only. */
export async function mintEnvironment(s: Services): Promise<{ env: Record<string, string>; server: string }> {
  let server = s.clients.server();
  if (!server) {
    const url = await s.emulator.start();
    s.clients.useEmulator(url);
    s.statusBar.setConnection('emulator');
    server = s.clients.server()!;
  }
  // The client manager says what is missing (no key for a remote server) with the error the
  // presenter knows; this module is loaded lazily and must not make its own copy of that class.
  const active = await s.clients.getClient();
  const resolved = active.keySource ? await s.keys.resolve() : undefined;
  const key = resolved?.key ?? EMULATOR_PLACEHOLDER_KEY;
  s.log.addSecret(resolved?.key);
  // mindlab-toolkit reads MINT_*; the plain tinker SDK reads TINKER_*.
  return {
    env: { MINT_BASE_URL: server.url, MINT_API_KEY: key, TINKER_BASE_URL: server.url, TINKER_API_KEY: key },
    server: server.url,
  };
}

export class MintTaskProvider {
  /** What the last run wrote to its terminal (bounded): what the user saw, for tests and bug reports. */
  lastTranscript = '';

  constructor(
    private readonly s: Services,
    private readonly failures: PythonFailures,
  ) {}

  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as MintTaskDefinition;
    if (def.type !== MINT_TASK_TYPE) return undefined;
    const folder = typeof task.scope === 'object' ? task.scope : undefined;
    return this.build(def, folder, task.name, task.problemMatchers.length ? task.problemMatchers : ['$mint-python']);
  }

  build(
    def: MintTaskDefinition,
    folder: vscode.WorkspaceFolder | undefined,
    name: string,
    matchers: string[] = ['$mint-python'],
  ): vscode.Task {
    const task = new vscode.Task(
      def,
      folder ?? vscode.TaskScope.Workspace,
      name,
      'MinT',
      new vscode.CustomExecution(async () => {
        this.lastTranscript = '';
        return new MintRunTerminal(
          this.s,
          this.failures,
          def,
          folder,
          matchers.includes('$mint-python'),
          () => this.rerun(def, folder, name),
          (text) => {
            if (this.lastTranscript.length < TRANSCRIPT_LIMIT) this.lastTranscript += text;
          },
        );
      }),
      matchers,
    );
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    return task;
  }

  private async rerun(def: MintTaskDefinition, folder: vscode.WorkspaceFolder | undefined, name: string): Promise<void> {
    await vscode.tasks.executeTask(this.build(def, folder, name));
  }
}

/** "MinT: Run Python File with MinT": the current (or given) .py file as a mint task. */
export async function runPythonFile(provider: MintTaskProvider, arg: unknown): Promise<vscode.TaskExecution | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri || !uri.fsPath.endsWith('.py')) {
    void vscode.window.showInformationMessage('MinT: open a Python file (.py) to run it with MinT.');
    return undefined;
  }
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (doc?.isDirty) await doc.save();
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const program = folder ? path.relative(folder.uri.fsPath, uri.fsPath) : uri.fsPath;
  const def: MintTaskDefinition = { type: MINT_TASK_TYPE, program };
  return vscode.tasks.executeTask(provider.build(def, folder, `Run ${path.basename(uri.fsPath)} with MinT`));
}

/** The task's terminal: runs the process, shows its output, reads its tracebacks. */
class MintRunTerminal implements vscode.Pseudoterminal {
  private readonly write = new vscode.EventEmitter<string>();
  private readonly closed = new vscode.EventEmitter<number>();
  readonly onDidWrite = this.write.event;
  readonly onDidClose = this.closed.event;
  private child: ChildProcess | undefined;

  constructor(
    private readonly s: Services,
    private readonly failures: PythonFailures,
    private readonly def: MintTaskDefinition,
    private readonly folder: vscode.WorkspaceFolder | undefined,
    private readonly matcherMakesDiagnostics: boolean,
    private readonly rerun: () => unknown,
    private readonly record: (text: string) => void,
  ) {
    this.onDidWrite((text) => this.record(text));
  }

  open(): void {
    void this.start().catch((e) => {
      // Setting up failed (no key for a remote server, no emulator): say so here and in a toast.
      const d = this.s.presenter.present(e);
      this.line(`[MinT] run stopped: ${d?.message ?? String(e)}`);
      this.closed.fire(1);
    });
  }

  private async start(): Promise<void> {
    const { cmd, args } = await commandFor(this.def, this.folder);
    const { env, server } = await mintEnvironment(this.s);
    const cwd = this.def.cwd
      ? path.resolve(this.folder?.uri.fsPath ?? process.cwd(), this.def.cwd)
      : (this.folder?.uri.fsPath ?? (this.def.program ? path.dirname(path.resolve(this.def.program)) : process.cwd()));
    const label = [path.basename(cmd), ...args].join(' ');
    // Never the key: only where the run goes.
    this.line(`[MinT] run started: ${label} (MINT_BASE_URL=${server}; the API key is in this process's environment only)`);
    const run = this.failures.startRun({
      group: `task:${JSON.stringify(this.def)}`,
      label,
      cwd,
      rerun: this.rerun,
      diagnostics: !this.matcherMakesDiagnostics,
      onReport: (reported) => this.summarize(reported),
    });
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    // One scanner per stream: stdout printed between stderr chunks must not split a traceback.
    const ended: Promise<void>[] = [];
    const pipe = (stream: NodeJS.ReadableStream) => {
      const decoder = new StringDecoder('utf8');
      const scanner = new TracebackScanner();
      stream.on('data', (b: Buffer) => {
        const text = decoder.write(b);
        this.write.fire(text.replace(/\r?\n/g, '\r\n'));
        void run.add(scanner.push(text));
      });
      ended.push(
        new Promise<void>((resolve) =>
          stream.once('end', () => {
            const rest = decoder.end();
            if (rest) this.write.fire(rest.replace(/\r?\n/g, '\r\n'));
            void run.add([...scanner.push(rest), ...scanner.end()]);
            resolve();
          }),
        ),
      );
    };
    pipe(child.stdout!);
    pipe(child.stderr!);
    const code = await new Promise<number>((resolve) => {
      child.once('error', (e) => {
        this.line(
          `[MinT] run failed: could not start ${cmd}: ${e.message}. Select a Python interpreter (Python extension) or create .venv.`,
        );
        resolve(127);
      });
      child.once('close', (c, signal) => resolve(c ?? (signal ? 130 : 1)));
    });
    await Promise.race([Promise.all(ended), new Promise((r) => setTimeout(r, 2_000))]);
    await run.add([]);
    await run.end(code);
    this.line(
      `[MinT] run ${code === 0 ? 'ended' : 'failed'}: exit code ${code}${run.failures ? `, ${run.failures} MinT failure(s) (Problems)` : ''}`,
    );
    this.closed.fire(code);
  }

  /** One line per failure, for the $mint-python problem matcher: "[MinT] error <file>:<line>: <Class>: <message>". */
  private summarize(reported: Reported[]): void {
    for (const r of reported) {
      const id = r.requestId ? ` (request id: ${r.requestId})` : '';
      const text = `${r.className}: ${r.message.replace(/\s+/g, ' ')}${id}`;
      // Without a frame of the user's to point at, the line is for reading only (the matcher skips it).
      this.line(r.uri && r.line !== undefined ? `[MinT] error ${r.uri.fsPath}:${r.line + 1}: ${text}` : `[MinT] ${text}`);
    }
  }

  private line(text: string): void {
    this.write.fire(`\r\n${text}\r\n`);
  }

  handleInput(data: string): void {
    if (!this.child) return;
    if (data === '\x03') this.child.kill('SIGINT');
    else this.child.stdin?.write(data === '\r' ? '\n' : data);
  }

  close(): void {
    this.child?.kill('SIGTERM');
  }
}
