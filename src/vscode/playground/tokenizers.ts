import * as vscode from 'vscode';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { MintTokenizer } from '../../mint/tokenizer';
import type { Log } from '../log';

const HF_TOKEN_SECRET = 'mint.hfToken';

export type TokenizerLookup = { tokenizer: MintTokenizer; problem?: undefined } | { tokenizer?: undefined; problem: string };

/**
 * The playground's tokenizers: the local folder from settings, the bundled Qwen3 files, the
 * global-storage cache, then the Hugging Face hub with the user's HF token from SecretStorage.
 * A model without a tokenizer is not an error here: the playground falls back to text mode.
 */
export class PlaygroundTokenizers {
  private readonly failures = new Map<string, string>();
  /** Models whose tokenizer source is already in the log: a batch of 10,000 rows says it once. */
  private readonly logged = new Set<string>();
  private network: Promise<Dispatcher | undefined> | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Log,
  ) {}

  async get(model: string, signal?: AbortSignal): Promise<TokenizerLookup> {
    const known = this.failures.get(model);
    if (known) return { problem: known };
    const { loadTokenizer, TokenizerUnavailableError } = await import('../../mint/tokenizer');
    const cfg = vscode.workspace.getConfiguration('mint.tokenizer');
    let token: string | undefined;
    try {
      token = await this.context.secrets.get(HF_TOKEN_SECRET);
    } catch {
      token = undefined; // a broken keyring only costs gated repos; public tokenizers still load
    }
    if (token) this.log.addSecret(token);
    try {
      const t = await loadTokenizer(model, {
        localDir: cfg.get<string>('localPath', '').trim() || undefined,
        bundledDir: join(this.context.extensionPath, 'dist', 'tokenizers'),
        cacheDir: vscode.Uri.joinPath(this.context.globalStorageUri, 'tokenizers').fsPath,
        hub: cfg.get<boolean>('downloadFromHub', true)
          ? { endpoint: process.env.HF_ENDPOINT, token, dispatcher: await this.dispatcher() }
          : false,
        signal,
      });
      if (!this.logged.has(`${model}\u0000${t.source}`)) {
        this.logged.add(`${model}\u0000${t.source}`);
        this.log.info('playground', `tokenizer for ${model}: ${t.source}`);
      }
      return { tokenizer: t };
    } catch (e) {
      if (signal?.aborted) throw e;
      const problem =
        e instanceof TokenizerUnavailableError ? e.message : `Loading the tokenizer for ${model} failed: ${(e as Error).message}`;
      this.log.warn('playground', problem);
      // Remembered until settings or the token change, so each keystroke does not retry a download.
      this.failures.set(model, problem);
      return { problem };
    }
  }

  /** Downloads go through the same proxy and CA settings as MinT requests (http.proxy, NODE_EXTRA_CA_CERTS). */
  private dispatcher(): Promise<Dispatcher | undefined> {
    this.network ??= import('../network').then((n) => n.buildDispatcher(n.readNetworkConfig()).dispatcher);
    return this.network;
  }

  forget(): void {
    this.failures.clear();
    this.logged.clear();
    this.network = undefined;
    void import('../../mint/tokenizer').then((m) => m.clearTokenizerCache());
  }

  async setHfToken(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: 'Hugging Face token for gated tokenizers',
      prompt:
        'Used only to download tokenizer.json from the Hugging Face hub (or HF_ENDPOINT). Stored in VS Code secret storage. Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    if (value.trim()) await this.context.secrets.store(HF_TOKEN_SECRET, value.trim());
    else await this.context.secrets.delete(HF_TOKEN_SECRET);
    this.forget();
    void vscode.window.showInformationMessage(value.trim() ? 'MinT: Hugging Face token stored.' : 'MinT: Hugging Face token removed.');
  }
}
