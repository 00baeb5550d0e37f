import * as vscode from 'vscode';
import type { Services } from '../services';
import { RUNS_VIEW_ID, RunsTreeProvider, type RunsNode } from './runsTree';

/** The Training Runs view, for its commands (src/vscode/commands/runs.ts). */
export interface RunsView {
  provider: RunsTreeProvider;
  /** The node a menu handed over, else the view's selection; explains itself when it is of another kind. */
  selected<K extends RunsNode['kind']>(kind: K, arg: unknown): Extract<RunsNode, { kind: K }> | undefined;
}

/**
 * The "Training Runs" view in the MinT container. Registering costs nothing at activation: the
 * provider fetches only when VS Code asks for children of a visible view.
 *
 * Item commands take the node a menu hands them; without one (a keybinding, a test) they act on
 * the view's selection, so they work the same from the keyboard.
 */
export function registerRunsTree(s: Services): RunsView {
  const provider = new RunsTreeProvider(s);
  const view = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  s.context.subscriptions.push(provider, view);
  return {
    provider,
    selected<K extends RunsNode['kind']>(kind: K, arg: unknown): Extract<RunsNode, { kind: K }> | undefined {
      const node = (isNode(arg) ? arg : view.selection[0]) as RunsNode | undefined;
      if (node?.kind === kind) return node as Extract<RunsNode, { kind: K }>;
      // A checkpoint's run is what "Copy Run ID" means on a checkpoint too.
      if (kind === 'run' && node?.kind === 'checkpoint') return { kind: 'run', run: node.run } as Extract<RunsNode, { kind: K }>;
      void vscode.window.showInformationMessage(
        `MinT: select a ${kind === 'run' ? 'training run' : 'checkpoint'} in the Training Runs view first.`,
      );
      return undefined;
    },
  };
}

function isNode(x: unknown): x is RunsNode {
  return typeof x === 'object' && x !== null && typeof (x as { kind?: unknown }).kind === 'string';
}
