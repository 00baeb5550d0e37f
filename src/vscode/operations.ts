import * as vscode from 'vscode';
import type { QueueStateEvent, RetryWaitEvent } from '../mint';
import { isCancellation } from '../mint/errors';
import type { ActiveClient, ClientManager } from './clientManager';
import type { DescribedError, ErrorPresenter, PresentContext } from './errorPresenter';
import { NO_KEY_SENT } from './errorTable';
import type { Log } from './log';
import type { MintDiagnostics } from './diagnostics';
import { queueBadgeOf } from './queueBadge';
import type { MintStatusBar } from './statusBar';

/** Handed to an operation so it can report what the status bar and Copy request_id need. */
export interface OperationTracker {
  signal: AbortSignal;
  /** Remember the id of a request that got one (successful or not). */
  requestId(id: string | undefined): void;
  /** Feed a call's `onQueueState` here: the status bar shows the request's stage (and position or ETA when the server sends them). */
  onQueueState(e: QueueStateEvent): void;
  /** Feed a call's `onRetryWait` here: the status bar counts the wait down while the client waits. */
  onRetryWait(e: RetryWaitEvent): void;
}

export interface OperationOptions {
  /** The document range that caused the request; failures become diagnostics there. */
  origin?: PresentContext['origin'];
  /** An AbortSignal of the caller (e.g. a progress notification's Cancel). */
  signal?: AbortSignal | undefined;
  /** What Retry does; by default the operation again. Commands pass themselves so a retry also shows their result. */
  retry?: (() => Promise<unknown>) | undefined;
  /**
   * A load the user did not ask for (a view filling itself): a failure is logged and returned
   * for the surface to show in place, never as a toast or in the status bar.
   */
  quiet?: boolean | undefined;
}

/** How an operation ended: its value, a failure already shown to the user, or the user's cancel. */
export type OperationResult<T> = { kind: 'ok'; value: T } | { kind: 'failed'; error: DescribedError } | { kind: 'cancelled' };

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

  get lastRequestId(): string | undefined {
    return this.lastId;
  }

  /** Resolves to the operation's result, or undefined when it failed (already shown) or was cancelled. */
  async run<T>(
    label: string,
    fn: (c: ActiveClient, t: OperationTracker) => Promise<T>,
    opts: OperationOptions = {},
  ): Promise<T | undefined> {
    const outcome = await this.attempt(label, fn, opts);
    return outcome.kind === 'ok' ? outcome.value : undefined;
  }

  /** As `run`, but says how it ended, for callers that act on a failure (e.g. Check Connection). */
  async attempt<T>(
    label: string,
    fn: (c: ActiveClient, t: OperationTracker) => Promise<T>,
    opts: OperationOptions = {},
  ): Promise<OperationResult<T>> {
    const rerun = opts.retry ?? ((): Promise<T | undefined> => this.run(label, fn, opts));
    const progress = this.statusBar.beginRequest();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    // The id this operation's result carries (a sample's future id): the done line logs it, so
    // every id a card or document shows can be found in the log.
    let resultId: string | undefined;
    const tracker: OperationTracker = {
      signal: controller.signal,
      requestId: (id) => {
        if (!id) return;
        this.lastId = id;
        resultId = id;
      },
      onQueueState: (e) => {
        if (e.request_id) this.lastId = e.request_id;
        progress.setQueue(queueBadgeOf(e));
      },
      onRetryWait: (e) => {
        if (e.request_id) this.lastId = e.request_id;
        const status = e.status !== undefined ? `HTTP ${e.status} ` : '';
        this.log.info(
          'client',
          `${label}: ${status}on ${e.path}, retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s` +
            (e.request_id ? ` [request id ${e.request_id}]` : ''),
        );
        this.statusBar.rateLimited(e.delayMs / 1000, e.reason, label);
      },
    };
    const started = performance.now();
    let active: ActiveClient | undefined;
    try {
      active = await this.clients.getClient();
      const value = await fn(active, tracker);
      this.log.info(
        'client',
        `${label}: done in ${Math.round(performance.now() - started)} ms${resultId ? ` [request id ${resultId}]` : ''}`,
      );
      this.statusBar.setServer(active.server, active.keySource);
      this.statusBar.setConnection(active.server.origin === 'emulator' ? 'emulator' : 'connected');
      // A load nobody asked for (a view filling itself) must not wipe the user's last failure.
      if (!opts.quiet) this.statusBar.clearLastError();
      if (opts.origin) this.diagnostics.clear(opts.origin.uri, opts.origin.range);
      if (this.lastFailed?.label === label) this.lastFailed = undefined;
      return { kind: 'ok', value };
    } catch (err) {
      // The error table words a 401 differently when no key was sent at all.
      if (err instanceof Error && active && !active.keySource) NO_KEY_SENT.add(err);
      if (opts.quiet) {
        if (isCancellation(err)) return { kind: 'cancelled' };
        const error = this.presenter.describe(err);
        this.log.warn('client', `${label} failed (${error.className}): ${error.message}`);
        return { kind: 'failed', error };
      }
      const described = this.presenter.present(err, { origin: opts.origin, retry: rerun });
      if (!described) return { kind: 'cancelled' };
      if (described.requestId) this.lastId = described.requestId;
      this.lastFailed = { label, rerun };
      return { kind: 'failed', error: described };
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
