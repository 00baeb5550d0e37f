import * as vscode from 'vscode';
import type { ServiceClient } from '../mint';
import type { Log } from './log';
import type { ApiKeyStore, KeySource } from './secrets';
import { affectsMint, baseUrlProblem, isLoopback, readSettings } from './settings';
import { BaseUrlRefusedError, NoApiKeyError, NoServerError } from './setupErrors';

/** A remote server always needs the user's key; a local one (the emulator, loopback) takes any key or none. */
export function needsKey(server: ServerChoice): boolean {
  return !(URL.canParse(server.url) && isLoopback(new URL(server.url).hostname));
}

export type ServerOrigin = 'emulator' | 'settings' | 'MINT_BASE_URL' | 'TINKER_BASE_URL';
export interface ServerChoice {
  url: string;
  origin: ServerOrigin;
}

export interface ActiveClient {
  client: ServiceClient;
  server: ServerChoice;
  keySource: KeySource | undefined;
}

/**
 * Owns the one ServiceClient of the window. It is built on first use (so activation never
 * loads undici or zod) from, in order: a running local emulator the user started, the user's
 * mint.baseUrl, then MINT_BASE_URL / TINKER_BASE_URL; the key from SecretStorage, then the env.
 * Any change to those (settings, proxy settings, key, emulator) throws the client away, and the
 * next request builds a fresh one.
 *
 * With no server configured at all, the local emulator is the default: `getClient()` then fails
 * with NoServerError, whose presenter row offers to start it.
 */
export class ClientManager implements vscode.Disposable {
  private current: Promise<ActiveClient> | undefined;
  private emulatorUrl: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  private batching: Promise<void> | undefined;
  private changeOwed = false;

  constructor(
    private readonly log: Log,
    private readonly keys: ApiKeyStore,
    private readonly userAgent: string,
  ) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsMint(e)) this.invalidate('settings changed');
      }),
      keys.onDidChange(() => this.invalidate('API key changed')),
    );
  }

  /** The server requests go to now, or undefined when none is chosen. Never throws. */
  server(): ServerChoice | undefined {
    if (this.emulatorUrl) return { url: this.emulatorUrl, origin: 'emulator' };
    const s = readSettings();
    if (s.baseUrl) return { url: s.baseUrl, origin: 'settings' };
    if (process.env.MINT_BASE_URL?.trim()) return { url: process.env.MINT_BASE_URL.trim(), origin: 'MINT_BASE_URL' };
    if (process.env.TINKER_BASE_URL?.trim()) return { url: process.env.TINKER_BASE_URL.trim(), origin: 'TINKER_BASE_URL' };
    return undefined;
  }

  /** Points the extension at a local emulator (or away from it, with undefined). */
  useEmulator(url: string | undefined): void {
    this.emulatorUrl = url;
    this.invalidate(url ? `using the local emulator at ${url}` : 'local emulator stopped');
  }

  async getClient(): Promise<ActiveClient> {
    // A server switch under way: build only for the server it ends on.
    while (this.batching) await this.batching;
    if (!this.current) {
      const building = this.build();
      this.current = building;
      // A failed build (no key, bad URL) must not stick: the next call tries again.
      building.catch(() => {
        if (this.current === building) this.current = undefined;
      });
    }
    return this.current;
  }

  invalidate(reason: string): void {
    const old = this.current;
    this.current = undefined;
    if (old) {
      this.log.info('server', `rebuilding the MinT client: ${reason}`);
      old.then(
        (c) => c.client.close(),
        () => undefined,
      );
    }
    // Inside batch() the listeners hear of it once, at the end, on the final server.
    if (this.batching) this.changeOwed = true;
    else this.changed.fire();
  }

  /**
   * Runs several changes as one (Select Server: the new setting, then letting go of the emulator):
   * no client is built in between, and listeners are told once, so a switch builds one client and
   * reloads each view once instead of once per change.
   */
  async batch<T>(fn: () => Promise<T>): Promise<T> {
    if (this.batching) return fn();
    let release!: () => void;
    this.batching = new Promise<void>((r) => (release = r));
    try {
      return await fn();
    } finally {
      this.batching = undefined;
      release();
      if (this.changeOwed) {
        this.changeOwed = false;
        this.changed.fire();
      }
    }
  }

  dispose(): void {
    this.invalidate('extension deactivated');
    for (const s of this.subscriptions) s.dispose();
    this.changed.dispose();
  }

  /**
   * A client for asking another server whether it answers: same proxy and CA settings as the
   * real one, but no key (it goes only to the server the user chose), one attempt, short timeout.
   */
  async probeClient(url: string, timeoutMs: number): Promise<{ healthCheck: ServiceClient['healthCheck']; close(): Promise<void> }> {
    const [{ ServiceClient }, network, { probeClientOptions }] = await Promise.all([
      import('../mint'),
      import('./network'),
      import('./serverProbe'),
    ]);
    const net = isLoopback(new URL(url).hostname) ? { dispatcher: undefined } : network.buildDispatcher(network.readNetworkConfig());
    const client = new ServiceClient({
      ...probeClientOptions(url, timeoutMs, this.userAgent),
      ...(net.dispatcher ? { dispatcher: net.dispatcher } : {}),
    });
    return {
      healthCheck: (opts) => client.healthCheck(opts),
      // The client does not own a dispatcher it was handed: close that one too.
      close: async () => {
        await client.close();
        await net.dispatcher?.destroy();
      },
    };
  }

  private async build(): Promise<ActiveClient> {
    const server = this.server();
    if (!server) throw new NoServerError();
    const problem = baseUrlProblem(server.url);
    if (problem) throw new BaseUrlRefusedError(server.url, problem);
    const key = await this.keys.resolve();
    if (!key && needsKey(server)) throw new NoApiKeyError(new URL(server.url).host);
    this.log.addSecret(key?.key);

    const [{ ServiceClient }, network] = await Promise.all([import('../mint'), import('./network')]);
    const settings = readSettings();
    // Our own emulator is on loopback: a corporate proxy must not be asked to reach it.
    const net =
      server.origin === 'emulator'
        ? { dispatcher: undefined, describe: 'direct (local emulator)' }
        : network.buildDispatcher(network.readNetworkConfig());
    const client = new ServiceClient({
      baseUrl: server.url,
      apiKey: key?.key ?? '',
      timeoutMs: settings.timeoutMs,
      maxRetries: settings.maxRetries,
      userAgent: this.userAgent,
      ...(net.dispatcher ? { dispatcher: net.dispatcher } : {}),
      onRequest: (e) => {
        const line =
          `${e.method} ${e.path} -> ${e.status ?? 'no reply'} in ${Math.round(e.durationMs)} ms` +
          (e.attempt > 1 ? ` (attempt ${e.attempt})` : '') +
          (e.request_id ? ` [request id ${e.request_id}]` : '') +
          (e.error ? ` ${e.error}` : '');
        if (e.status === undefined || e.status >= 400) this.log.warn('client', line);
        // A heartbeat every 10 s would bury the requests the user made: only at trace level.
        else if (e.path.endsWith('/session_heartbeat')) this.log.trace('client', line);
        else this.log.info('client', line);
      },
    });
    this.log.info(
      'server',
      `MinT client for ${server.url} (from ${server.origin}); ${key ? `key from ${key.source}` : 'no API key (a local server needs none)'}; network: ${net.describe}`,
    );
    return { client, server, keySource: key?.source };
  }
}
