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

/** Where a Python traceback (or asyncio's unretrieved task exception) begins. */
const TRACEBACK_START = /Traceback \(most recent call last\)|Task exception was never retrieved/;
/** A terminal line worth the link finder: an id, a checkpoint path or an exception class may be in it. */
const MAYBE_LINK = /request[_ ]id|Request ID|Log ID|trace|Trace|tinker:\/\/|mint:\/\/|ckpt_|Error|Exception|Sidecar/;

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
    // Every terminal line comes here: only one that may hold an id, a path or a class loads the finder.
    provideTerminalLinks: async (context, token) =>
      MAYBE_LINK.test(context.line) ? (await import('./terminalLinks')).provideLinks(context, token) : [],
    handleTerminalLink: async (link) => (await import('./terminalLinks')).handleLink(link, playground),
  };

  // Commands end before or after their output is read; remembered here until the watcher is loaded.
  const exitCodes = new WeakMap<vscode.TerminalShellExecution, number | undefined>();
  let watcher: typeof import('./terminalWatcher') | undefined;
  const watch = async (e: vscode.TerminalShellExecutionStartEvent, stream: AsyncIterable<string>): Promise<void> => {
    const [m, f] = await Promise.all([import('./terminalWatcher'), getFailures()]);
    watcher = m;
    if (exitCodes.has(e.execution))
      m.executionEnded({ execution: e.execution, exitCode: exitCodes.get(e.execution) } as vscode.TerminalShellExecutionEndEvent);
    await m.watchExecution(e, stream, f, s.log);
  };
  /**
   * Until a failure has been seen in this window, a command's output is only sniffed for the start
   * of a traceback (keeping its last 64 KiB); the parser is loaded when one shows up, and reads from
   * there. A window whose commands never fail never loads it.
   */
  const sniff = async (e: vscode.TerminalShellExecutionStartEvent, stream: AsyncIterable<string>): Promise<void> => {
    const it = stream[Symbol.asyncIterator]();
    let tail = '';
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      tail = (tail + r.value).slice(-65_536);
      if (TRACEBACK_START.test(tail)) {
        const rest = { [Symbol.asyncIterator]: () => it };
        const replay = (async function* () {
          yield tail;
          yield* rest;
        })();
        return watch(e, replay);
      }
    }
  };

  s.context.subscriptions.push(
    vscode.window.onDidStartTerminalShellExecution((e) => {
      if (!watching() || !e.execution.commandLine.value.trim()) return;
      // read() sees only what is written after its first call: start reading now.
      const stream = e.execution.read();
      // Once failures were shown, every command is watched in full: its success clears them.
      void (failures ? watch(e, stream) : sniff(e, stream)).catch((err: unknown) =>
        s.log.debug('python', `terminal watch: ${String(err)}`),
      );
    }),
    vscode.window.onDidEndTerminalShellExecution((e) => {
      exitCodes.set(e.execution, e.exitCode);
      watcher?.executionEnded(e);
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
