/**
 * "Local Runs": training run folders in the workspace (tinker-cookbook log_path layout,
 * mint-cookbook artifacts/runs/*, and MinT: Fine-tune's own), beside the server's Training Runs.
 * Each run shows its status (run.json, the last progress, or file activity) and its checkpoints;
 * a sampler checkpoint opens in the playground beside its base model; a run opens its dashboard.
 * Run files changing on disk refresh the view (debounced).
 */
import * as vscode from 'vscode';
import type { CheckpointRecord, RunFolder } from '../runs/index';
import type { PlaygroundSession } from './playground/session';
import type { Services } from './services';

export type LocalRunNode =
  | { kind: 'run'; run: RunFolder }
  | { kind: 'checkpoint'; run: RunFolder; checkpoint: CheckpointRecord }
  | { kind: 'message'; label: string; tooltip?: string };

const STATUS_ICON: Record<string, [string, string | undefined]> = {
  running: ['sync~spin', 'charts.blue'],
  'running?': ['warning', 'charts.yellow'],
  completed: ['pass', 'charts.green'],
  failed: ['error', 'charts.red'],
  cancelled: ['circle-slash', undefined],
  'stopped?': ['question', undefined],
};

export class LocalRunsProvider implements vscode.TreeDataProvider<LocalRunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<LocalRunNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private runs: Promise<RunFolder[]> | undefined;
  private readonly watcher: vscode.FileSystemWatcher;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly s: Services) {
    this.watcher = vscode.workspace.createFileSystemWatcher('**/{metrics.jsonl,run.json,checkpoints.jsonl,config.json}');
    const soon = () => this.refreshSoon();
    this.watcher.onDidCreate(soon);
    this.watcher.onDidDelete(soon);
    // A run appends to metrics.jsonl every step: that changes no status (run.json and checkpoints do).
    this.watcher.onDidChange((u) => {
      if (/(^|\/)(run\.json|checkpoints\.jsonl)$/.test(u.path)) soon();
    });
  }

  /** The runs found now (tests, the dashboard's run picker). */
  list(): Promise<RunFolder[]> {
    return (this.runs ??= this.discover());
  }

  refresh(): void {
    this.runs = undefined;
    this.changed.fire(undefined);
  }

  private refreshSoon(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), 500);
  }

  private async discover(): Promise<RunFolder[]> {
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    if (!roots.length) return [];
    const { discoverRuns } = await import('../runs/index');
    try {
      return await discoverRuns(roots);
    } catch (e) {
      this.s.log.warn('datasets', `could not search the workspace for run folders: ${(e as Error).message}`);
      return [];
    }
  }

  getTreeItem(node: LocalRunNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.label);
      item.tooltip = node.tooltip;
      item.iconPath = new vscode.ThemeIcon('info');
      return item;
    }
    if (node.kind === 'checkpoint') {
      const cp = node.checkpoint;
      const item = new vscode.TreeItem(`${cp.name ?? 'checkpoint'}${cp.final ? ' (final)' : ''}`);
      item.description = [cp.step !== undefined ? `step ${cp.step}` : undefined, cp.epoch !== undefined ? `epoch ${cp.epoch}` : undefined]
        .filter(Boolean)
        .join(' · ');
      item.tooltip = [cp.samplerPath && `sampler: ${cp.samplerPath}`, cp.statePath && `state: ${cp.statePath}`].filter(Boolean).join('\n');
      item.iconPath = new vscode.ThemeIcon(cp.samplerPath ? 'beaker' : 'save');
      item.contextValue = cp.samplerPath ? 'mint.localCheckpoint.sampler' : 'mint.localCheckpoint';
      if (cp.samplerPath) item.command = { command: 'mint.localRuns.sampleCheckpoint', title: 'Sample in Playground', arguments: [node] };
      return item;
    }
    const run = node.run;
    const label = statusLabel(run);
    const item = new vscode.TreeItem(
      run.name,
      run.files.checkpoints ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `run:${run.path}`;
    const [icon, color] = STATUS_ICON[label] ?? ['circle-outline', undefined];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.description = [label, run.progress !== undefined ? `${Math.round(run.progress * 100)} %` : undefined].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(
      [
        `**${run.name}** (${run.layout})`,
        `status: ${label} (from ${run.statusFrom})${run.error ? ` — ${run.error}` : ''}`,
        run.startedAt ? `started: ${new Date(run.startedAt).toLocaleString()}` : undefined,
        run.updatedAt ? `last written: ${new Date(run.updatedAt).toLocaleString()}` : undefined,
        `\`${run.path}\``,
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    item.contextValue = 'mint.localRun';
    item.command = { command: 'mint.openRunDashboard', title: 'Open Run Dashboard', arguments: [node] };
    return item;
  }

  async getChildren(node?: LocalRunNode): Promise<LocalRunNode[]> {
    if (!node) {
      const runs = await this.list();
      if (!runs.length)
        return [
          {
            kind: 'message',
            label: 'No run folders in this workspace',
            tooltip:
              'Runs appear here when a folder holds metrics.jsonl (tinker-cookbook log_path), train/metrics.jsonl or run.json (mint-cookbook artifacts/runs/*). MinT: Fine-tune on This Dataset writes one under runs/.',
          },
        ];
      // Newest first: the run you just started is the one you want.
      return [...runs].sort((a, b) => (b.updatedAt ?? 0) - (a.updatedAt ?? 0)).map((run) => ({ kind: 'run', run }));
    }
    if (node.kind !== 'run' || !node.run.files.checkpoints) return [];
    const { JsonlTail, parseCheckpoints } = await import('../runs/index');
    const { rows } = await new JsonlTail(node.run.files.checkpoints).read();
    const { items } = parseCheckpoints(rows);
    return items.map((checkpoint) => ({ kind: 'checkpoint', run: node.run, checkpoint }));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.watcher.dispose();
    this.changed.dispose();
  }
}

function statusLabel(run: RunFolder): string {
  if (run.status === 'running' && run.stale) return 'running?';
  if (run.status === 'unknown') return 'stopped?';
  return run.status;
}

/** A local checkpoint in the playground, as a column beside the model it was trained from. */
export async function sampleLocalCheckpoint(node: unknown, playground: () => Promise<PlaygroundSession>): Promise<void> {
  const n = node as LocalRunNode | undefined;
  if (n?.kind !== 'checkpoint' || !n.checkpoint.samplerPath) {
    void vscode.window.showInformationMessage('MinT: pick a sampler checkpoint (one with a sampler_path) in Local Runs.');
    return;
  }
  const session = await playground();
  // Beside the model it was trained from, when the run's config names it: what did training change?
  const base = await baseModelOfRun(n.run);
  if (base) await session.addTarget({ base_model: base });
  await session.addTarget({ model_path: n.checkpoint.samplerPath });
  await vscode.commands.executeCommand('mint.openPlayground');
}

/** The base model a run's config.json (or mint-cookbook run.json args) names, if any. */
export async function baseModelOfRun(run: RunFolder): Promise<string | undefined> {
  const { readFile } = await import('node:fs/promises');
  for (const file of [run.files.config, run.files.runJson]) {
    if (!file) continue;
    try {
      const v = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      const args = (v.args ?? {}) as Record<string, unknown>;
      for (const k of ['base_model', 'model_name', 'base-model', 'model']) {
        const m = v[k] ?? args[k];
        if (typeof m === 'string' && m && !m.includes('://')) return m;
      }
    } catch {
      // Unreadable config: no base column.
    }
  }
  return undefined;
}
