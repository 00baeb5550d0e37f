import * as vscode from 'vscode';
import type { Checkpoint, TrainingRun } from '../../mint/schemas';
import type { ServiceClient } from '../../mint';
import { ACTIONS } from '../errorTable';
import type { OperationResult } from '../operations';
import type { Services } from '../services';
import { checkpointName, checkpointPath, formatSize, loraText, relativeTime, shortRunId } from './format';

export const RUNS_VIEW_ID = 'mint.runs';
/** The CLI's default page (`tinker run list --limit 20`). */
export const RUNS_PAGE = 20;

export type RunsNode =
  | { kind: 'run'; run: TrainingRun }
  | { kind: 'checkpoint'; run: TrainingRun; checkpoint: Checkpoint }
  | { kind: 'more' }
  | {
      kind: 'message';
      id: string;
      label: string;
      description?: string;
      tooltip: string;
      icon: string;
      command?: vscode.Command;
      parent?: RunsNode;
    };

interface RunsPage {
  runs: TrainingRun[];
  total: number | undefined;
  lastPageFull: boolean;
}
type Loaded<T> = OperationResult<T>;
type Failed = Extract<OperationResult<unknown>, { kind: 'failed' }>;

/**
 * Training runs (newest first, a page at a time) and, under each, its checkpoints.
 *
 * Nothing is fetched until VS Code asks for children, which it does only while the view is
 * visible; a server or key change just forgets what was loaded. A failure becomes one item that
 * says what to do; it reaches the error presenter (a toast) only when the user asked for the
 * refresh, so background loads never pop up notifications.
 */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private page: Loaded<RunsPage> | undefined;
  private loading: Promise<Loaded<RunsPage>> | undefined;
  private readonly checkpoints = new Map<string, Promise<Loaded<Checkpoint[]>>>();
  /** Bumped by every reset: a load begun for an older server must not land in the new tree. */
  private generation = 0;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly s: Services) {
    this.subscriptions.push(
      this.changed,
      s.clients.onDidChange(() => this.reset()),
    );
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
  }

  /** Forgets everything; the view reloads when (and only if) it is visible. */
  reset(): void {
    this.generation++;
    this.page = undefined;
    this.loading = undefined;
    this.checkpoints.clear();
    this.changed.fire(undefined);
  }

  /** The user's refresh: loads now, and a failure is presented as well as shown in the tree. */
  async refresh(): Promise<void> {
    this.reset();
    const generation = this.generation;
    await this.loadFirstPage(true);
    if (generation === this.generation) this.changed.fire(undefined);
  }

  async loadMore(): Promise<void> {
    const current = this.page;
    if (current?.kind !== 'ok') return this.refresh();
    const generation = this.generation;
    const next = await this.fetchRuns(current.value.runs.length, true);
    if (generation !== this.generation || this.page !== current) return;
    if (next.kind === 'ok') {
      const known = new Set(current.value.runs.map((r) => r.training_run_id));
      // A run that moved up since the first page (new activity) must not show twice.
      const fresh = next.value.runs.filter((r) => !known.has(r.training_run_id));
      this.page = {
        kind: 'ok',
        value: { runs: [...current.value.runs, ...fresh], total: next.value.total, lastPageFull: next.value.lastPageFull },
      };
    }
    this.changed.fire(undefined);
  }

  getParent(node: RunsNode): RunsNode | undefined {
    if (node.kind === 'checkpoint') return { kind: 'run', run: node.run };
    if (node.kind === 'message') return node.parent;
    return undefined;
  }

  async getChildren(node?: RunsNode): Promise<RunsNode[]> {
    if (!node) return this.rootChildren();
    if (node.kind !== 'run') return [];
    const run = node.run;
    let loading = this.checkpoints.get(run.training_run_id);
    if (!loading) {
      loading = this.fetchCheckpoints(run.training_run_id);
      this.checkpoints.set(run.training_run_id, loading);
    }
    const loaded = await loading;
    if (loaded.kind !== 'ok') {
      if (this.checkpoints.get(run.training_run_id) === loading) this.checkpoints.delete(run.training_run_id);
      return loaded.kind === 'failed'
        ? [this.failureItem(loaded, 'Could not list checkpoints', `checkpoints-error:${run.training_run_id}`, node)]
        : [];
    }
    if (loaded.value.length === 0) {
      return [
        {
          kind: 'message',
          id: `no-checkpoints:${run.training_run_id}`,
          label: 'No checkpoints',
          icon: 'circle-slash',
          parent: node,
          tooltip:
            'This run has saved no checkpoints yet. save_weights_for_sampler(name) makes one you can sample; save_state(name) one you can resume training from.',
        },
      ];
    }
    return loaded.value.map((checkpoint) => ({ kind: 'checkpoint', run, checkpoint }));
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    switch (node.kind) {
      case 'run':
        return runItem(node.run);
      case 'checkpoint':
        return checkpointItem(node.run, node.checkpoint);
      case 'more': {
        const item = new vscode.TreeItem('Load more…');
        item.id = 'load-more';
        item.iconPath = new vscode.ThemeIcon('ellipsis');
        const p = this.page?.kind === 'ok' ? this.page.value : undefined;
        if (p?.total !== undefined) item.description = `${p.runs.length} of ${p.total} shown`;
        item.tooltip = `Load the next ${RUNS_PAGE} training runs`;
        item.command = { command: 'mint.runs.loadMore', title: 'Load more' };
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.label);
        item.id = node.id;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        if (node.description) item.description = node.description;
        item.tooltip = node.tooltip;
        if (node.command) item.command = node.command;
        item.contextValue = 'mint.message';
        return item;
      }
    }
  }

  private async rootChildren(): Promise<RunsNode[]> {
    const loaded = this.page ?? (await this.loadFirstPage(false));
    if (loaded.kind === 'cancelled') return [];
    if (loaded.kind === 'failed') return [this.failureItem(loaded, 'Could not list training runs', 'runs-error')];
    const { runs, total, lastPageFull } = loaded.value;
    if (runs.length === 0) {
      return [
        {
          kind: 'message',
          id: 'no-runs',
          label: 'No training runs yet',
          icon: 'info',
          description: 'try examples/node/train-tiny-lora.mjs',
          // The example is the no-code way to a first checkpoint; the API call is for those writing code.
          tooltip:
            `${this.serverText()} has no training runs for this API key. To make one without writing code, run ` +
            '`node examples/node/train-tiny-lora.mjs` from the MinT for VS Code repository (it trains a few steps on the local emulator ' +
            'and saves a sampler checkpoint). In your own code a run appears once a LoRA training client is created ' +
            '(create_lora_training_client / createLoraTrainingClient). Refresh then.',
          command: { command: 'mint.runs.refresh', title: 'Refresh' },
        },
      ];
    }
    const nodes: RunsNode[] = runs.map((run) => ({ kind: 'run', run }));
    const more = total !== undefined ? runs.length < total : lastPageFull;
    if (more) nodes.push({ kind: 'more' });
    return nodes;
  }

  private loadFirstPage(explicit: boolean): Promise<Loaded<RunsPage>> {
    if (this.loading && !explicit) return this.loading;
    const generation = this.generation;
    const p = this.fetchRuns(0, explicit).then((loaded) => {
      if (generation === this.generation) this.page = loaded;
      return loaded;
    });
    this.loading = p;
    return p;
  }

  private async fetchRuns(offset: number, explicit: boolean): Promise<Loaded<RunsPage>> {
    return this.attempt(`listing training runs from offset ${offset}`, explicit, async (client) => {
      const res = await client.createRestClient().listTrainingRuns({ limit: RUNS_PAGE, offset });
      return { runs: res.training_runs, total: res.cursor?.total_count ?? undefined, lastPageFull: res.training_runs.length >= RUNS_PAGE };
    });
  }

  private fetchCheckpoints(runId: string): Promise<Loaded<Checkpoint[]>> {
    // Expanding a run is not a refresh: a failure shows under the run and in the log only.
    return this.attempt(`listing checkpoints of ${runId}`, false, async (client) => {
      // Newest first as the client orders them (time, then step); re-sorting the text of times would undo it.
      return client.createRestClient().listCheckpoints(runId);
    });
  }

  /** A load the user asked for (refresh, load more) shows its failure as a toast too; a background one only in the tree. */
  private attempt<T>(what: string, explicit: boolean, fn: (client: ServiceClient) => Promise<T>): Promise<Loaded<T>> {
    return this.s.operations.attempt(`training runs view: ${what}`, ({ client }) => fn(client), {
      quiet: !explicit,
      retry: () => this.refresh(),
    });
  }

  /** One item that names the problem and, on click, runs its fix; the full text is its tooltip. */
  private failureItem(failed: Failed, fallback: string, id: string, parent?: RunsNode): RunsNode {
    const d = failed.error;
    const label = d.short?.label ?? fallback;
    const description = d.short?.hint ?? d.statusText;
    const icon = d.short?.icon ?? 'error';
    // The first action fixes it on click; Retry here means loading the list again.
    const first = d.actions.find((a) => a === 'Retry' || (a !== 'Copy request_id' && ACTIONS[a].command !== undefined));
    const fix = first && first !== 'Retry' ? ACTIONS[first] : undefined;
    const command: vscode.Command = fix?.command
      ? { command: fix.command, title: label, ...(fix.args ? { arguments: fix.args } : {}) }
      : { command: 'mint.runs.refresh', title: label };
    const verb = fix ? fix.verb : 'refresh the list';
    return {
      kind: 'message',
      id,
      label,
      description,
      tooltip: `${d.message}\n\nClick to ${verb}.`,
      icon,
      command,
      ...(parent ? { parent } : {}),
    };
  }

  private serverText(): string {
    const url = this.s.clients.server()?.url;
    if (!url) return 'The MinT server';
    try {
      return new URL(url).host;
    } catch {
      return url;
    }
  }
}

function runItem(run: TrainingRun): vscode.TreeItem {
  const item = new vscode.TreeItem(`${shortRunId(run.training_run_id)} · ${run.base_model}`, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = `run:${run.training_run_id}`;
  const status = run.corrupted ? 'Failed' : 'OK';
  item.description = `${run.corrupted ? 'Failed · ' : ''}${loraText(run)} · ${relativeTime(run.last_request_time)}`;
  item.iconPath = run.corrupted
    ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'))
    : new vscode.ThemeIcon('beaker');
  const lines = [
    `Run ID: ${run.training_run_id}`,
    `Base Model: ${run.base_model}`,
    `Owner: ${run.model_owner ?? 'N/A'}`,
    `LoRA: ${loraText(run)}`,
    `Last Update: ${relativeTime(run.last_request_time)}${run.last_request_time ? ` (${run.last_request_time})` : ''}`,
    `Status: ${status}${run.corrupted ? ' (the run is marked corrupted: its checkpoints may not load)' : ''}`,
    ...checkpointLines('Last Training Checkpoint', run.last_checkpoint),
    ...checkpointLines('Last Sampler Checkpoint', run.last_sampler_checkpoint),
  ];
  const meta = Object.entries(run.user_metadata ?? {});
  if (meta.length) lines.push('Metadata:', ...meta.map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`));
  item.tooltip = lines.join('\n');
  item.contextValue = run.corrupted ? 'mint.run.corrupted' : 'mint.run';
  return item;
}

/** Only servers that fill these in get the lines: MinT leaves them null (expand the run for its checkpoints). */
function checkpointLines(title: string, cp: Checkpoint | null | undefined): string[] {
  if (!cp) return [];
  return [
    `${title}: ${checkpointName(cp.checkpoint_id)}`,
    `${title} Time: ${relativeTime(cp.time)}`,
    `${title} Path: ${checkpointPath(cp)}`,
  ];
}

function checkpointItem(run: TrainingRun, cp: Checkpoint): vscode.TreeItem {
  const sampler = cp.checkpoint_type === 'sampler';
  const item = new vscode.TreeItem(checkpointName(cp.checkpoint_id));
  item.id = `checkpoint:${checkpointPath(cp)}`;
  item.iconPath = new vscode.ThemeIcon(sampler ? 'package' : 'save');
  item.description = `${cp.checkpoint_type} · ${formatSize(cp.size_bytes)} · ${relativeTime(cp.time)}`;
  item.tooltip = [
    checkpointPath(cp),
    `Checkpoint ID: ${cp.checkpoint_id}`,
    `Type: ${cp.checkpoint_type}${sampler ? ' (sample it, download it)' : ' (training state: resume training with load_state)'}`,
    `Size: ${formatSize(cp.size_bytes)}`,
    `Public: ${cp.public ? 'Yes' : 'No'}`,
    `Created: ${relativeTime(cp.time)}${cp.time ? ` (${cp.time})` : ''}`,
    `Expires: ${cp.expires_at ?? 'Never'}`,
    `Training Run ID: ${run.training_run_id}`,
  ].join('\n');
  item.contextValue = sampler ? 'mint.checkpoint.sampler' : 'mint.checkpoint.training';
  return item;
}
