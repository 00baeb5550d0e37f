import * as vscode from 'vscode';
import type { Batch } from '../batch/register';
import type { BatchController } from '../batch/controller';

/** Runs a batch command on the prompt file it was given (a URI), else the active editor's. */
export async function batchCommand<T>(
  batch: Batch,
  arg: unknown,
  fn: (c: BatchController, uri: vscode.Uri) => T | Promise<T>,
): Promise<T | undefined> {
  const uri = batch.uriOf(arg);
  if (!uri) {
    void vscode.window.showInformationMessage('MinT: open a prompt file (.jsonl rows with "prompt" or "messages") first.');
    return undefined;
  }
  return fn(await batch.controller(), uri);
}
