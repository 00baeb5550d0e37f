import * as vscode from 'vscode';
import { isCancellation } from '../../mint/errors';
import {
  HostToWebview,
  WebviewToHost,
  targetLabel,
  type CheckpointInfo,
  type Draft,
  type ErrorInfo,
  type ModelInfo,
  type Outcome,
  type Params,
  type Prompt,
  type Run,
  type Target,
} from '../../shared/playground';
import type { Services } from '../services';
import { HistoryStore } from './history';
import { baseModelOf, promptTokens, sampleTarget } from './sampler';
import { pythonSnippet, typescriptSnippet } from './snippets';
import { PlaygroundTokenizers } from './tokenizers';

const RECENT_RUNS = 8;
const CHECKPOINT_RUNS = 20;
const MODELS_STALE_MS = 30_000;

type Post = (msg: HostToWebview) => void;

/**
 * The playground's state and behaviour, owned by the host so any number of webviews (the
 * sidebar view, an editor panel) can come and go without losing it: each gets the full state
 * after its `ready`. Every message from a webview is validated; one that does not fit is
 * logged and dropped.
 */
export class PlaygroundSession implements vscode.Disposable {
  private readonly webviews = new Set<Post>();
  private draft: Draft | undefined;
  private models: ModelInfo[] = [];
  private checkpoints: CheckpointInfo[] = [];
  private readonly recent: Run[] = [];
  private readonly running = new Map<string, AbortController>();
  private loadingModels: Promise<void> | undefined;
  /** Bumped by every load: an older load that finishes late (old server) must not overwrite a newer one. */
  private loadGeneration = 0;
  private loadedAt = 0;
  readonly history: HistoryStore;
  private readonly historyReady: Promise<void>;
  readonly tokenizers: PlaygroundTokenizers;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly s: Services) {
    const ctx = s.context;
    // Per workspace when there is one; a window with no folder still keeps a history.
    const dir = (ctx.storageUri ?? vscode.Uri.joinPath(ctx.globalStorageUri, 'no-workspace')).fsPath;
    this.history = new HistoryStore(dir, (t) => s.log.redact(t), (m) => s.log.warn('playground', m));
    this.historyReady = this.history.load().catch((e) => s.log.error('playground', `could not read the history: ${(e as Error).message}`));
    this.draft = ctx.workspaceState.get<Draft>('mint.playground.draft');
    this.tokenizers = new PlaygroundTokenizers(ctx, s.log);
    this.subscriptions.push(
      s.clients.onDidChange(() => {
        this.models = [];
        this.checkpoints = [];
        if (this.webviews.size) void this.loadModels(true);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mint.tokenizer') || e.affectsConfiguration('http')) this.tokenizers.forget();
      }),
    );
  }

  /** A webview attaches; returns its detach. Nothing is sent before its `ready`. */
  attach(webview: vscode.Webview): vscode.Disposable {
    let ready = false;
    const post: Post = (msg) => {
      if (ready) void webview.postMessage(msg);
    };
    const sub = webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = WebviewToHost.safeParse(raw);
      if (!parsed.success) {
        const type = (raw as { type?: unknown } | null)?.type;
        this.s.log.warn('playground', `ignored a webview message that does not fit the protocol (type ${JSON.stringify(type)}): ${parsed.error.issues[0]?.message ?? 'invalid'} at ${parsed.error.issues[0]?.path.join('.') ?? ''}`);
        return;
      }
      if (parsed.data.type === 'ready') {
        ready = true;
        this.webviews.add(post);
        void this.replay(post);
        return;
      }
      void this.handle(parsed.data).catch((e) => {
        this.s.log.error('playground', `handling ${parsed.data.type} failed: ${(e as Error).message}`);
        this.broadcast({ type: 'notice', level: 'error', message: `The playground could not do that: ${this.s.log.redact((e as Error).message)}` });
      });
    });
    return new vscode.Disposable(() => {
      sub.dispose();
      this.webviews.delete(post);
    });
  }

  dispose(): void {
    for (const c of this.running.values()) c.abort();
    for (const d of this.subscriptions) d.dispose();
  }

  /** For tests and the extension API: what the playground holds right now. */
  snapshot(): { recent: Run[]; historySize: number; models: ModelInfo[]; checkpoints: CheckpointInfo[]; running: number } {
    return { recent: structuredClone(this.recent), historySize: this.history.size, models: [...this.models], checkpoints: [...this.checkpoints], running: this.running.size };
  }

  /**
   * Makes `target` the form's first model (the runs tree's "Sample in Playground"). Open pages get
   * the whole state again, so the picker shows it at once; a page opened later gets it on `ready`.
   */
  async select(target: Target): Promise<void> {
    const path = 'model_path' in target ? target.model_path : undefined;
    // A checkpoint saved after the last load is not in the picker yet; load it so it is offered by name, not as free text.
    if (path && !this.checkpoints.some((c) => c.path === path)) await this.loadModels(true);
    const targets = this.draft?.targets.length ? [target, ...this.draft.targets.slice(1).filter((t) => targetLabel(t) !== targetLabel(target))] : [target];
    this.draft = this.draft ? { ...this.draft, targets } : { targets, prompt: { mode: 'chat', messages: [], text: '' }, params: {} };
    await this.s.context.workspaceState.update('mint.playground.draft', this.draft);
    for (const post of this.webviews) await this.replay(post);
  }

  /** The form as the host last saw it (the selected models, the prompt). */
  get currentDraft(): Draft | undefined {
    return this.draft ? structuredClone(this.draft) : undefined;
  }

  private broadcast(msg: HostToWebview): void {
    // The schema is the contract both ways: a host bug must not reach the page as garbage.
    const checked = HostToWebview.safeParse(msg);
    if (!checked.success) {
      this.s.log.error('playground', `not sending an invalid ${msg.type} message: ${checked.error.issues[0]?.message} at ${checked.error.issues[0]?.path.join('.')}`);
      return;
    }
    for (const post of this.webviews) post(checked.data);
  }

  private async replay(post: Post): Promise<void> {
    await this.historyReady;
    post({
      type: 'state',
      ...(this.draft ? { draft: this.draft } : {}),
      models: this.models,
      checkpoints: this.checkpoints,
      runs: this.recent,
      history: this.history.list(),
      ...(this.s.clients.server() ? { connection: this.s.clients.server()!.url } : {}),
    });
    // Checkpoints appear as training goes on: a page shown again after a while gets a fresh list.
    if (!this.models.length || Date.now() - this.loadedAt > MODELS_STALE_MS) void this.loadModels();
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        return;
      case 'draft':
        this.draft = m.draft;
        await this.s.context.workspaceState.update('mint.playground.draft', m.draft);
        return;
      case 'sample':
        return this.startRun(m.runId, [m.target], m.prompt, m.params);
      case 'compare':
        return this.startRun(m.runId, m.targets, m.prompt, m.params);
      case 'cancel':
        this.running.get(m.runId)?.abort();
        return;
      case 'copy':
        if (m.what === 'request_id') await vscode.commands.executeCommand('mint.copyRequestId', m.text);
        else {
          await vscode.env.clipboard.writeText(m.text);
          vscode.window.setStatusBarMessage(`$(clippy) MinT: ${m.what === 'code' ? 'code' : 'sample text'} copied`, 3000);
        }
        return;
      case 'rerun': {
        const old = this.history.get(m.historyId) ?? this.recent.find((r) => r.id === m.historyId);
        if (!old) {
          this.broadcast({ type: 'rejected', runId: m.runId, message: 'That run is no longer in the history.' });
          return;
        }
        return this.startRun(m.runId, old.outcomes.map((o) => o.target), old.prompt, old.params);
      }
      case 'openHistory': {
        const run = this.history.get(m.historyId);
        if (run) this.showRun(run);
        return;
      }
      case 'deleteHistory':
        await this.history.delete(m.historyId);
        this.broadcast({ type: 'history', history: this.history.list() });
        return;
      case 'clearHistory': {
        const pick = await vscode.window.showWarningMessage(`Delete all ${this.history.size} playground runs of this workspace?`, { modal: true }, 'Delete All');
        if (pick !== 'Delete All') return;
        await this.history.clear();
        this.broadcast({ type: 'history', history: [] });
        return;
      }
      case 'export':
        return this.exportHistory(m.format);
      case 'loadHistory': {
        const all = this.history.list();
        this.broadcast({ type: 'historyPage', offset: m.offset, total: all.length, items: all.slice(m.offset, m.offset + m.limit) });
        return;
      }
      case 'viewAsCode':
        return this.viewAsCode(m.targets, m.prompt, m.params);
      case 'refreshModels':
        this.models = [];
        return this.loadModels(true);
      case 'countTokens':
        return this.countTokens(m.target, m.prompt);
    }
  }

  private showRun(run: Run): void {
    const i = this.recent.findIndex((r) => r.id === run.id);
    if (i >= 0) this.recent.splice(i, 1);
    this.recent.unshift(run);
    this.recent.length = Math.min(this.recent.length, RECENT_RUNS);
    this.broadcast({ type: 'run', run });
  }

  /** Models from the server's capabilities; sampler checkpoints of the most recent training runs. */
  private loadModels(force = false): Promise<void> {
    if (this.loadingModels && !force) return this.loadingModels;
    const generation = ++this.loadGeneration;
    const p = (async () => {
      let models: ModelInfo[] = [];
      let checkpoints: CheckpointInfo[] = [];
      let failure = await this.clientProblem();
      const ok = failure ? false : await this.s.operations.run('Load playground models', async ({ client }, t) => {
        try {
          const caps = await client.getServerCapabilities({ signal: t.signal });
          models = caps.supported_models.map((m) => ({ model_name: m.model_name, ...(typeof m.max_context_length === 'number' && m.max_context_length > 0 ? { max_context_length: m.max_context_length } : {}) }));
        } catch (e) {
          failure = this.describe(e);
          throw e;
        }
        checkpoints = await this.loadCheckpoints(client, t.signal);
        return true;
      });
      if (generation !== this.loadGeneration) return;
      if (ok) {
        this.models = models;
        this.checkpoints = checkpoints;
        this.loadedAt = Date.now();
      } else if (!failure) this.s.log.warn('playground', 'loading models ended without a result (cancelled?)');
      this.broadcast({ type: 'models', models: this.models, checkpoints: this.checkpoints, ...(failure ? { error: failure } : {}) });
    })();
    const tracked: Promise<void> = p.finally(() => {
      if (this.loadingModels === tracked) this.loadingModels = undefined;
    });
    this.loadingModels = tracked;
    return tracked;
  }

  private async loadCheckpoints(client: import('../../mint').ServiceClient, signal: AbortSignal): Promise<CheckpointInfo[]> {
    // Checkpoints are a convenience: a server without the REST routes still gets a working playground.
    try {
      const rest = client.createRestClient();
      const runs = (await rest.listTrainingRuns({ limit: CHECKPOINT_RUNS }, { signal })).training_runs;
      const lists = await Promise.all(
        runs.map(async (r) => {
          const cps = await rest.listCheckpoints(r.training_run_id, { signal }).catch(() => []);
          return cps
            .filter((c) => c.checkpoint_type === 'sampler')
            .map((c) => ({ path: c.tinker_path, base_model: r.base_model, run_id: r.training_run_id, name: c.checkpoint_id.replace(/^sampler_weights\//, ''), ...(c.time ? { time: c.time } : {}) }));
        }),
      );
      return lists.flat().sort((a, b) => (b.time ?? '').localeCompare(a.time ?? ''));
    } catch (e) {
      if (isCancellation(e)) throw e;
      this.s.log.warn('playground', `listing sampler checkpoints failed (the model list still works): ${(e as Error).message}`);
      return [];
    }
  }

  private describe(e: unknown): ErrorInfo {
    const d = this.s.presenter.describe(e);
    return { kind: d.className, message: d.message, ...(d.requestId ? { request_id: d.requestId } : {}) };
  }

  /**
   * Builds the client before an operation, so when that fails (no server chosen, no key, refused
   * URL) the playground knows why and can say it inline; the presenter shows it as everywhere else.
   */
  private async clientProblem(): Promise<ErrorInfo | undefined> {
    try {
      await this.s.clients.getClient();
      return undefined;
    } catch (e) {
      this.s.presenter.present(e);
      return this.describe(e);
    }
  }

  private async startRun(runId: string, targets: Target[], prompt: Prompt, params: Params): Promise<void> {
    if (this.running.has(runId) || this.recent.some((r) => r.id === runId)) {
      this.broadcast({ type: 'rejected', runId, message: 'That run was already started.' });
      return;
    }
    const controller = new AbortController();
    this.running.set(runId, controller);
    const run: Run = { id: runId, time: new Date().toISOString(), prompt, params, outcomes: targets.map((target) => ({ target, status: 'pending' as const })) };
    this.showRun(run);
    this.s.log.info('playground', `run ${runId}: ${targets.map(targetLabel).join(' vs ')} (${prompt.mode}, max_tokens ${params.max_tokens}, ${params.num_samples} sample(s))`);
    await this.historyReady;
    void this.history.put(run).catch((e) => this.s.log.error('playground', `history write failed: ${(e as Error).message}`));
    try {
      const problem = await this.clientProblem();
      if (problem) {
        targets.forEach((target, index) => this.setOutcome(run, index, { target, status: 'failed', error: problem }));
        return;
      }
      if (!this.models.length) await this.loadModels();
      await Promise.all(targets.map((target, index) => this.runTarget(run, index, target, controller.signal)));
    } finally {
      this.running.delete(runId);
      await this.history.put(run).catch((e) => this.s.log.error('playground', `history write failed: ${(e as Error).message}`));
      this.broadcast({ type: 'history', history: this.history.list() });
    }
  }

  private setOutcome(run: Run, index: number, outcome: Outcome): void {
    run.outcomes[index] = outcome;
    this.broadcast({ type: 'outcome', runId: run.id, index, outcome });
  }

  private async runTarget(run: Run, index: number, target: Target, signal: AbortSignal): Promise<void> {
    const label = `Sample ${targetLabel(target)}`;
    let settled = false;
    // The body sets the column itself, so a Retry from the presenter's notification (which runs
    // it again) updates the same column too.
    const body = async ({ client }: { client: import('../../mint').ServiceClient }, t: import('../operations').OperationTracker): Promise<Outcome> => {
      if (run.outcomes[index]?.status !== 'pending') this.setOutcome(run, index, { target, status: 'pending' });
      try {
        const outcome = await sampleTarget(client, t, {
          target,
          prompt: run.prompt,
          params: run.params,
          models: this.models,
          checkpoints: this.checkpoints,
          tokenizers: this.tokenizers,
          onQueue: (queue) => {
            const o = run.outcomes[index];
            if (o?.status === 'pending') o.queue = queue;
            this.broadcast({ type: 'queue', runId: run.id, index, queue });
          },
        });
        this.setOutcome(run, index, outcome);
        settled = true;
        return outcome;
      } catch (e) {
        settled = true;
        if (isCancellation(e) || signal.aborted) this.setOutcome(run, index, { target, status: 'cancelled' });
        else this.setOutcome(run, index, { target, status: 'failed', error: this.describe(e) });
        throw e;
      } finally {
        if (run.id && !this.running.has(run.id)) void this.history.put(run).then(() => this.broadcast({ type: 'history', history: this.history.list() }), () => undefined);
      }
    };
    await this.s.operations.run(label, body, { signal });
    if (!settled) {
      // The client failed to build between clientProblem() and here (settings changed mid-run); the presenter has said why.
      if (signal.aborted) this.setOutcome(run, index, { target, status: 'cancelled' });
      else this.setOutcome(run, index, { target, status: 'failed', error: { kind: 'Error', message: 'The request could not be sent: the MinT connection changed while it started. Run it again; the MinT log has details.' } });
    }
  }

  private async countTokens(target: Target, prompt: Prompt): Promise<void> {
    const label = targetLabel(target);
    const base = await baseModelOf(undefined, target, this.checkpoints);
    const max = this.models.find((m) => m.model_name === base)?.max_context_length;
    if (!base) {
      this.broadcast({ type: 'tokenCount', target: label, tokenizer: { target: label, state: 'unavailable', message: 'The prompt length is checked when sampling (base model of this path not known yet).' } });
      return;
    }
    const lookup = await this.tokenizers.get(base);
    if (!lookup.tokenizer) {
      this.broadcast({ type: 'tokenCount', target: label, ...(max ? { max_context_length: max } : {}), tokenizer: { target: base, state: 'unavailable', message: `Text mode (no logprobs): ${lookup.problem}` } });
      return;
    }
    let count: number;
    try {
      count = promptTokens(lookup.tokenizer, prompt).length;
    } catch (e) {
      this.broadcast({ type: 'tokenCount', target: label, tokenizer: { target: base, state: 'unavailable', message: (e as Error).message } });
      return;
    }
    this.broadcast({ type: 'tokenCount', target: base, count, ...(max ? { max_context_length: max } : {}), tokenizer: { target: base, state: 'ready', source: lookup.tokenizer.source } });
  }

  private async viewAsCode(targets: Target[], prompt: Prompt, params: Params): Promise<void> {
    const baseUrl = this.s.clients.server()?.url;
    let ids: number[] | undefined;
    const base = await baseModelOf(undefined, targets[0]!, this.checkpoints);
    if (base) {
      const lookup = await this.tokenizers.get(base);
      if (lookup.tokenizer) {
        try {
          ids = promptTokens(lookup.tokenizer, prompt);
        } catch {
          ids = undefined;
        }
      }
    }
    const input = { targets, prompt, params, baseUrl };
    this.broadcast({ type: 'code', python: pythonSnippet(input), typescript: typescriptSnippet(input, ids) });
  }

  private async exportHistory(format: 'jsonl' | 'markdown'): Promise<void> {
    await this.historyReady;
    if (!this.history.size) {
      this.broadcast({ type: 'notice', level: 'info', message: 'The history is empty: nothing to export yet.' });
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `mint-playground-history.${format === 'jsonl' ? 'jsonl' : 'md'}`;
    const target = await vscode.window.showSaveDialog({
      title: 'Export MinT playground history',
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
      filters: format === 'jsonl' ? { 'JSON Lines': ['jsonl'] } : { Markdown: ['md'] },
    });
    if (!target) return;
    await this.writeExport(target, format);
    const open = await vscode.window.showInformationMessage(`MinT: exported ${this.history.size} runs to ${target.fsPath}.`, 'Open');
    if (open) await vscode.window.showTextDocument(target);
  }

  /** Also used by tests, which cannot drive a save dialog. */
  async writeExport(target: vscode.Uri, format: 'jsonl' | 'markdown'): Promise<void> {
    await this.historyReady;
    const text = format === 'jsonl' ? this.history.exportJsonl() : this.history.exportMarkdown();
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    this.s.log.info('playground', `exported ${this.history.size} runs as ${format} to ${target.fsPath}`);
  }
}
