import * as vscode from 'vscode';
import { KNOWN_SERVERS, baseUrlProblem, readSettings } from '../settings';
import type { Services } from '../services';

type ServerPick = vscode.QuickPickItem & { url?: string; choice: 'known' | 'emulator' | 'custom' };

export async function selectServer(s: Services): Promise<void> {
  const current = s.clients.server()?.url;
  const items: ServerPick[] = [
    ...KNOWN_SERVERS.map((k): ServerPick => ({ label: k.label, description: k.url, url: k.url, choice: 'known', picked: current === k.url })),
    { label: 'Local emulator', description: 'runs on 127.0.0.1, no key needed', choice: 'emulator' },
    { label: 'Custom URL…', description: 'https:// (or http:// on loopback)', choice: 'custom' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'MinT: Select Server', placeHolder: current ? `Now: ${current}` : 'No server chosen yet' });
  if (!pick) return;
  if (pick.choice === 'emulator') {
    await vscode.commands.executeCommand('mint.startEmulator');
    return;
  }
  let url = pick.url;
  if (pick.choice === 'custom') {
    url = await vscode.window.showInputBox({
      title: 'MinT server URL',
      value: readSettings().baseUrl || 'https://',
      ignoreFocusOut: true,
      validateInput: (v) => baseUrlProblem(v.trim()),
    });
    if (!url) return;
    url = url.trim();
  }
  if (!url) return;
  // Application-wide on purpose: a workspace must never be able to choose where the key goes.
  await vscode.workspace.getConfiguration('mint').update('baseUrl', url, vscode.ConfigurationTarget.Global);
  if (s.emulator.url) {
    await s.emulator.stop();
    s.clients.useEmulator(undefined);
  }
  s.statusBar.setConnection('not checked');
  s.log.info('server', `server set to ${url}`);
  await vscode.commands.executeCommand('mint.checkConnection');
}

export async function checkConnection(s: Services): Promise<void> {
  const result = await s.operations.run('check connection', async ({ client, server, keySource }, t) => {
    const caps = await client.getServerCapabilities({ signal: t.signal });
    return { server, keySource, models: caps.supported_models.length };
  }, { retry: () => checkConnection(s) });
  if (!result) return;
  if (result.server.origin !== 'emulator' && !result.keySource) {
    // Capabilities need no key on every server; say so rather than claim the key works.
    s.statusBar.setConnection('connected');
  }
  void vscode.window.showInformationMessage(
    `MinT: connected to ${result.server.url} (${result.server.origin === 'emulator' ? 'local emulator' : `from ${result.server.origin}`}), ` +
      `${result.models} model${result.models === 1 ? '' : 's'} available; key from ${result.keySource ?? 'nowhere (local server)'}.`,
  );
}

export async function showModels(s: Services): Promise<void> {
  const caps = await s.operations.run('list models', ({ client }, t) => client.getServerCapabilities({ signal: t.signal }), { retry: () => showModels(s) });
  if (!caps) return;
  if (caps.supported_models.length === 0) {
    void vscode.window.showWarningMessage('MinT: this server offers no models right now. Try again later or select another server.');
    return;
  }
  const current = readSettings().defaultModel;
  const pick = await vscode.window.showQuickPick(
    caps.supported_models.map((m) => ({
      label: m.model_name,
      description: [m.model_name === current ? 'default' : '', m.max_context_length ? `context ${m.max_context_length}` : ''].filter(Boolean).join(' · '),
    })),
    { title: 'MinT models', placeHolder: 'Pick a model to make it the default for sampling' },
  );
  if (!pick) return;
  await vscode.workspace.getConfiguration('mint').update('defaultModel', pick.label, vscode.ConfigurationTarget.Global);
  s.statusBar.setModel(pick.label);
}
