/**
 * Local runs and their dashboard, wired at activation: the "Local Runs" view is registered now,
 * the dashboard (zod, the run parsers) is loaded the first time one is opened.
 */
import * as vscode from 'vscode';
import type { RunFolder } from '../../runs/index';
import { registerLocalRuns, sampleLocalCheckpoint, type LocalRunNode, type LocalRunsProvider } from '../localRuns';
import type { PlaygroundSession } from '../playground/session';
import type { Services } from '../services';
import type { RunDashboard } from './panel';

export interface LocalRuns {
  provider: LocalRunsProvider;
  dashboard(): Promise<RunDashboard>;
  /** Opens the dashboard on a run: a Local Runs item, a run folder path or URI; else the newest run. */
  open(arg: unknown): Promise<void>;
  sampleCheckpoint(arg: unknown): Promise<void>;
}

export function registerRunDashboard(s: Services, playground: () => Promise<PlaygroundSession>): LocalRuns {
  const provider = registerLocalRuns(s);
  let dashboard: Promise<RunDashboard> | undefined;
  const get = (): Promise<RunDashboard> =>
    (dashboard ??= import('./panel').then(({ RunDashboard }) => {
      const d = new RunDashboard(s, {
        listRuns: () => provider.list(),
        openCheckpoint: (run, samplerPath) =>
          sampleLocalCheckpoint({ kind: 'checkpoint', run, checkpoint: { samplerPath, final: false, row: 0 } }, playground),
      });
      s.context.subscriptions.push(d);
      return d;
    }));
  return {
    provider,
    dashboard: get,
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
      // A path given: the list may not know the run yet (it was just made), so look again.
      if (path && !(await provider.list()).some((r: RunFolder) => r.path === path)) provider.refresh();
      await (await get()).show(path ? [path] : []);
    },
    sampleCheckpoint: (arg) => sampleLocalCheckpoint(arg, playground),
  };
}
