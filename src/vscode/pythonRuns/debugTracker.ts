/**
 * Under the debugger: when a Python debug session (debugpy) stops on an exception, the adapter is
 * asked what it is (DAP exceptionInfo) and where (stackTrace); a MinT exception then gets the same
 * diagnostic, toast and Copy request_id as one printed in a terminal. The debuggee's clean exit
 * clears them, like a terminal command's success.
 */
import * as vscode from 'vscode';
import { tracebackFromDebugpy } from '../../python/debugpy';
import { scanTracebacks } from '../../python/traceback';
import type { Log } from '../log';
import type { PythonFailures, PythonRun } from './failures';

interface DapMessage {
  type?: string;
  event?: string;
  body?: { reason?: string; threadId?: number; exitCode?: number };
}
interface ExceptionInfo {
  exceptionId?: string;
  description?: string;
  details?: { typeName?: string; fullTypeName?: string; message?: string; stackTrace?: string };
}
interface StackTrace {
  stackFrames?: { name?: string; line?: number; source?: { path?: string } }[];
}

export function trackerFor(session: vscode.DebugSession, failures: PythonFailures, log: Log): vscode.DebugAdapterTracker {
  const config = session.configuration as { program?: string; module?: string; cwd?: string };
  const target = config.program ?? config.module ?? session.name;
  let run: PythonRun | undefined;
  const runFor = () =>
    (run ??= failures.startRun({
      group: `debug:${target}`,
      label: `debugging ${target}`,
      cwd: config.cwd ?? session.workspaceFolder?.uri.fsPath,
      rerun: () => vscode.debug.startDebugging(session.workspaceFolder, session.configuration),
    }));
  return {
    onDidSendMessage: (m: DapMessage) => {
      if (m.type !== 'event') return;
      if (m.event === 'stopped' && m.body?.reason === 'exception' && m.body.threadId !== undefined) {
        void inspect(session, m.body.threadId).then(
          (text) => text && runFor().add(scanTracebacks(text)),
          (e) => log.debug('python', `could not read the exception of ${session.name}: ${String(e)}`),
        );
      }
      if (m.event === 'exited') void runFor().end(m.body?.exitCode);
    },
  };
}

/** The stopped exception as Python would print it, so one parser reads terminals and debuggers alike. */
async function inspect(session: vscode.DebugSession, threadId: number): Promise<string | undefined> {
  const info = (await session.customRequest('exceptionInfo', { threadId })) as ExceptionInfo;
  const fromDebugpy = info.details?.stackTrace ? tracebackFromDebugpy(info.details.stackTrace) : undefined;
  if (fromDebugpy) return fromDebugpy;
  // Other adapters: the class from exceptionInfo, the frames from the stack where it stopped.
  const name = info.details?.fullTypeName ?? cleanName(info.exceptionId ?? info.details?.typeName);
  if (!name) return undefined;
  const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 200 })) as StackTrace;
  const frames = (trace.stackFrames ?? [])
    .filter((f) => f.source?.path && f.line)
    .reverse()
    .map((f) => `  File "${f.source!.path}", line ${f.line}, in ${f.name ?? '?'}`);
  const message = info.description ?? info.details?.message ?? '';
  return `Traceback (most recent call last):\n${frames.join('\n')}\n${name}: ${message}\n\n`;
}

/** debugpy names the class with a note after it: "InternalServerError       (note: full exception trace ...)". */
function cleanName(name: string | undefined): string | undefined {
  return name?.replace(/\s+\(note:[\s\S]*$/, '').trim() || undefined;
}
