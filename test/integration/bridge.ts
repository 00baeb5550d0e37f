// Typed client of the UI bridge (scripts/ui-bridge-server.mjs), for tests inside the extension
// host: it answers what the workbench shows in the browser, not what the extension believes.
import { request } from 'node:http';

export type Severity = 'info' | 'warning' | 'error';
export interface Notification {
  message: string;
  severity: Severity;
  source: string;
  actions: string[];
  where: 'toast' | 'center';
  progress: boolean;
}
export interface StatusBarItem {
  id: string;
  text: string;
  ariaLabel: string;
  hasCommand: boolean;
  backgroundColor: string;
}
export interface WebviewOptions {
  /** Pick the webview whose visible text contains this, when several are open. */
  frameContains?: string;
}

function bridgeUrl(): URL {
  const url = process.env.MINT_TEST_BRIDGE;
  if (!url) {
    throw new Error(
      'MINT_TEST_BRIDGE is not set: the UI bridge exists only when the suite runs through scripts/run-integration.mjs ("npm run test:integration")',
    );
  }
  return new URL(url);
}

function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
  const base = bridgeUrl();
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method,
        timeout: timeoutMs,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new Error(`UI bridge ${method} ${path}: reply is not JSON: ${text.slice(0, 200)}`));
          }
          if (res.statusCode !== 200) {
            const msg = (parsed as { error?: string }).error ?? text;
            return reject(new Error(`UI bridge ${method} ${path} (${res.statusCode}): ${msg}`));
          }
          resolve(parsed as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`UI bridge ${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error(`UI bridge ${method} ${path}: ${err.message}`)));
    req.end(payload);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const ui = {
  /** Whether the suite runs with a bridge (under scripts/run-integration.mjs). */
  get available(): boolean {
    return !!process.env.MINT_TEST_BRIDGE;
  },

  /** Notifications visible now: toasts, and the notification center when it is open. */
  notifications: () => call<Notification[]>('GET', '/notifications'),
  /** Clicks the button with exactly this label, on the first visible notification that has it (and contains `message`, when given). */
  clickNotificationAction: (label: string, message?: string) =>
    call<{ clicked: string }>('POST', '/notifications/click', { label, message }),

  statusBar: () => call<StatusBarItem[]>('GET', '/statusbar'),
  /** Hovers a status bar item (by element id or contained text) and returns the tooltip shown. */
  statusBarTooltip: (match: string) => call<{ tooltip: string }>('POST', '/statusbar/hover', { match }).then((r) => r.tooltip),
  clickStatusBarItem: (match: string) => call<{ clicked: boolean }>('POST', '/statusbar/click', { match }),

  /** The clipboard as the browser page reads it. */
  clipboard: () => call<{ text: string }>('GET', '/clipboard').then((r) => r.text),
  /** Saves test-results/screenshots/<name>.png and returns its path. */
  screenshot: (name: string) => call<{ path: string }>('POST', '/screenshot', { name }).then((r) => r.path),

  /** Runs a command by its palette title ("Category: Title"); fails when the palette does not list it. */
  runFromPalette: (title: string, timeoutMs = 10_000) =>
    call<{ ran: string }>('POST', '/palette', { title, timeoutMs }, timeoutMs + 20_000),
  /** Whether the command palette lists a command with exactly this title; runs nothing. */
  paletteLists: (title: string, timeoutMs = 5_000) =>
    call<{ listed: string }>('POST', '/palette', { title, timeoutMs, run: false }, timeoutMs + 20_000).then(
      () => true,
      (err: Error) => {
        if (/lists no command/.test(err.message)) return false;
        throw err;
      },
    ),
  pressKeys: (...keys: string[]) => call<{ pressed: string[] }>('POST', '/keys', { keys }),
  type: (text: string) => call<{ typed: boolean }>('POST', '/type', { text }),

  /** innerText of every workbench element matching a CSS selector. */
  query: (selector: string) => call<string[]>('POST', '/query', { selector }),
  click: (selector: string, text?: string) => call<{ clicked: boolean }>('POST', '/click', { selector, text }),

  /** innerText of elements matching a selector inside webviews (nested iframes). */
  webviewQuery: (selector: string, opts: WebviewOptions = {}) => call<string[]>('POST', '/webview/query', { selector, ...opts }),
  webviewClick: (selector: string, opts: WebviewOptions = {}) =>
    call<{ clicked: boolean }>('POST', '/webview/click', { selector, ...opts }),
  webviewFill: (selector: string, value: string, opts: WebviewOptions = {}) =>
    call<{ filled: boolean }>('POST', '/webview/fill', { selector, value, ...opts }),

  /**
   * Polls `probe` until it returns a truthy value and returns that value. On timeout the error
   * names `what` and the last value seen, so a failure explains itself.
   */
  async waitFor<T>(
    probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
    timeoutMs = 10_000,
    what = 'condition',
    intervalMs = 150,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    let lastError: unknown;
    for (;;) {
      try {
        last = await probe();
        lastError = undefined;
        if (last) return last as T;
      } catch (err) {
        lastError = err;
      }
      if (Date.now() > deadline) {
        const seen = lastError instanceof Error ? `last error: ${lastError.message}` : `last value: ${JSON.stringify(last)}`;
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`);
      }
      await sleep(intervalMs);
    }
  },

  /** Waits for a visible notification whose message contains `text`. */
  waitForNotification(text: string | RegExp, timeoutMs = 10_000): Promise<Notification> {
    const hit = (n: Notification) => (typeof text === 'string' ? n.message.includes(text) : text.test(n.message));
    let seen: Notification[] = [];
    return ui
      .waitFor(async () => (seen = await ui.notifications()).find(hit), timeoutMs, `a notification matching ${String(text)}`)
      .catch((err: Error) => {
        throw new Error(`${err.message}; visible instead: ${JSON.stringify(seen.map((n) => `${n.severity}: ${n.message}`))}`);
      });
  },
};
