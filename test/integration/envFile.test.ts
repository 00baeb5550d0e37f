// The MinT quickstart keeps MINT_API_KEY in .env: in a trusted workspace the extension offers
// to move it into secret storage, and takes nothing without the user's click.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ui } from './bridge';
import { clearNotifications, extensionApi, sleep } from './mintHarness';

describe('.env: offering MINT_API_KEY from the workspace', function () {
  this.timeout(60_000);
  const envKey = `sk-mint-env-${Math.random().toString(36).slice(2, 12)}`;
  let envUri: vscode.Uri;

  before(async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder);
    envUri = vscode.Uri.joinPath(folder.uri, '.env');
    await (await extensionApi()).services.keys.clear();
    await clearNotifications();
  });

  after(async () => {
    await vscode.workspace.fs.delete(envUri).then(undefined, () => undefined);
    await (await extensionApi()).services.keys.clear();
    await clearNotifications();
  });

  it('asks before storing; "Not Now" stores nothing; "Store Key" stores it in secret storage', async () => {
    const api = await extensionApi();
    await vscode.workspace.fs.writeFile(
      envUri,
      new TextEncoder().encode(`# from the MinT quickstart\nMINT_BASE_URL=https://mint.macaron.im/train\nMINT_API_KEY="${envKey}"\n`),
    );
    const offer = await ui.waitForNotification('MinT found MINT_API_KEY in .env', 15_000);
    assert.deepEqual(offer.actions, ['Store Key', 'Not Now', 'Never for This Workspace']);
    assert.ok(!offer.message.includes(envKey), 'the offer shows the key');
    assert.equal((await api.services.keys.resolve())?.source === 'secret storage', false, 'the key was taken before the user answered');
    await ui.clickNotificationAction('Not Now', 'MinT found MINT_API_KEY');
    await sleep(300);
    assert.equal((await api.services.keys.resolve())?.source === 'secret storage', false, '"Not Now" stored the key');

    await clearNotifications();
    await ui.runFromPalette('MinT: Store API Key from .env');
    await ui.waitForNotification('MinT found MINT_API_KEY in .env');
    await ui.clickNotificationAction('Store Key', 'MinT found MINT_API_KEY');
    await ui.waitForNotification('API key stored in secret storage');
    const stored = await api.services.keys.resolve();
    assert.equal(stored?.key, envKey);
    assert.equal(stored?.source, 'secret storage');
  });
});
