/**
 * Reads what each command prints in the integrated terminal (through shell integration: the
 * command's own output, not the whole screen) and hands MinT tracebacks to PythonFailures. The
 * scanner is streaming and bounded, so a command that prints for hours costs little.
 */
import * as vscode from 'vscode';
import { TracebackScanner } from '../../python/traceback';
import type { PythonFailures } from './failures';
import type { Log } from '../log';

/** How long to wait for a command's exit code after its output ends. */
const EXIT_CODE_WAIT_MS = 3_000;

const waiting = new WeakMap<vscode.TerminalShellExecution, (code: number | undefined) => void>();
const ended = new WeakMap<vscode.TerminalShellExecution, number | undefined>();

/** A command ended (its exit code may arrive before or after its output is read). */
export function executionEnded(e: vscode.TerminalShellExecutionEndEvent): void {
  const resolve = waiting.get(e.execution);
  if (resolve) resolve(e.exitCode);
  else ended.set(e.execution, e.exitCode);
}

export async function watchExecution(
  e: vscode.TerminalShellExecutionStartEvent,
  stream: AsyncIterable<string>,
  failures: PythonFailures,
  log: Log,
): Promise<void> {
  const command = e.execution.commandLine.value.trim();
  const cwd = e.execution.cwd?.fsPath;
  const terminal = e.terminal;
  const run = failures.startRun({
    // The cwd is not in the key: shell integration may learn it only after the first command.
    group: `terminal:${command}`,
    label: command,
    cwd,
    rerun: () => {
      if (terminal.exitStatus === undefined && terminal.shellIntegration) {
        terminal.show();
        terminal.shellIntegration.executeCommand(command);
      } else {
        const t = vscode.window.createTerminal({ name: 'MinT: run again', cwd });
        t.show();
        t.sendText(command);
      }
    },
  });
  const exit = new Promise<number | undefined>((resolve) => {
    if (ended.has(e.execution)) return resolve(ended.get(e.execution));
    waiting.set(e.execution, resolve);
  });
  const scanner = new TracebackScanner();
  try {
    for await (const data of stream) void run.add(scanner.push(data));
  } catch (err) {
    log.debug('python', `stopped reading "${command}": ${String(err)}`);
  }
  void run.add(scanner.end());
  const code = await Promise.race([exit, new Promise<undefined>((r) => setTimeout(() => r(undefined), EXIT_CODE_WAIT_MS))]);
  await run.end(code);
}
