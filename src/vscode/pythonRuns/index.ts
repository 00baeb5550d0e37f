/**
 * Failures where they happen: MinT exceptions raised in the user's own Python runs (the integrated
 * terminal, `mint` tasks, the debugger) become diagnostics, links and toasts through the same
 * presenter and error table as the extension's own requests.
 *
 * Only the registrations live here: the traceback parser and everything that uses it are loaded
 * on first use (a terminal command, a link, a task, a debug stop), so activation stays small.
 */
import * as vscode from 'vscode';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';
import type { PythonFailures } from './failures';
import type { MintTaskProvider } from './task';
import type { MintTerminalLink } from './terminalLinks';

export interface PythonRuns {
  failures(): Promise<PythonFailures>;
  tasks(): Promise<MintTaskProvider>;
  links: vscode.TerminalLinkProvider<MintTerminalLink>;
}

export function registerPythonRuns(s: Services, playground: () => Promise<PlaygroundSession>): PythonRuns {
  let failures: Promise<PythonFailures> | undefined;
  const getFailures = (): Promise<PythonFailures> =>
    (failures ??= import('./failures').then(({ PythonFailures }) => {
      const f = new PythonFailures(s);
      s.context.subscriptions.push(f);
      return f;
    }));
  let tasks: Promise<MintTaskProvider> | undefined;
  const getTasks = (): Promise<MintTaskProvider> =>
    (tasks ??= Promise.all([import('./task'), getFailures()]).then(([{ MintTaskProvider }, f]) => new MintTaskProvider(s, f)));
  const watching = () => vscode.workspace.getConfiguration('mint').get<boolean>('python.watchTerminals', true);

  const links: vscode.TerminalLinkProvider<MintTerminalLink> = {
    provideTerminalLinks: async (context, token) => (await import('./terminalLinks')).provideLinks(context, token),
    handleTerminalLink: async (link) => (await import('./terminalLinks')).handleLink(link, playground),
  };

  s.context.subscriptions.push(
    vscode.window.onDidStartTerminalShellExecution((e) => {
      if (!watching() || !e.execution.commandLine.value.trim()) return;
      // read() sees only what is written after its first call: start reading now, parse once loaded.
      const stream = e.execution.read();
      void Promise.all([import('./terminalWatcher'), getFailures()]).then(([{ watchExecution }, f]) => watchExecution(e, stream, f, s.log));
    }),
    vscode.window.onDidEndTerminalShellExecution((e) => {
      if (watching()) void import('./terminalWatcher').then(({ executionEnded }) => executionEnded(e));
    }),
    vscode.window.registerTerminalLinkProvider(links),
    vscode.debug.registerDebugAdapterTrackerFactory('*', {
      createDebugAdapterTracker: async (session) =>
        /python|debugpy/i.test(session.type) ? (await import('./debugTracker')).trackerFor(session, await getFailures(), s.log) : undefined,
    }),
    vscode.tasks.registerTaskProvider('mint', {
      provideTasks: () => [],
      resolveTask: async (task) => (await getTasks()).resolveTask(task),
    }),
  );
  return { failures: getFailures, tasks: getTasks, links };
}
