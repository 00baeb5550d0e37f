import * as vscode from 'vscode';
import type { Log } from './log';
import type { ApiKeyStore } from './secrets';

const NEVER_KEY = 'mint.envKey.never';
const LINE = /^\s*(?:export\s+)?MINT_API_KEY\s*=\s*(.*)$/m;

/**
 * The MinT quickstart keeps MINT_API_KEY in a .env file. In a trusted workspace, a .env at a
 * folder root that defines it is detected and the user is ASKED whether to store the key in
 * SecretStorage; nothing is taken without that click, and untrusted workspaces are never read.
 */
export class EnvKeyDetector implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[] = [];
  private asking = false;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly state: vscode.Memento,
    private readonly log: Log,
  ) {
    this.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.check()));
    if (vscode.workspace.isTrusted) this.watch();
    else this.subscriptions.push(vscode.workspace.onDidGrantWorkspaceTrust(() => this.watch()));
  }

  /** Looks at each folder's .env; `explicit` (the command) also reports when there is nothing. */
  async check(explicit = false): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      if (explicit)
        void vscode.window.showWarningMessage(
          'MinT reads .env files only in trusted workspaces. Trust this workspace first, or set the key with "MinT: Set API Key".',
        );
      return;
    }
    if (!explicit && this.state.get<boolean>(NEVER_KEY)) return;
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const uri = vscode.Uri.joinPath(folder.uri, '.env');
      const value = await readKey(uri);
      if (value) {
        await this.offer(uri, value, explicit);
        return;
      }
    }
    if (explicit) void vscode.window.showInformationMessage('MinT: no .env file with MINT_API_KEY at the root of this workspace.');
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  private watch(): void {
    const w = vscode.workspace.createFileSystemWatcher('**/.env', false, false, true);
    this.subscriptions.push(
      w,
      w.onDidCreate(() => void this.check()),
      w.onDidChange(() => void this.check()),
    );
  }

  private async offer(uri: vscode.Uri, value: string, explicit: boolean): Promise<void> {
    if (this.asking) return;
    const existing = await this.keys.resolve().catch(() => undefined);
    if (existing?.source === 'secret storage' && existing.key === value) {
      if (explicit) void vscode.window.showInformationMessage('MinT: the key in .env is already the stored API key.');
      return;
    }
    this.asking = true;
    try {
      const rel = vscode.workspace.asRelativePath(uri);
      const picked = await vscode.window.showInformationMessage(
        `MinT found MINT_API_KEY in ${rel}. Store it in VS Code's secret storage so MinT can use it?`,
        'Store Key',
        'Not Now',
        'Never for This Workspace',
      );
      if (picked === 'Store Key') {
        await this.keys.store(value);
        this.log.info('env', `API key from ${rel} stored in secret storage`);
        void vscode.window.showInformationMessage('MinT: API key stored in secret storage.');
      } else if (picked === 'Never for This Workspace') {
        await this.state.update(NEVER_KEY, true);
      }
    } finally {
      this.asking = false;
    }
  }
}

async function readKey(uri: vscode.Uri): Promise<string | undefined> {
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
  const m = LINE.exec(text);
  if (!m) return undefined;
  let v = m[1]!.trim();
  const quoted = /^(['"])(.*)\1$/.exec(v);
  v = quoted ? quoted[2]! : v.replace(/\s+#.*$/, '');
  return v || undefined;
}
