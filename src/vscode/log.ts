import * as vscode from 'vscode';

/**
 * The one "MinT" LogOutputChannel. Every line carries a component tag so a user reading the log
 * can tell the client's requests from the emulator's output or the extension's own decisions.
 *
 * Secrets are removed here, at the last step before text leaves the process, so no caller can
 * forget: the API key currently in use is registered with `addSecret` and replaced by a marker in
 * every line; `sk-…`-shaped tokens and `X-API-Key:` header values are masked whatever their value.
 */
export type Component =
  | 'client'
  | 'emulator'
  | 'key'
  | 'server'
  | 'presenter'
  | 'activation'
  | 'sample'
  | 'env'
  | 'playground'
  | 'python'
  | 'datasets'
  | 'finetune';

const KEY_SHAPED = /\b(sk|tml)-[A-Za-z0-9_-]{6,}/g;
const KEY_HEADER = /(x-api-key|authorization)(["']?\s*[:=]\s*["']?)(bearer\s+)?[^\s"',}]+/gi;

export class Log implements vscode.Disposable {
  private readonly channel: vscode.LogOutputChannel;
  private readonly secrets = new Set<string>();

  constructor() {
    this.channel = vscode.window.createOutputChannel('MinT', { log: true });
  }

  /** Any string registered here is replaced by "[redacted]" in every later line. */
  addSecret(secret: string | undefined): void {
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[redacted]');
    return out.replace(KEY_HEADER, '$1$2$3[redacted]').replace(KEY_SHAPED, '$1-[redacted]');
  }

  trace(c: Component, msg: string): void {
    this.channel.trace(this.line(c, msg));
  }
  debug(c: Component, msg: string): void {
    this.channel.debug(this.line(c, msg));
  }
  info(c: Component, msg: string): void {
    this.channel.info(this.line(c, msg));
  }
  warn(c: Component, msg: string): void {
    this.channel.warn(this.line(c, msg));
  }
  error(c: Component, msg: string): void {
    this.channel.error(this.line(c, msg));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }

  private line(c: Component, msg: string): string {
    return `[${c}] ${this.redact(msg)}`;
  }
}
