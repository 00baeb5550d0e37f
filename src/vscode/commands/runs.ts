import * as vscode from 'vscode';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';
import type { RunsView } from '../trees';
import { checkpointPath } from '../trees/format';

/** The Training Runs view's item commands. Each takes the node a menu hands it, else the selection. */

export async function copyRunId(runs: RunsView, arg: unknown): Promise<void> {
  const node = runs.selected('run', arg);
  if (!node) return;
  await vscode.env.clipboard.writeText(node.run.training_run_id);
  vscode.window.setStatusBarMessage(`$(clippy) MinT: run id ${node.run.training_run_id} copied`, 3000);
}

export async function copyCheckpointPath(runs: RunsView, arg: unknown): Promise<void> {
  const node = runs.selected('checkpoint', arg);
  if (!node) return;
  await vscode.env.clipboard.writeText(checkpointPath(node.checkpoint));
  vscode.window.setStatusBarMessage(`$(clippy) MinT: ${checkpointPath(node.checkpoint)} copied`, 3000);
}

export async function sampleCheckpoint(runs: RunsView, playground: () => Promise<PlaygroundSession>, arg: unknown): Promise<void> {
  const node = runs.selected('checkpoint', arg);
  if (!node) return;
  const cp = node.checkpoint;
  if (cp.checkpoint_type !== 'sampler') {
    // weights/ holds optimizer state for resuming training; MinT's sampler cannot load it.
    void vscode.window.showWarningMessage(
      `MinT: ${checkpointPath(cp)} is a training checkpoint (weights/), which cannot be sampled. ` +
        'Save sampler weights from the same training client (save_weights_for_sampler("<name>") in Python, saveWeightsForSampler("<name>") in TypeScript) and sample that sampler_weights/ checkpoint.',
    );
    return;
  }
  // A compare column, not a replacement: "this checkpoint against the model I had" is what people want next.
  await (await playground()).addTarget({ model_path: checkpointPath(cp) });
  await vscode.commands.executeCommand('mint.openPlayground');
}

export async function deleteCheckpoint(s: Services, runs: RunsView, arg: unknown): Promise<void> {
  const node = runs.selected('checkpoint', arg);
  if (!node) return;
  const path = checkpointPath(node.checkpoint);
  const pick = await vscode.window.showWarningMessage(
    `Delete the checkpoint ${path}?`,
    { modal: true, detail: 'MinT deletes it on the server. This cannot be undone.' },
    'Delete',
  );
  if (pick !== 'Delete') return;
  const done = await s.operations.run(`Delete checkpoint ${path}`, async ({ client }, t) => {
    await client.createRestClient().deleteCheckpoint(path, { signal: t.signal });
    return true;
  });
  if (!done) return;
  s.log.info('client', `deleted checkpoint ${path}`);
  vscode.window.setStatusBarMessage(`$(trash) MinT: deleted ${path}`, 5000);
  // The run's "last checkpoint" fields change too: reload the whole list, not just this run.
  await runs.provider.refresh();
}
