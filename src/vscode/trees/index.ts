import * as vscode from 'vscode';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';
import { RUNS_VIEW_ID, RunsTreeProvider, type RunsNode } from './runsTree';

type CheckpointNode = Extract<RunsNode, { kind: 'checkpoint' }>;
type RunNode = Extract<RunsNode, { kind: 'run' }>;

/**
 * The "Training Runs" view in the MinT container and its commands. Registering costs nothing at
 * activation: the provider fetches only when VS Code asks for children of a visible view.
 *
 * Item commands take the node a menu hands them; without one (a keybinding, a test) they act on
 * the view's selection, so they work the same from the keyboard.
 */
export function registerRunsTree(s: Services, playground: () => Promise<PlaygroundSession>): void {
  const provider = new RunsTreeProvider(s);
  const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });

  const selected = <K extends RunsNode['kind']>(kind: K, arg: unknown): Extract<RunsNode, { kind: K }> | undefined => {
    const node = (isNode(arg) ? arg : view.selection[0]) as RunsNode | undefined;
    if (node?.kind === kind) return node as Extract<RunsNode, { kind: K }>;
    // A checkpoint's run is what "Copy Run ID" means on a checkpoint too.
    if (kind === 'run' && node?.kind === 'checkpoint') return { kind: 'run', run: node.run } as Extract<RunsNode, { kind: K }>;
    void vscode.window.showInformationMessage(`MinT: select a ${kind === 'run' ? 'training run' : 'checkpoint'} in the Training Runs view first.`);
    return undefined;
  };

  s.context.subscriptions.push(
    provider,
    view,
    vscode.commands.registerCommand('mint.runs.refresh', () => provider.refresh()),
    vscode.commands.registerCommand('mint.runs.loadMore', () => provider.loadMore()),
    vscode.commands.registerCommand('mint.runs.copyRunId', async (arg?: unknown) => {
      const node = selected('run', arg) as RunNode | undefined;
      if (!node) return;
      await vscode.env.clipboard.writeText(node.run.training_run_id);
      vscode.window.setStatusBarMessage(`$(clippy) MinT: run id ${node.run.training_run_id} copied`, 3000);
    }),
    vscode.commands.registerCommand('mint.runs.copyPath', async (arg?: unknown) => {
      const node = selected('checkpoint', arg) as CheckpointNode | undefined;
      if (!node) return;
      await vscode.env.clipboard.writeText(node.checkpoint.tinker_path);
      vscode.window.setStatusBarMessage(`$(clippy) MinT: ${node.checkpoint.tinker_path} copied`, 3000);
    }),
    vscode.commands.registerCommand('mint.runs.sampleCheckpoint', async (arg?: unknown) => {
      const node = selected('checkpoint', arg) as CheckpointNode | undefined;
      if (!node) return;
      const cp = node.checkpoint;
      if (cp.checkpoint_type !== 'sampler') {
        // weights/ holds optimizer state for resuming training; MinT's sampler cannot load it.
        void vscode.window.showWarningMessage(
          `MinT: ${cp.tinker_path} is a training checkpoint (weights/), which cannot be sampled. ` +
          'Save sampler weights from the same training client (save_weights_for_sampler("<name>")) and sample that sampler_weights/ checkpoint.',
        );
        return;
      }
      try {
        await (await playground()).select({ model_path: cp.tinker_path });
        await vscode.commands.executeCommand('mint.openPlayground');
      } catch (e) {
        s.presenter.present(e);
      }
    }),
    vscode.commands.registerCommand('mint.runs.deleteCheckpoint', async (arg?: unknown) => {
      const node = selected('checkpoint', arg) as CheckpointNode | undefined;
      if (!node) return;
      const path = node.checkpoint.tinker_path;
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
      await provider.refresh();
    }),
  );
}

function isNode(x: unknown): x is RunsNode {
  return typeof x === 'object' && x !== null && typeof (x as { kind?: unknown }).kind === 'string';
}
