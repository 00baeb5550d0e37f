import * as vscode from 'vscode';
import { contextLabel } from '../../shared/format';
import { KNOWN_SERVERS, baseUrlProblem, readSettings } from '../settings';
import type { Services } from '../services';
import { leaveLocalEmulator } from './emulator';

type ServerPick = vscode.QuickPickItem & { url?: string; choice: 'known' | 'emulator' | 'custom' };

export async function selectServer(s: Services): Promise<void> {
  const current = s.clients.server()?.url;
  const items: ServerPick[] = [
    ...KNOWN_SERVERS.map((k): ServerPick => ({
      label: k.label,
      description: k.url,
      url: k.url,
      choice: 'known',
      picked: current === k.url,
    })),
    {
      label: 'Local emulator',
      description: 'the one already running on 127.0.0.1 (npm start, another window), else a new one; no key needed',
      choice: 'emulator',
      picked: s.clients.server()?.origin === 'emulator',
    },
    { label: 'Custom URL…', description: 'https:// (or http:// on loopback)', choice: 'custom' },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: 'MinT: Select Server',
    placeHolder: current ? `Now: ${current}` : 'No server chosen yet',
  });
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
  // One switch, one new client: the setting and letting go of the emulator are a single change.
  await s.clients.batch(async () => {
    await vscode.workspace.getConfiguration('mint').update('baseUrl', url, vscode.ConfigurationTarget.Global);
    await leaveLocalEmulator(s);
  });
  s.statusBar.setConnection('not checked');
  s.log.info('server', `server set to ${url}`);
  await vscode.commands.executeCommand('mint.checkConnection');
}

export async function checkConnection(s: Services): Promise<void> {
  const outcome = await s.operations.attempt(
    'check connection',
    async ({ client, server, keySource }, t) => {
      const caps = await client.getServerCapabilities({ signal: t.signal });
      return { server, keySource, models: caps.supported_models.length };
    },
    { retry: () => checkConnection(s) },
  );
  if (outcome.kind === 'failed') {
    await reportOtherServers(s, outcome.error.className);
    return;
  }
  if (outcome.kind !== 'ok') return;
  const result = outcome.value;
  if (result.server.origin !== 'emulator' && !result.keySource) {
    // Capabilities need no key on every server; say so rather than claim the key works.
    s.statusBar.setConnection('connected');
  }
  void vscode.window.showInformationMessage(
    `MinT: connected to ${result.server.url} (${result.server.origin === 'emulator' ? 'local emulator' : `from ${result.server.origin}`}), ` +
      `${result.models} model${result.models === 1 ? '' : 's'} available; ` +
      // Only loopback servers are reached without a key: say that, not where a missing key came from.
      (result.keySource ? `API key from ${result.keySource}.` : 'no API key sent (a local server needs none).'),
  );
}

const PROBE_TIMEOUT_MS = 5_000;

/**
 * After the chosen server failed to answer: which of MinT's other endpoints answer now. Skipped
 * for the local emulator (its failure is local) and for failures that prove the server answered.
 */
async function reportOtherServers(s: Services, failure: string): Promise<void> {
  const current = s.clients.server();
  if (!current || current.origin === 'emulator' || !SERVER_MAY_BE_WRONG.has(failure)) return;
  const same = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
  const targets = KNOWN_SERVERS.filter((k) => !same(k.url, current.url)).map((k) => ({ label: k.label, url: k.url }));
  const { probeServers, describeProbes } = await import('../serverProbe');
  const results = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'MinT: asking the other MinT servers' },
    () => probeServers(targets, (url) => s.clients.probeClient(url, PROBE_TIMEOUT_MS), PROBE_TIMEOUT_MS),
  );
  for (const r of results)
    s.log.info('server', `probe ${r.url}: ${r.ok ? `answers in ${r.ms} ms` : `no (${r.problem ?? 'no answer'} after ${r.ms} ms)`}`);
  const text = `MinT: ${current.url} did not answer. ${describeProbes(results)}`;
  // Not awaited: the command is done once the answer is on screen, not when the toast is dismissed.
  const shown = results.some((r) => r.ok)
    ? vscode.window.showInformationMessage(text, 'Select Server')
    : vscode.window.showWarningMessage(text, 'Open Settings');
  void Promise.resolve(shown).then(async (picked) => {
    if (picked === 'Select Server') await vscode.commands.executeCommand('mint.selectServer');
    if (picked === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'http.proxy');
  });
}

/**
 * Failures after which the address itself may be the problem: nothing answered, or something
 * that is not MinT's API did. A 4xx about the key or a 5xx came from MinT: the address is right.
 */
const SERVER_MAY_BE_WRONG = new Set([
  'APIConnectionError',
  'APITimeoutError',
  'NotFoundError',
  'NotSupportedError',
  'APIResponseValidationError',
]);

export async function showModels(s: Services): Promise<void> {
  const caps = await s.operations.run('list models', ({ client }, t) => client.getServerCapabilities({ signal: t.signal }), {
    retry: () => showModels(s),
  });
  if (!caps) return;
  if (caps.supported_models.length === 0) {
    void vscode.window.showWarningMessage('MinT: this server offers no models right now. Try again later or select another server.');
    return;
  }
  const current = readSettings().defaultModel;
  const pick = await vscode.window.showQuickPick(
    caps.supported_models.map((m) => ({
      label: m.model_name,
      description: [m.model_name === current ? 'default' : '', m.max_context_length ? contextLabel(m.max_context_length) : '']
        .filter(Boolean)
        .join(' · '),
    })),
    { title: 'MinT models', placeHolder: 'Pick a model to make it the default for sampling' },
  );
  if (!pick) return;
  await vscode.workspace.getConfiguration('mint').update('defaultModel', pick.label, vscode.ConfigurationTarget.Global);
  s.statusBar.setModel(pick.label);
}
