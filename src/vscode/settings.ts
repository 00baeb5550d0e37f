import * as vscode from 'vscode';

/**
 * MinT's public endpoints, offered by `mint.selectServer` and asked by Check Connection when the
 * chosen one fails; the first is the SDK's own default. MinT's testing notes (2026-08) recommend
 * the training API host, which serves the API at its root rather than under /train.
 */
export const KNOWN_SERVERS = [
  { label: 'MinT (global)', url: 'https://mint.macaron.im/train' },
  { label: 'MinT China', url: 'https://mintcn.macaron.xin/train' },
  { label: 'MinT training API', url: 'https://mint-training-api.macaron.xin' },
] as const;

export type NotificationLevel = 'all' | 'errors' | 'none';

export interface Settings {
  /** Empty when the user never chose a server: then the local emulator is the default. */
  baseUrl: string;
  defaultModel: string;
  timeoutMs: number;
  maxRetries: number;
  /** Tokens mint.sampleSelection asks for. */
  sampleMaxTokens: number;
  notificationLevel: NotificationLevel;
}

export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('mint');
  // mint.baseUrl is machine-scoped and a restricted configuration: only the user's own settings
  // count, so a cloned repository's .vscode/settings.json cannot redirect the key.
  const inspected = c.inspect<string>('baseUrl');
  const baseUrl = (inspected?.globalValue ?? inspected?.defaultValue ?? '').trim();
  const level = c.get<string>('notificationLevel', 'errors');
  return {
    baseUrl,
    defaultModel: c.get<string>('defaultModel', '').trim(),
    timeoutMs: Math.max(1, c.get<number>('timeoutSeconds', 60)) * 1000,
    maxRetries: Math.max(0, Math.floor(c.get<number>('maxRetries', 2))),
    sampleMaxTokens: Math.max(1, Math.floor(c.get<number>('sampleMaxTokens', 128))),
    notificationLevel: level === 'all' || level === 'none' ? level : 'errors',
  };
}

export function affectsMint(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration('mint') || e.affectsConfiguration('http');
}

/** Why a base URL cannot be used, in words that say the fix; undefined when it is fine. */
export function baseUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `"${raw}" is not a URL. Set mint.baseUrl to a full address such as https://mint.macaron.im/train.`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    if (isLoopback(url.hostname)) return undefined;
    return `MinT refuses ${url.origin}: your API key would travel unencrypted over plain http://. Use an https:// address, or http://127.0.0.1 for a local emulator.`;
  }
  return `MinT only speaks http(s), not ${url.protocol}. Set mint.baseUrl to an https:// address.`;
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
