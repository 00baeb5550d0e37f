import * as vscode from 'vscode';
import type { QueueStateEvent } from '../mint';
import type { ActiveClient, ClientManager } from './clientManager';
import type { ErrorPresenter, PresentContext } from './errorPresenter';
import type { Log } from './log';
import type { MintDiagnostics } from './diagnostics';
import type { MintStatusBar } from './statusBar';

/** Handed to an operation so it can report what the status bar and Copy request_id need. */
export interface OperationTracker {
  signal: AbortSignal;
  /** Remember the id of a request that got one (successful or not). */
  requestId(id: string | undefined): void;
  /** Feed a sampling call's `onQueueState` here: the status bar shows position and ETA. */
  onQueueState(e: QueueStateEvent): void;
}

export interface OperationOptions {
  /** The document range that caused the request; failures become diagnostics there. */
  origin?: PresentContext['origin'];
  /** An AbortSignal of the caller (e.g. a progress notification's Cancel). */
  signal?: AbortSignal | undefined;
  /** What Retry does; by default the operation again. Commands pass themselves so a retry also shows their result. */
  retry?: (() => Promise<unknown>) | undefined;
}

/**
 * Runs one user-visible MinT operation: counts it in flight, hands failures to the presenter,
 * remembers the last request id and the last failed operation (mint.copyLastRequestId,
 * mint.retryLastFailed), and clears the origin's old diagnostic once it succeeds.
 * The playground runs its requests through this too, so every surface behaves alike.
 */
export class Operations {
  private lastId: string | undefined;
  private lastFailed: { label: string; rerun: () => Promise<unknown> } | undefined;

  constructor(
    private readonly clients: ClientManager,
    private readonly presenter: ErrorPresenter,
    private readonly statusBar: MintStatusBar,
    private readonly diagnostics: MintDiagnostics,
    private readonly log: Log,
  ) {}

  get lastRequestId(): string | undefined { return this.lastId; }

  /** Resolves to the operation's result, or undefined when it failed (already shown) or was cancelled. */
  async run<T>(label: string, fn: (c: ActiveClient, t: OperationTracker) => Promise<T>, opts: OperationOptions = {}): Promise<T | undefined> {
    const rerun = opts.retry ?? ((): Promise<T | undefined> => this.run(label, fn, opts));
    const progress = this.statusBar.beginRequest();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    const tracker: OperationTracker = {
      signal: controller.signal,
      requestId: (id) => { if (id) this.lastId = id; },
      onQueueState: (e) => {
        if (e.request_id) this.lastId = e.request_id;
        progress.setQueue({ position: e.queue_position, etaSeconds: e.eta_s ?? e.retry_after_s, state: e.queue_state });
      },
    };
    const started = performance.now();
    try {
      const active = await this.clients.getClient();
      const result = await fn(active, tracker);
      this.log.info('client', `${label}: done in ${Math.round(performance.now() - started)} ms`);
      this.statusBar.setConnection(active.server.origin === 'emulator' ? 'emulator' : 'connected');
      this.statusBar.clearLastError();
      if (opts.origin) this.diagnostics.clear(opts.origin.uri, opts.origin.range);
      if (this.lastFailed?.label === label) this.lastFailed = undefined;
      return result;
    } catch (err) {
      const described = this.presenter.present(err, { origin: opts.origin, retry: rerun });
      if (described) {
        if (described.requestId) this.lastId = described.requestId;
        this.lastFailed = { label, rerun };
      }
      return undefined;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      progress.end();
    }
  }

  async retryLastFailed(): Promise<void> {
    if (!this.lastFailed) {
      void vscode.window.showInformationMessage('MinT: nothing to retry — no request has failed in this window.');
      return;
    }
    this.log.info('client', `retrying: ${this.lastFailed.label}`);
    await this.lastFailed.rerun();
  }
}
