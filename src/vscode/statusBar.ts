import * as vscode from 'vscode';
import { queueText, retryWaitWords, type QueueBadge } from './queueBadge';
import type { RetryWaitReason } from '../mint';

export type ConnectionState = 'not checked' | 'connected' | 'no key' | 'auth failed' | 'offline' | 'emulator' | 'no server';

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
  private version = 0;
  private server: { url: string; origin: string } | undefined;
  private keySource: string | undefined;
  private lastErrorText: string | undefined;
  private model = '';
  private inFlight = 0;
  private readonly queues = new Map<number, QueueBadge>();
  private nextQueueId = 1;
  private waitUntil = 0;
  private waitReason: RetryWaitReason = 'rate_limited';
  private waitDetail = '';
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

  /** Bumped by every setConnection: a background check applies its answer only if nothing newer came. */
  get connectionVersion(): number {
    return this.version;
  }

  /** What the tooltip names: the server requests go to and where the key came from. */
  setServer(server: { url: string; origin: string } | undefined, keySource: string | undefined): void {
    this.server = server;
    this.keySource = keySource;
    this.render();
  }

  setConnection(state: ConnectionState): void {
    this.version++;
    this.state = state;
    this.render();
    // Once MinT answers, "Get Started" (package.json views, when !mint.ready) yields its room to the playground.
    void vscode.commands.executeCommand('setContext', 'mint.ready', state === 'connected' || state === 'emulator');
  }

  setModel(model: string): void {
    this.model = model;
    this.render();
  }

  /** Counts a request as in flight until the returned function is called (exactly once). */
  beginRequest(): { setQueue(q: QueueBadge): void; end(): void } {
    const id = this.nextQueueId++;
    this.inFlight++;
    this.render();
    let ended = false;
    return {
      setQueue: (q) => {
        if (!ended) {
          this.queues.set(id, q);
          this.render();
        }
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.inFlight--;
        this.queues.delete(id);
        this.render();
      },
    };
  }

  /**
   * Shows "<reason> · retry in Ns" until the wait is over: while the client waits between retries
   * (its onRetryWait) and after a RateLimitError that ended them. `detail` says which request waits.
   */
  rateLimited(seconds: number, reason: RetryWaitReason = 'rate_limited', detail = ''): void {
    // The latest wait speaks: it is the one the client is in now.
    this.waitUntil = Date.now() + Math.max(1, seconds) * 1000;
    this.waitReason = reason;
    this.waitDetail = detail;
    this.render();
  }

  showLastError(className: string, tooltip: string, statusText: string): void {
    this.lastErrorText = statusText;
    this.lastError.text = `$(error) MinT: ${statusText}`;
    this.lastError.tooltip = `${className}: ${tooltip}\nClick for details and the request id.`;
    this.render();
  }

  clearLastError(): void {
    this.lastErrorText = undefined;
    this.render();
  }

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
    if (waitS > 0) parts.push(`${retryWaitWords(this.waitReason)} · retry in ${waitS}s`);
    this.main.text = `${ICONS[this.state]} ${parts.join(' · ')}`;
    // One item for one state: a last error that only repeats the connection state ("offline")
    // is not shown twice; the connection item then opens its details instead.
    const sameAsState = this.lastErrorText === this.state;
    if (this.lastErrorText !== undefined && !sameAsState) this.lastError.show();
    else this.lastError.hide();
    this.main.command = sameAsState ? 'mint.showLastError' : 'mint.checkConnection';
    const where = this.server
      ? `\nServer: ${this.server.url} (from ${this.server.origin})\nAPI key: ${this.keySource ? `from ${this.keySource}` : 'none set'}`
      : '\nNo server chosen.';
    const click = sameAsState ? 'Click for the last error and its request id.' : 'Click to check the connection.';
    this.main.tooltip =
      waitS > 0
        ? `${WAIT_TOOLTIPS[this.waitReason]}${this.waitDetail ? ` (${this.waitDetail})` : ''}; the countdown shows when the request is sent again.${where}`
        : `MinT connection: ${this.state}.${where}\n${click}`;
    this.main.backgroundColor =
      this.state === 'auth failed' || this.state === 'offline' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    // The countdown ticks only while something is counting down.
    const ticking = waitS > 0;
    if (ticking && !this.timer) this.timer = setInterval(() => this.render(), 1000);
    if (!ticking && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

const WAIT_TOOLTIPS: Record<RetryWaitReason, string> = {
  rate_limited: 'MinT asked to wait before more requests (rate limit)',
  server_busy: 'MinT is busy and asked to try again later',
  server_error: 'MinT answered with a server error',
  connection: 'MinT could not be reached',
};

const ICONS: Record<ConnectionState, string> = {
  'not checked': '$(cloud)',
  connected: '$(cloud)',
  'no key': '$(key)',
  'auth failed': '$(key)',
  offline: '$(debug-disconnect)',
  emulator: '$(vm)',
  'no server': '$(cloud)',
};
