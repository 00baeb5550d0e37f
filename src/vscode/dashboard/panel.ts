/**
 * The run dashboard's host side (protocol: src/shared/dashboard.ts): one editor panel that charts
 * the metrics of 1–8 local run folders, live. Each selected run's metrics.jsonl is read once and
 * then tailed (only appended bytes are read: a file watcher and a 1 s poll both trigger a read),
 * and new rows go to the page as `append`. Checkpoint markers come from checkpoints.jsonl; a
 * sampler checkpoint's marker opens the playground beside the run's base model.
 */
import { promises as fs, watch, type FSWatcher } from 'node:fs';
import * as vscode from 'vscode';
import {
  DEFAULT_SETTINGS,
  DashboardToHostSchema,
  GROUP_NAMES,
  groupOf,
  orderKeys,
  type GroupName,
  type HostToDashboard,
  type RunInfo,
  type Settings,
} from '../../shared/dashboard';
import {
  JsonlTail,
  MetricsSeries,
  diffConfigs,
  downsample,
  parseCheckpoints,
  parsePeriodicEval,
  parseRolloutSummaries,
  parseRollouts,
  rewardsOf,
  runConfig,
  iterationOf,
  type RunFolder,
} from '../../runs/index';
import { pageHtml } from '../playground/provider';
import type { Services } from '../services';

const PANEL_TYPE = 'mint.runDashboard';
/** Points per series sent to the page: the page draws a few thousand fast, 100,000 is for nobody. */
const MAX_POINTS = 4_000;
const POLL_MS = 1_000;

interface Watched {
  run: RunFolder;
  series: MetricsSeries;
  tail: JsonlTail;
  firstTime: number | undefined;
  watcher: FSWatcher | undefined;
  reading: Promise<void> | undefined;
}

export interface DashboardDeps {
  listRuns(): Promise<RunFolder[]>;
  openCheckpoint(run: RunFolder, samplerPath: string): Promise<void>;
}

export class RunDashboard implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private runs: RunFolder[] = [];
  private selected: string[] = [];
  private settings: Settings = { ...DEFAULT_SETTINGS };
  private readonly watched = new Map<string, Watched>();
  private readonly warnedAxis = new Set<string>();
  private poll: NodeJS.Timeout | undefined;
  private readonly posted = new vscode.EventEmitter<HostToDashboard>();
  /** Every message sent to the page (tests watch the live updates). */
  readonly onDidPost = this.posted.event;

  constructor(
    private readonly s: Services,
    private readonly deps: DashboardDeps,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  private showing: Promise<void> = Promise.resolve();

  /** Opens (or shows) the dashboard with these runs selected (at most 8). Calls queue: one panel, ever. */
  show(runPaths: string[]): Promise<void> {
    this.showing = this.showing
      .then(() => this.doShow(runPaths))
      .catch((e: unknown) => {
        this.s.log.error('datasets', `the run dashboard could not open: ${String(e)}`);
      });
    return this.showing;
  }

  private async doShow(runPaths: string[]): Promise<void> {
    this.runs = await this.deps.listRuns();
    const known = runPaths.filter((p) => this.runs.some((r) => r.path === p));
    this.selected = (known.length ? known : this.runs.slice(0, 1).map((r) => r.path)).slice(0, 8);
    if (this.panel) {
      this.panel.reveal();
      await this.sendAll();
      return;
    }
    const dist = vscode.Uri.joinPath(this.s.context.extensionUri, 'dist');
    this.panel = vscode.window.createWebviewPanel(PANEL_TYPE, 'MinT Runs', vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [dist],
    });
    this.panel.iconPath = vscode.Uri.joinPath(this.s.context.extensionUri, 'media', 'mint.svg');
    this.panel.webview.html = this.html(this.panel.webview);
    const panel = this.panel;
    panel.webview.onDidReceiveMessage((m: unknown) =>
      this.onMessage(m).catch((e: unknown) => {
        // A failed export write, an unreadable samples file: said in the page, not lost.
        this.s.log.warn('datasets', `dashboard: ${String(e)}`);
        this.post({ type: 'notice', level: 'error', message: (e as Error)?.message ?? String(e) });
      }),
    );
    panel.onDidDispose(() => {
      if (this.panel !== panel) return;
      this.panel = undefined;
      this.stopWatching();
    });
    this.poll = setInterval(() => void this.readAll(), POLL_MS);
  }

  private html(webview: vscode.Webview): string {
    const asset = (f: string) => vscode.Uri.joinPath(this.s.context.extensionUri, 'dist', 'webview', f);
    return pageHtml(webview, { script: asset('dashboard.js'), style: asset('dashboard.css'), title: 'MinT Runs' });
  }

  private post(m: HostToDashboard): void {
    void this.panel?.webview.postMessage(m);
    this.posted.fire(m);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const parsed = DashboardToHostSchema.safeParse(raw);
    if (!parsed.success) {
      this.s.log.warn('datasets', `dashboard: dropped a message that does not fit the protocol (${parsed.error.issues[0]?.message ?? ''})`);
      return;
    }
    const m = parsed.data;
    switch (m.type) {
      case 'ready':
        return this.sendAll();
      case 'select': {
        this.selected = m.runIds.filter((id) => this.runs.some((r) => r.path === id));
        for (const id of [...this.watched.keys()]) if (!this.selected.includes(id)) this.unwatch(id);
        for (const id of this.selected) if (!this.watched.has(id)) await this.sendRun(id);
        return;
      }
      case 'settings': {
        const xChanged = m.settings.xKey !== this.settings.xKey;
        this.settings = m.settings;
        if (xChanged) for (const id of this.selected) this.sendSeries(id);
        return;
      }
      case 'openCheckpoint': {
        const run = this.runs.find((r) => r.path === m.runId);
        if (run) await this.deps.openCheckpoint(run, m.sampler_path);
        return;
      }
      case 'requestSamples':
        return this.sendSamples(m.runId, m.kind, m.step);
      case 'requestConfigDiff':
        return this.sendConfigDiff(m.a, m.b);
      case 'export':
        return this.exportChart(m.format, m.key, m.format === 'png' ? m.dataUrl : m.svg);
    }
  }

  private async sendAll(): Promise<void> {
    this.stopWatching(false);
    for (const id of this.selected) await this.load(id);
    this.post({ type: 'init', runs: this.runs.map(info), selected: this.selected, groups: this.groups(), settings: this.settings });
    for (const id of this.selected) this.sendRunData(id);
  }

  private async sendRun(id: string): Promise<void> {
    await this.load(id);
    // New keys may have come with this run: the groups change too.
    this.post({ type: 'init', runs: this.runs.map(info), selected: this.selected, groups: this.groups(), settings: this.settings });
    this.sendRunData(id);
  }

  private sendRunData(id: string): void {
    const w = this.watched.get(id);
    if (!w) return;
    this.sendSeries(id);
    void this.sendCheckpoints(w);
    this.post({ type: 'status', runId: id, status: statusOf(w.run), updatedAt: new Date(w.run.updatedAt ?? Date.now()).toISOString() });
  }

  private groups(): { name: GroupName; keys: string[] }[] {
    const byGroup = new Map<GroupName, string[]>();
    for (const w of this.watched.values()) {
      for (const key of w.series.keys()) {
        const g = groupOf(key);
        const list = byGroup.get(g) ?? [];
        if (!list.includes(key)) list.push(key);
        byGroup.set(g, list);
      }
    }
    return GROUP_NAMES.filter((g) => byGroup.has(g)).map((name) => ({ name, keys: orderKeys(byGroup.get(name)!).slice(0, 5000) }));
  }

  /** Reads a run's metrics from the start and starts watching the file for appended rows. */
  private async load(id: string): Promise<void> {
    if (this.watched.has(id)) return;
    const run = this.runs.find((r) => r.path === id);
    if (!run) return;
    const series = new MetricsSeries();
    const w: Watched = {
      run,
      series,
      tail: new JsonlTail(run.files.metrics ?? `${run.path}/metrics.jsonl`),
      firstTime: undefined,
      watcher: undefined,
      reading: undefined,
    };
    this.watched.set(id, w);
    const first = await w.tail.read();
    series.append(first.rows);
    if (first.bad.length)
      this.post({
        type: 'notice',
        level: 'warning',
        message: `${run.name}: ${first.bad.length} line(s) of metrics.jsonl are not JSON (first: line ${first.bad[0]!.line})`,
      });
    if (run.files.metrics) {
      try {
        w.watcher = watch(run.files.metrics, () => void this.read(w));
      } catch {
        // The poll still reads it.
      }
    }
  }

  private sendSeries(id: string): void {
    const w = this.watched.get(id);
    if (!w) return;
    let reset = true;
    for (const key of w.series.keys()) {
      const s = this.seriesOf(w, key);
      if (!s) continue;
      const d = downsample(s.x, s.y, MAX_POINTS);
      this.post({
        type: 'series',
        runId: id,
        key,
        x: [...d.x],
        y: [...d.y].map((v) => (Number.isFinite(v) ? v : null)),
        ...(reset ? { reset: true } : {}),
      });
      reset = false;
    }
  }

  private seriesOf(w: Watched, key: string): { x: Float64Array; y: Float64Array } | undefined {
    return w.series.series(key, this.axisOf(w));
  }

  /**
   * The column x comes from: progress (0..1), elapsed seconds (`time/total`, as the cookbooks
   * log it), else the step. A run without the column the user chose says so, once.
   */
  private axisOf(w: Watched): string {
    const want = this.settings.xKey === 'progress' ? 'progress' : this.settings.xKey === 'time' ? 'time/total' : 'step';
    if (want === 'step' || w.series.has(want)) return want;
    if (!this.warnedAxis.has(`${w.run.path}|${want}`)) {
      this.warnedAxis.add(`${w.run.path}|${want}`);
      this.post({ type: 'notice', level: 'info', message: `${w.run.name} has no ${want} column: it is drawn against its steps.` });
    }
    return 'step';
  }

  private async readAll(): Promise<void> {
    for (const w of this.watched.values()) await this.read(w);
  }

  /** New rows of one run's metrics, as `append` (or the whole series again when the file started over). */
  private read(w: Watched): Promise<void> {
    w.reading ??= (async () => {
      try {
        const r = await w.tail.read();
        if (r.reset) {
          w.series.reset();
          w.series.append(r.rows);
          this.sendSeries(w.run.path);
          return;
        }
        if (!r.rows.length) return;
        const before = w.series.length;
        w.series.append(r.rows);
        const added = w.series.length - before;
        if (added <= 0) return;
        const keys = w.series.keys();
        const x = w.series.x();
        const rows: { x: number; values: Record<string, number | null> }[] = [];
        for (let i = before; i < w.series.length; i++) {
          const values: Record<string, number | null> = {};
          for (const key of keys) {
            const col = w.series.column(key);
            const v = col?.[i];
            if (v !== undefined && !Number.isNaN(v)) values[key] = Number.isFinite(v) ? v : null;
          }
          const axis = this.axisOf(w);
          const px = axis === 'step' ? x[i]! : w.series.column(axis)![i]!;
          rows.push({ x: Number.isFinite(px) ? px : i, values });
        }
        // A run dropped or reloaded while this read was in flight: its rows belong to no chart now.
        if (this.watched.get(w.run.path) !== w) return;
        this.post({ type: 'append', runId: w.run.path, rows });
        if (w.run.files.checkpoints) void this.sendCheckpoints(w);
        w.run = { ...w.run, status: 'running', updatedAt: Date.now() };
      } catch (e) {
        this.s.log.debug('datasets', `dashboard: could not read ${w.run.name}: ${(e as Error).message}`);
      } finally {
        w.reading = undefined;
      }
    })();
    return w.reading;
  }

  private async sendCheckpoints(w: Watched): Promise<void> {
    const file = w.run.files.checkpoints;
    if (!file) return;
    const { rows } = await new JsonlTail(file).read();
    const items = parseCheckpoints(rows).items.filter((c) => c.step !== undefined);
    this.post({
      type: 'checkpoints',
      runId: w.run.path,
      items: items.map((c) => ({
        name: c.name ?? `step ${c.step}`,
        step: c.step!,
        ...(c.samplerPath ? { sampler_path: c.samplerPath } : {}),
        ...(c.statePath ? { state_path: c.statePath } : {}),
        ...(c.final ? { final: true } : {}),
      })),
    });
  }

  private async sendSamples(id: string, kind: 'eval' | 'rollouts', step: number | undefined): Promise<void> {
    const run = this.runs.find((r) => r.path === id);
    if (!run) return;
    const steps: {
      step: number;
      items: { id?: string; prompt?: string; prediction?: string; expected?: string; correct?: boolean; reward?: number; text?: string }[];
      rewards?: number[];
    }[] = [];
    if (kind === 'eval' && run.files.periodicEval) {
      const { rows } = await new JsonlTail(run.files.periodicEval).read();
      for (const e of parsePeriodicEval(rows).items) {
        steps.push({
          step: e.step ?? e.row,
          items: e.samples.map((x) => ({
            ...(x.id !== undefined ? { id: x.id } : {}),
            ...(x.prediction !== undefined ? { prediction: x.prediction } : {}),
            ...(x.expected !== undefined ? { expected: x.expected } : {}),
            ...(x.correct !== undefined ? { correct: x.correct } : {}),
            ...(x.assistantText !== undefined ? { text: x.assistantText } : {}),
          })),
        });
      }
    } else if (kind === 'rollouts' && run.files.rollouts) {
      const { rows } = await new JsonlTail(run.files.rollouts).read();
      const groups = parseRollouts(rows).items;
      const bySteps = new Map<number, typeof groups>();
      for (const g of groups) bySteps.set(g.step ?? 0, [...(bySteps.get(g.step ?? 0) ?? []), g]);
      for (const [s, gs] of bySteps)
        steps.push({
          step: s,
          items: gs.map((g) => ({
            ...(g.id !== undefined ? { id: g.id } : {}),
            ...(g.question !== undefined ? { prompt: g.question } : {}),
            ...(g.goldAnswer !== undefined ? { expected: g.goldAnswer } : {}),
            ...(g.rewardMean !== undefined ? { reward: g.rewardMean } : {}),
            ...(g.firstTrajectoryText !== undefined ? { text: g.firstTrajectoryText } : {}),
          })),
          rewards: rewardsOf(gs),
        });
    } else if (kind === 'rollouts' && run.files.rolloutSummaries.length) {
      for (const file of run.files.rolloutSummaries) {
        const { rows } = await new JsonlTail(file).read();
        const items = parseRolloutSummaries(rows, iterationOf(file)).items;
        steps.push({
          step: iterationOf(file) ?? steps.length,
          items: items.map((x) => ({ ...(x.totalReward !== undefined ? { reward: x.totalReward } : {}) })),
          rewards: rewardsOf(items),
        });
      }
    }
    steps.sort((a, b) => a.step - b.step);
    const availableSteps = steps.map((x) => x.step);
    const chosen = step !== undefined ? steps.filter((x) => x.step === step) : steps.slice(-1);
    this.post({ type: 'samples', runId: id, kind, steps: chosen, availableSteps });
  }

  private async sendConfigDiff(a: string, b: string): Promise<void> {
    const read = async (id: string): Promise<unknown> => {
      const run = this.runs.find((r) => r.path === id);
      const json = async (f: string | undefined) => (f ? JSON.parse(await fs.readFile(f, 'utf8')) : undefined);
      return run
        ? runConfig(await json(run.files.config).catch(() => undefined), await json(run.files.runJson).catch(() => undefined))
        : undefined;
    };
    const rows = diffConfigs(await read(a), await read(b));
    this.post({
      type: 'configDiff',
      a,
      b,
      rows: rows.map((r) => ({
        key: r.key,
        ...(r.a !== undefined ? { a: r.a } : {}),
        ...(r.b !== undefined ? { b: r.b } : {}),
        same: r.same,
      })),
    });
  }

  private async exportChart(format: 'png' | 'svg', key: string, data: string | undefined): Promise<void> {
    if (!data) return;
    const name = `${key.replace(/[^\w.-]+/g, '_')}.${format}`;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: format === 'png' ? { 'PNG image': ['png'] } : { 'SVG image': ['svg'] },
      title: `Save the ${key} chart`,
    });
    if (!target) return;
    const bytes = format === 'png' ? Buffer.from(data.slice(data.indexOf(',') + 1), 'base64') : Buffer.from(data, 'utf8');
    await vscode.workspace.fs.writeFile(target, bytes);
    vscode.window.setStatusBarMessage(`$(check) MinT: saved ${vscode.workspace.asRelativePath(target)}`, 5000);
  }

  private unwatch(id: string): void {
    this.watched.get(id)?.watcher?.close();
    this.watched.delete(id);
  }

  private stopWatching(all = true): void {
    for (const id of [...this.watched.keys()]) this.unwatch(id);
    if (all) clearInterval(this.poll);
  }

  dispose(): void {
    this.stopWatching();
    this.panel?.dispose();
    this.posted.dispose();
  }
}

function statusOf(run: RunFolder): 'running' | 'completed' | 'failed' | 'unknown' {
  return run.status === 'running' || run.status === 'completed' || run.status === 'failed' ? run.status : 'unknown';
}

function info(run: RunFolder): RunInfo {
  return { id: run.path, name: run.name, path: run.path, layout: run.layout, status: statusOf(run) };
}
