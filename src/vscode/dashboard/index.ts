/**
 * Local runs and their dashboard, wired at activation: the "Local Runs" view is registered now
 * with a thin provider; the run discovery, the dashboard and their parsers are loaded the first
 * time the view is shown or a command needs them.
 */
import * as vscode from 'vscode';
import type { RunFolder } from '../../runs/index';
import type { LocalRunNode, LocalRunsProvider } from '../localRuns';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';
import type { RunDashboard } from './panel';

export const LOCAL_RUNS_VIEW_ID = 'mint.localRuns';

export interface LocalRuns {
  provider(): Promise<LocalRunsProvider>;
  dashboard(): Promise<RunDashboard>;
  /** Opens the dashboard on a run: a Local Runs item, a run folder path or URI; else the newest run. */
  open(arg: unknown): Promise<void>;
  sampleCheckpoint(arg: unknown): Promise<void>;
  refresh(): void;
}

export function registerRunDashboard(s: Services, playground: () => Promise<PlaygroundSession>): LocalRuns {
  const changed = new vscode.EventEmitter<LocalRunNode | undefined>();
  let provider: Promise<LocalRunsProvider> | undefined;
  const getProvider = (): Promise<LocalRunsProvider> =>
    (provider ??= import('../localRuns').then(({ LocalRunsProvider }) => {
      const p = new LocalRunsProvider(s);
      s.context.subscriptions.push(
        p,
        p.onDidChangeTreeData((e) => changed.fire(e)),
      );
      return p;
    }));
  const view = vscode.window.createTreeView<LocalRunNode>(LOCAL_RUNS_VIEW_ID, {
    treeDataProvider: {
      onDidChangeTreeData: changed.event,
      getTreeItem: async (n) => (await getProvider()).getTreeItem(n),
      getChildren: async (n) => (await getProvider()).getChildren(n),
    },
    showCollapseAll: true,
  });
  s.context.subscriptions.push(view, changed);
  const sample = async (arg: unknown) => (await import('../localRuns')).sampleLocalCheckpoint(arg, playground);

  let dashboard: Promise<RunDashboard> | undefined;
  const getDashboard = (): Promise<RunDashboard> =>
    (dashboard ??= Promise.all([import('./panel'), getProvider()]).then(([{ RunDashboard }, p]) => {
      const d = new RunDashboard(s, {
        listRuns: () => p.list(),
        openCheckpoint: (run, samplerPath) => sample({ kind: 'checkpoint', run, checkpoint: { samplerPath, final: false, row: 0 } }),
      });
      s.context.subscriptions.push(d);
      return d;
    }));
  return {
    provider: getProvider,
    dashboard: getDashboard,
    async open(arg) {
      const n = arg as LocalRunNode | undefined;
      const path =
        n && typeof n === 'object' && 'kind' in n && n.kind !== 'message'
          ? n.run.path
          : arg instanceof vscode.Uri
            ? arg.fsPath
            : typeof arg === 'string'
              ? arg
              : undefined;
      const p = await getProvider();
      // A path given: the list may not know the run yet (it was just made), so look again.
      if (path && !(await p.list()).some((r: RunFolder) => r.path === path)) p.refresh();
      await (await getDashboard()).show(path ? [path] : []);
    },
    sampleCheckpoint: sample,
    refresh: () => void getProvider().then((p) => p.refresh()),
  };
}
