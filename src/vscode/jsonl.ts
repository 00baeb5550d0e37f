/**
 * JSONL files bring two features: prompt files (batch sampling) and training datasets (the
 * linter, fine-tuning). Neither is loaded at activation: both come in the first time a .jsonl file
 * is open in the window (or a command needs them), so a window without JSONL pays nothing.
 */
import * as vscode from 'vscode';
import type { Batch } from './batch/register';
import type { Datasets } from './datasets';
import type { PlaygroundSession } from './playground/session';
import type { Services } from './services';

export interface JsonlFeatures {
  batch(): Promise<Batch>;
  datasets(): Promise<Datasets>;
}

export function registerJsonlFeatures(s: Services, playground: () => Promise<PlaygroundSession>): JsonlFeatures {
  let batch: Promise<Batch> | undefined;
  let datasets: Promise<Datasets> | undefined;
  const loadBatch = (): Promise<Batch> => (batch ??= import('./batch/register').then((m) => m.registerBatch(s, playground)));
  const loadDatasets = (): Promise<Datasets> => (datasets ??= import('./datasets').then((m) => m.registerDatasets(s, playground)));
  const maybe = (doc: vscode.TextDocument): void => {
    if (!/\.jsonl$/i.test(doc.uri.path)) return;
    void loadBatch();
    void loadDatasets();
  };
  for (const doc of vscode.workspace.textDocuments) maybe(doc);
  s.context.subscriptions.push(vscode.workspace.onDidOpenTextDocument(maybe));
  return { batch: loadBatch, datasets: loadDatasets };
}
