import * as vscode from 'vscode';

const SECRET_ID = 'mint.apiKey';

export type KeySource = 'secret storage' | 'MINT_API_KEY' | 'TINKER_API_KEY';
export interface ResolvedKey {
  key: string;
  source: KeySource;
}

/** Raised when the OS keyring behind SecretStorage fails; its message says how to fix that. */
export class KeyringError extends Error {
  override name = 'KeyringError';
  constructor(action: 'read' | 'store' | 'delete', cause: unknown) {
    super(
      `VS Code could not ${action} the MinT API key in the system keyring` +
        (process.platform === 'linux'
          ? ' (on Linux this needs a running, unlocked Secret Service such as gnome-keyring or KWallet). Install and unlock one (e.g. `sudo apt install gnome-keyring`), or add "password-store": "basic" to VS Code\'s argv.json (Preferences: Configure Runtime Arguments) and restart. Until then MinT uses MINT_API_KEY from the environment.'
          : '. Check that the OS credential store is available, or set MINT_API_KEY in the environment.'),
      { cause },
    );
  }
}

/**
 * Where the API key lives: SecretStorage first, then the MINT_API_KEY and TINKER_API_KEY
 * environment variables (the MinT SDK's own order). The key is never written anywhere else.
 */
export class ApiKeyStore {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly storage: vscode.SecretStorage) {
    storage.onDidChange((e) => {
      if (e.key === SECRET_ID) this.changed.fire();
    });
  }

  async resolve(): Promise<ResolvedKey | undefined> {
    let stored: string | undefined;
    try {
      stored = await this.storage.get(SECRET_ID);
    } catch (e) {
      // A broken keyring must not hide an environment key that would work.
      const env = fromEnv();
      if (env) return env;
      throw new KeyringError('read', e);
    }
    if (stored) return { key: stored, source: 'secret storage' };
    return fromEnv();
  }

  async store(key: string): Promise<void> {
    try {
      await this.storage.store(SECRET_ID, key);
    } catch (e) {
      throw new KeyringError('store', e);
    }
  }

  async clear(): Promise<void> {
    try {
      await this.storage.delete(SECRET_ID);
    } catch (e) {
      throw new KeyringError('delete', e);
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function fromEnv(): ResolvedKey | undefined {
  const mint = process.env.MINT_API_KEY?.trim();
  if (mint) return { key: mint, source: 'MINT_API_KEY' };
  const tinker = process.env.TINKER_API_KEY?.trim();
  if (tinker) return { key: tinker, source: 'TINKER_API_KEY' };
  return undefined;
}

/** A key must be non-empty and free of whitespace; the server, not us, judges its prefix. */
export function keyProblem(value: string): string | undefined {
  if (!value.trim()) return 'Paste the API key from your MinT account page.';
  if (/\s/.test(value.trim())) return 'An API key has no spaces or line breaks; copy it again.';
  return undefined;
}
