import * as vscode from 'vscode';
import type { QueueStateEvent } from '../mint';

export type ConnectionState = 'not checked' | 'connected' | 'no key' | 'auth failed' | 'offline' | 'emulator' | 'no server';

/**
 * Where a waiting request is, as the server said it: MinT sends a status and a stage (queued,
 * prefill, decode, running) and sometimes generation progress; position and ETA only some
 * servers send, and nothing here makes them up.
 */
export interface QueueBadge {
  stage?: string | undefined;
  position?: number | undefined;
  depth?: number | undefined;
  etaSeconds?: number | undefined;
  tokensGenerated?: number | undefined;
  maxTokens?: number | undefined;
}

/** The client's queue-state event in the status bar's terms. */
export function queueBadgeOf(e: QueueStateEvent): QueueBadge {
  return {
    stage: e.stage ?? e.status,
    position: e.queue_position,
    depth: e.queue_depth,
    etaSeconds: e.eta_s,
    tokensGenerated: e.progress?.tokens_generated,
    maxTokens: e.progress?.max_tokens,
  };
}

/** "queued #3 · ETA 12s", "prefill", "decoding 40/128": only what the server said. */
export function queueText(q: QueueBadge): string | undefined {
  const parts: string[] = [];
  const stage = q.stage === 'decode' ? 'decoding' : q.stage;
  if (q.tokensGenerated !== undefined && q.maxTokens !== undefined) parts.push(`${stage ?? 'generating'} ${q.tokensGenerated}/${q.maxTokens}`);
  else if (stage) parts.push(stage);
  if (q.position !== undefined) parts.push(`#${q.position}${q.depth !== undefined ? ` of ${q.depth}` : ''}`);
  if (q.etaSeconds !== undefined) parts.push(`ETA ${Math.max(0, Math.ceil(q.etaSeconds))}s`);
  if (parts.length === 0) return undefined;
  if (q.position !== undefined && !stage) parts.unshift('queue');
  return parts.join(' ');
}

/**
 * Two items: the connection item (state, model, in-flight count, the queue stage of a waiting request, a
 * rate-limit countdown) and, after a failure, a last-error item that opens its details.
 * Waiting (429, queueing) lives here as a countdown instead of in toasts, because it is not
 * something the user has to act on.
 *
 * Used by the playground too: `beginRequest()` around each request, `setQueue()` from queue-state
 * events, `rateLimited()` when the server asks to wait.
 */
export class MintStatusBar implements vscode.Disposable {
  private readonly main: vscode.StatusBarItem;
  private readonly lastError: vscode.StatusBarItem;
  private state: ConnectionState = 'not checked';
  private model = '';
  private inFlight = 0;
  private readonly queues = new Map<number, QueueBadge>();
  private nextQueueId = 1;
  private waitUntil = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    this.main = vscode.window.createStatusBarItem('mint.status', vscode.StatusBarAlignment.Left, 50);
    this.main.name = 'MinT';
    this.main.command = 'mint.checkConnection';
    this.lastError = vscode.window.createStatusBarItem('mint.lastError', vscode.StatusBarAlignment.Left, 49);
    this.lastError.name = 'MinT last error';
    this.lastError.command = 'mint.showLastError';
    this.render();
    this.main.show();
  }

  setConnection(state: ConnectionState): void {
    this.state = state;
    this.render();
    // Once MinT answers, "Get Started" (package.json views, when !mint.ready) yields its room to the playground.
    void vscode.commands.executeCommand('setContext', 'mint.ready', state === 'connected' || state === 'emulator');
  }

  setModel(model: string): void { this.model = model; this.render(); }

  /** Counts a request as in flight until the returned function is called (exactly once). */
  beginRequest(): { setQueue(q: QueueBadge): void; end(): void } {
    const id = this.nextQueueId++;
    this.inFlight++;
    this.render();
    let ended = false;
    return {
      setQueue: (q) => { if (!ended) { this.queues.set(id, q); this.render(); } },
      end: () => {
        if (ended) return;
        ended = true;
        this.inFlight--;
        this.queues.delete(id);
        this.render();
      },
    };
  }

  /** Shows "retry in Ns" until the server's wait is over. */
  rateLimited(seconds: number): void {
    this.waitUntil = Date.now() + Math.max(1, seconds) * 1000;
    this.render();
  }

  showLastError(className: string, tooltip: string, statusText: string): void {
    this.lastError.text = `$(error) MinT: ${statusText}`;
    this.lastError.tooltip = `${className}: ${tooltip}\nClick for details and the request id.`;
    this.lastError.show();
  }

  clearLastError(): void { this.lastError.hide(); }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.main.dispose();
    this.lastError.dispose();
  }

  private render(): void {
    const parts = [`MinT: ${this.state}`];
    if (this.model) parts.push(this.model);
    if (this.inFlight > 0) parts.push(`$(sync~spin) ${this.inFlight}`);
    // The first request still waiting or generating speaks for all of them.
    for (const q of this.queues.values()) {
      const text = queueText(q);
      if (text) {
        parts.push(text);
        break;
      }
    }
    const waitS = Math.ceil((this.waitUntil - Date.now()) / 1000);
    if (waitS > 0) parts.push(`rate limited · retry in ${waitS}s`);
    this.main.text = `${ICONS[this.state]} ${parts.join(' · ')}`;
    this.main.tooltip = waitS > 0
      ? 'MinT asked to wait before more requests; the countdown shows when to try again.'
      : `MinT connection: ${this.state}. Click to check the connection.`;
    this.main.backgroundColor = this.state === 'auth failed' || this.state === 'offline'
      ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    // The countdown ticks only while something is counting down.
    const ticking = waitS > 0;
    if (ticking && !this.timer) this.timer = setInterval(() => this.render(), 1000);
    if (!ticking && this.timer) { clearInterval(this.timer); this.timer = undefined; }
  }
}

const ICONS: Record<ConnectionState, string> = {
  'not checked': '$(cloud)',
  connected: '$(cloud)',
  'no key': '$(key)',
  'auth failed': '$(key)',
  offline: '$(debug-disconnect)',
  emulator: '$(vm)',
  'no server': '$(cloud)',
};
