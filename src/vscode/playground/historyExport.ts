/**
 * History export: the save dialog and the file write. Beside HistoryStore, which stays free of
 * vscode so it is testable in plain Node; this is the half that needs the editor.
 */
import * as vscode from 'vscode';
import { SharedRunFileSchema, type HostReply, type Run, type SharedRunFile } from '../../shared/playground';
import type { Log } from '../log';
import type { HistoryStore } from './history';

export type ExportFormat = 'jsonl' | 'markdown';

/** Asks where to save, writes there, and offers to open the file. An empty history is said to the page that asked. */
export async function exportHistory(history: HistoryStore, format: ExportFormat, log: Log, reply: (msg: HostReply) => void): Promise<void> {
  if (!history.size) {
    reply({ type: 'notice', level: 'info', message: 'The history is empty: nothing to export yet.' });
    return;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const name = `mint-playground-history.${format === 'jsonl' ? 'jsonl' : 'md'}`;
  const target = await vscode.window.showSaveDialog({
    title: 'Export MinT playground history',
    ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
    filters: format === 'jsonl' ? { 'JSON Lines': ['jsonl'] } : { Markdown: ['md'] },
  });
  if (!target) return;
  await writeExport(history, target, format);
  log.info('playground', `exported ${history.size} runs as ${format} to ${target.fsPath}`);
  const open = await vscode.window.showInformationMessage(`MinT: exported ${history.size} runs to ${target.fsPath}.`, 'Open');
  if (open) await vscode.window.showTextDocument(target);
}

/** The write alone; tests call it, since they cannot drive a save dialog. */
export async function writeExport(history: HistoryStore, target: vscode.Uri, format: ExportFormat): Promise<void> {
  const text = format === 'jsonl' ? history.exportJsonl() : history.exportMarkdown();
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
}

/**
 * A run (with its branch trees) as a file another playground can open. A run holds prompt,
 * targets, parameters and results by construction (no key, no server URL); the text still passes
 * through the log's redactor in case a key was pasted into a prompt.
 */
export async function writeSharedRun(run: Run, target: vscode.Uri, redact: (s: string) => string): Promise<void> {
  const file: SharedRunFile = { format: 'mint-playground-run', version: 1, run };
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(redact(JSON.stringify(file, null, 1)) + '\n'));
}

/** Reads a shared run file; throws with what is wrong when it is not one. */
export async function readSharedRun(source: vscode.Uri): Promise<Run> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(source));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${source.fsPath} is not JSON.`);
  }
  const parsed = SharedRunFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `${source.fsPath} is not a MinT playground run: ${issue?.message ?? 'invalid'} at ${issue?.path.join('.') || 'the top'}.`,
    );
  }
  return parsed.data.run;
}
