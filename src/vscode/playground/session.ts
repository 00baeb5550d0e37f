import * as vscode from 'vscode';
import {
  HostToWebviewSchema,
  promptTitle as promptTitleOf,
  WebviewToHostSchema,
  targetLabel,
  type CheckpointInfo,
  type Draft,
  type HostReply,
  type HostToWebview,
  type ModelInfo,
  type Params,
  type Prompt,
  type Run,
  type SharedState,
  type Target,
  type WebviewToHost,
} from '../../shared/playground';
import type { Services } from '../services';
import { PlaygroundCatalog } from './catalog';
import { HistoryStore } from './history';
import { exportHistory, readSharedRun, writeSharedRun } from './historyExport';
import { PlaygroundRuns } from './runs';
import { baseModelOf, promptTokens } from './sampler';
import { pythonSnippet, typescriptSnippet } from './snippets';
import { PlaygroundTokenizers } from './tokenizers';

type Post = (msg: HostToWebview) => void;
type Reply = (msg: HostReply) => void;

/**
 * The playground's state and behaviour, owned by the host so any number of webviews (the
 * sidebar view, an editor panel) can come and go without losing it: each gets the full state
 * after its `ready`. Every message from a webview is validated; one that does not fit is
 * logged and dropped. An answer goes to the page that asked; shared state to every page.
 * The model list lives in `catalog.ts`, runs in `runs.ts`; this file is the pages' side.
 */
export class PlaygroundSession implements vscode.Disposable {
  private readonly webviews = new Set<Post>();
  private draft: Draft | undefined;
  readonly history: HistoryStore;
  private readonly historyReady: Promise<void>;
  readonly tokenizers: PlaygroundTokenizers;
  private readonly catalog: PlaygroundCatalog;
  private readonly runs: PlaygroundRuns;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly services: Services) {
    const ctx = services.context;
    // Per workspace when there is one; a window with no folder still keeps a history.
    const dir = (ctx.storageUri ?? vscode.Uri.joinPath(ctx.globalStorageUri, 'no-workspace')).fsPath;
    this.history = new HistoryStore(
      dir,
      (t) => services.log.redact(t),
      (m) => services.log.warn('playground', m),
    );
    this.historyReady = this.history
      .load()
      .catch((e) => services.log.error('playground', `could not read the history: ${(e as Error).message}`));
    this.draft = ctx.workspaceState.get<Draft>('mint.playground.draft');
    this.tokenizers = new PlaygroundTokenizers(ctx, services.log);
    const broadcast = (msg: SharedState): void => this.broadcast(msg);
    this.catalog = new PlaygroundCatalog(services, broadcast);
    this.runs = new PlaygroundRuns({
      services,
      catalog: this.catalog,
      tokenizers: this.tokenizers,
      history: this.history,
      historyReady: this.historyReady,
      broadcast,
    });
    this.subscriptions.push(
      services.clients.onDidChange(() => {
        this.catalog.forget();
        // Nobody asked for this reload: a failure shows in the page, not as a toast.
        if (this.webviews.size) void this.catalog.load(true, true);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('mint.tokenizer') || e.affectsConfiguration('http')) this.tokenizers.forget();
        if (e.affectsConfiguration('mint.playground.heatScale')) this.broadcast({ type: 'heatScale', scale: heatScaleSetting() });
      }),
    );
  }

  /** A webview attaches; returns its detach. Nothing is sent before its `ready`. */
  attach(webview: vscode.Webview): vscode.Disposable {
    let ready = false;
    const post: Post = (msg) => {
      if (ready) void webview.postMessage(msg);
    };
    const reply: Reply = (msg) => this.send(post, msg);
    const sub = webview.onDidReceiveMessage((raw: unknown) => {
      const parsed = WebviewToHostSchema.safeParse(raw);
      if (!parsed.success) {
        const type = (raw as { type?: unknown } | null)?.type;
        this.services.log.warn(
          'playground',
          `ignored a webview message that does not fit the protocol (type ${JSON.stringify(type)}): ${parsed.error.issues[0]?.message ?? 'invalid'} at ${parsed.error.issues[0]?.path.join('.') ?? ''}`,
        );
        return;
      }
      if (parsed.data.type === 'ready') {
        ready = true;
        this.webviews.add(post);
        void this.replay(post);
        return;
      }
      void this.handle(parsed.data, reply, post).catch((e) => {
        this.services.log.error('playground', `handling ${parsed.data.type} failed: ${(e as Error).message}`);
        reply({
          type: 'notice',
          level: 'error',
          message: `The playground could not do that: ${this.services.log.redact((e as Error).message)}`,
        });
      });
    });
    return new vscode.Disposable(() => {
      sub.dispose();
      this.webviews.delete(post);
    });
  }

  dispose(): void {
    this.runs.dispose();
    for (const d of this.subscriptions) d.dispose();
  }

  /** For tests and the extension API: what the playground holds right now. */
  snapshot(): { recent: Run[]; historySize: number; models: ModelInfo[]; checkpoints: CheckpointInfo[]; running: number } {
    return {
      recent: structuredClone(this.runs.recent),
      historySize: this.history.size,
      models: [...this.catalog.models],
      checkpoints: [...this.catalog.checkpoints],
      running: this.runs.runningCount,
    };
  }

  /**
   * Makes `target` the form's first model (the runs tree's "Sample in Playground"). Open pages get
   * the whole state again, so the picker shows it at once; a page opened later gets it on `ready`.
   */
  async select(target: Target): Promise<void> {
    const path = 'model_path' in target ? target.model_path : undefined;
    // A checkpoint saved after the last load is not in the picker yet; load it so it is offered by name, not as free text.
    if (path && !this.catalog.checkpoints.some((c) => c.path === path)) await this.catalog.load(true);
    const targets = this.draft?.targets.length
      ? [target, ...this.draft.targets.slice(1).filter((t) => targetLabel(t) !== targetLabel(target))]
      : [target];
    this.draft = this.draft ? { ...this.draft, targets } : { targets, prompt: { mode: 'chat', messages: [], text: '' }, params: {} };
    await this.services.context.workspaceState.update('mint.playground.draft', this.draft);
    for (const post of this.webviews) await this.replay(post);
  }

  /**
   * Adds `target` as a compare column after the form's models (the runs tree's "Sample in Playground":
   * the checkpoint against what is already there); one already in the form is not added twice, and
   * with four columns the last one makes room.
   */
  /**
   * What sampling outside the pages needs (batch runs over prompt files): the catalog, loaded if
   * empty, and the tokenizers the playground uses, so a row renders exactly as in the playground.
   */
  async samplingContext(): Promise<{
    models: readonly ModelInfo[];
    checkpoints: readonly CheckpointInfo[];
    tokenizers: PlaygroundTokenizers;
  }> {
    if (!this.catalog.models.length) await this.catalog.load(false, true);
    return { models: this.catalog.models, checkpoints: this.catalog.checkpoints, tokenizers: this.tokenizers };
  }

  async addTarget(target: Target): Promise<void> {
    const path = 'model_path' in target ? target.model_path : undefined;
    if (path && !this.catalog.checkpoints.some((c) => c.path === path)) await this.catalog.load(true);
    const current = this.draft?.targets ?? [];
    const targets = current.some((t) => targetLabel(t) === targetLabel(target)) ? current : [...current.slice(0, 3), target];
    this.draft = this.draft ? { ...this.draft, targets } : { targets, prompt: { mode: 'chat', messages: [], text: '' }, params: {} };
    await this.services.context.workspaceState.update('mint.playground.draft', this.draft);
    for (const post of this.webviews) await this.replay(post);
  }

  /**
   * Puts the form back as it was (a snapshot from `currentDraft`, or none): what a caller that
   * changed the compared targets for a moment (a test, a one-off comparison) uses to undo that.
   */
  async restoreDraft(draft: Draft | undefined): Promise<void> {
    this.draft = draft ? structuredClone(draft) : undefined;
    await this.services.context.workspaceState.update('mint.playground.draft', this.draft);
    for (const post of this.webviews) await this.replay(post);
  }

  /** The form as the host last saw it (the selected models, the prompt); the runs tree's tests read it. */
  get currentDraft(): Draft | undefined {
    return this.draft ? structuredClone(this.draft) : undefined;
  }

  /**
   * The host owns the one draft every page shows: it keeps it (a reloaded or re-shown page gets it
   * on `ready`) and sends it to every open page but `except`, the page whose edit it is.
   */
  private async setDraft(draft: Draft, except?: Post): Promise<void> {
    this.draft = draft;
    for (const post of this.webviews) if (post !== except) this.send(post, { type: 'draft', draft });
    await this.services.context.workspaceState.update('mint.playground.draft', draft);
  }

  /** Shared state: every open page shows it. */
  private broadcast(msg: SharedState): void {
    for (const post of this.webviews) this.send(post, msg);
  }

  private send(post: Post, msg: HostToWebview): void {
    // The schema is the contract both ways: a host bug must not reach the page as garbage.
    const checked = HostToWebviewSchema.safeParse(msg);
    if (!checked.success) {
      this.services.log.error(
        'playground',
        `not sending an invalid ${msg.type} message: ${checked.error.issues[0]?.message} at ${checked.error.issues[0]?.path.join('.')}`,
      );
      return;
    }
    post(checked.data);
  }

  private async replay(post: Post): Promise<void> {
    await this.historyReady;
    this.send(post, {
      type: 'state',
      ...(this.draft ? { draft: this.draft } : {}),
      heatScale: heatScaleSetting(),
      models: this.catalog.models,
      checkpoints: this.catalog.checkpoints,
      runs: this.runs.recent,
      history: this.history.list(),
      ...(this.services.clients.server() ? { connection: this.services.clients.server()!.url } : {}),
    });
    if (this.catalog.stale) void this.catalog.load(false, true);
  }

  /** `origin` is the page that sent `m`: a draft edit goes to every other page, not back to the one being typed in. */
  private async handle(m: WebviewToHost, reply: Reply, origin: Post): Promise<void> {
    switch (m.type) {
      case 'ready':
        return;
      case 'draft':
        return this.setDraft(m.draft, origin);
      case 'heatScale':
        // A setting (user level), so it holds in every window; the change reaches every page below.
        return vscode.workspace.getConfiguration('mint').update('playground.heatScale', m.scale, vscode.ConfigurationTarget.Global);
      case 'sample':
        return this.runs.start(m.runId, [m.target], m.prompt, m.params, reply);
      case 'compare':
        return this.runs.start(m.runId, m.targets, m.prompt, m.params, reply);
      case 'cancel':
        this.runs.cancel(m.runId);
        return;
      case 'copy':
        if (m.what === 'request_id') await vscode.commands.executeCommand('mint.copyRequestId', m.text);
        else {
          await vscode.env.clipboard.writeText(m.text);
          vscode.window.setStatusBarMessage(`$(clippy) MinT: ${m.what === 'code' ? 'code' : 'sample text'} copied`, 3000);
        }
        return;
      case 'rerun': {
        const old = this.runs.find(m.historyId);
        if (!old) {
          reply({ type: 'rejected', runId: m.runId, message: 'That run is no longer in the history.' });
          return;
        }
        return this.runs.start(
          m.runId,
          old.outcomes.map((o) => o.target),
          old.prompt,
          old.params,
          reply,
          old.completion,
        );
      }
      case 'score':
        return this.runs.start(m.runId, m.targets, m.prompt, m.params, reply, m.completion);
      case 'alternatives':
        await this.historyReady;
        return this.runs.alternatives(m, reply);
      case 'branch':
        await this.historyReady;
        return this.runs.branch(m, reply);
      case 'searchHistory':
        await this.historyReady;
        return reply({ type: 'historyResults', query: m.query, history: this.history.search(m.query) });
      case 'pinHistory':
      case 'renameHistory':
        await this.historyReady;
        if (await this.history.setMeta(m.historyId, m.type === 'pinHistory' ? { pinned: m.pinned } : { name: m.name })) {
          const run = this.runs.recent.find((r) => r.id === m.historyId);
          if (run) {
            if (m.type === 'pinHistory')
              if (m.pinned) run.pinned = true;
              else delete run.pinned;
            else if (m.name.trim()) run.name = m.name.trim();
            else delete run.name;
          }
          this.broadcast({ type: 'history', history: this.history.list() });
        }
        return;
      case 'shareRun':
        await this.shareRun(m.historyId, reply);
        return;
      case 'importRun':
        await this.importRun(undefined, reply);
        return;
      case 'openHistory': {
        const run = this.history.get(m.historyId);
        if (!run) return;
        this.runs.show(run);
        // Open means "load it for tweaking": its models, prompt and parameters go into every page's form.
        return this.setDraft(draftOf(run, this.draft));
      }
      case 'deleteHistory':
        await this.history.delete(m.historyId);
        this.broadcast({ type: 'history', history: this.history.list() });
        return;
      case 'clearHistory': {
        const pick = await vscode.window.showWarningMessage(
          `Delete all ${this.history.size} playground runs of this workspace?`,
          { modal: true },
          'Delete All',
        );
        if (pick !== 'Delete All') return;
        await this.history.clear();
        this.broadcast({ type: 'history', history: [] });
        return;
      }
      case 'export':
        await this.historyReady;
        return exportHistory(this.history, m.format, this.services.log, reply);
      case 'viewAsCode':
        return reply(await this.viewAsCode(m.targets, m.prompt, m.params));
      case 'openCode': {
        // An untitled document: highlighted, editable, saved wherever the user likes; nothing written behind their back.
        const doc = await vscode.workspace.openTextDocument({ language: m.language, content: m.text });
        await vscode.window.showTextDocument(doc, { preview: false });
        return;
      }
      case 'refreshModels':
        return this.catalog.refresh();
      case 'countTokens':
        return reply(await this.countTokens(m.target, m.prompt));
    }
  }

  /**
   * Share: a run and its branch trees as a `.mint-run.json` file (no key, no server URL). `to` is
   * for tests, which cannot drive the save dialog.
   */
  async shareRun(historyId: string, reply: Reply, to?: vscode.Uri): Promise<vscode.Uri | undefined> {
    await this.historyReady;
    const run = this.runs.find(historyId);
    if (!run) {
      reply({ type: 'notice', level: 'warning', message: 'That run is no longer in the history.' });
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${(run.name ?? promptTitleOf(run)).replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40) || 'run'}.mint-run.json`;
    const target =
      to ??
      (await vscode.window.showSaveDialog({
        title: 'Share MinT playground run',
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
        filters: { 'MinT playground run': ['json'] },
      }));
    if (!target) return undefined;
    await writeSharedRun(run, target, (t) => this.services.log.redact(t));
    this.services.log.info('playground', `shared run ${run.id} as ${target.fsPath}`);
    if (!to)
      reply({ type: 'notice', level: 'info', message: `Saved ${target.fsPath}: open it with Open shared run in any MinT playground.` });
    return target;
  }

  /** Opens a shared run file into this workspace's history (a new id) and shows it. `from` is for tests. */
  async importRun(from: vscode.Uri | undefined, reply: Reply): Promise<Run | undefined> {
    await this.historyReady;
    const source =
      from ??
      (
        await vscode.window.showOpenDialog({
          title: 'Open a shared MinT playground run',
          canSelectMany: false,
          filters: { 'MinT playground run': ['json'] },
        })
      )?.[0];
    if (!source) return undefined;
    let run: Run;
    try {
      run = await readSharedRun(source);
    } catch (e) {
      reply({ type: 'notice', level: 'error', message: (e as Error).message });
      return undefined;
    }
    run = { ...run, id: `i${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}` };
    for (const o of run.outcomes) if (o.status === 'pending') o.status = 'cancelled';
    await this.history.put(run);
    this.runs.show(run);
    this.broadcast({ type: 'history', history: this.history.list() });
    return run;
  }

  private async countTokens(target: Target, prompt: Prompt): Promise<HostReply> {
    const label = targetLabel(target);
    const base = await baseModelOf(undefined, target, this.catalog.checkpoints);
    const max = this.catalog.models.find((m) => m.model_name === base)?.max_context_length;
    if (!base) {
      return {
        type: 'tokenCount',
        target: label,
        tokenizer: {
          target: label,
          state: 'unavailable',
          message: 'The prompt length is checked when sampling (base model of this path not known yet).',
        },
      };
    }
    const lookup = await this.tokenizers.get(base);
    if (!lookup.tokenizer) {
      return {
        type: 'tokenCount',
        target: label,
        ...(max ? { max_context_length: max } : {}),
        tokenizer: { target: base, state: 'unavailable', message: `Text mode (no logprobs): ${lookup.problem}` },
      };
    }
    let count: number;
    try {
      count = promptTokens(lookup.tokenizer, prompt).length;
    } catch (e) {
      return { type: 'tokenCount', target: label, tokenizer: { target: base, state: 'unavailable', message: (e as Error).message } };
    }
    return {
      type: 'tokenCount',
      target: base,
      count,
      ...(max ? { max_context_length: max } : {}),
      tokenizer: { target: base, state: 'ready', source: lookup.tokenizer.source },
    };
  }

  private async viewAsCode(targets: Target[], prompt: Prompt, params: Params): Promise<HostReply> {
    const baseUrl = this.services.clients.server()?.url;
    let ids: number[] | undefined;
    const base = await baseModelOf(undefined, targets[0]!, this.catalog.checkpoints);
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
    const input = {
      targets,
      prompt,
      params,
      baseUrl,
      mintJs: vscode.Uri.joinPath(this.services.context.extensionUri, 'dist', 'mint.js').fsPath,
    };
    return { type: 'code', python: pythonSnippet(input), typescript: typescriptSnippet(input, ids) };
  }
}

/** A history run as a form draft; the other prompt mode keeps what `current` holds, so switching back loses nothing. */
function draftOf(run: Run, current: Draft | undefined): Draft {
  const p = run.prompt;
  return {
    targets: run.outcomes.map((o) => o.target).slice(0, 4),
    prompt:
      p.mode === 'chat'
        ? { mode: 'chat', messages: p.messages.map((m) => ({ ...m })), text: current?.prompt.text ?? '' }
        : { mode: 'raw', messages: current?.prompt.messages ?? [], text: p.text },
    params: { ...run.params },
  };
}

/** The heat map's scale, from the mint.playground.heatScale setting. */
function heatScaleSetting(): 'probability' | 'surprisal' {
  return vscode.workspace.getConfiguration('mint').get<string>('playground.heatScale') === 'surprisal' ? 'surprisal' : 'probability';
}
