// The ground every other integration test stands on: the extension loads in a real VS Code, and
// the UI bridge reports what the workbench shows (so a broken bridge cannot pass as a green UI test).
import * as assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ui } from './bridge';

interface Manifest {
  publisher: string;
  name: string;
  contributes?: {
    commands?: { command: string; title: string; category?: string }[];
    menus?: { commandPalette?: { command: string; when?: string }[] };
  };
}
// Bundled to out/test/integration/, three levels below the repository root.
const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as Manifest;
const extensionId = `${manifest.publisher}.${manifest.name}`;
const unique = () => Math.random().toString(36).slice(2, 10);

describe('smoke: VS Code, the extension and the UI bridge', function () {
  this.timeout(60_000);

  afterEach(async () => {
    await vscode.commands.executeCommand('notifications.clearAll');
  });

  it('runs with a UI bridge handed down through the extension host environment', async () => {
    assert.ok(ui.available, 'MINT_TEST_BRIDGE did not reach the extension host');
    const workbench = await ui.query('.monaco-workbench .part.statusbar');
    assert.equal(workbench.length, 1, 'the bridge does not see the workbench status bar');
  });

  it(`activates ${extensionId}`, async () => {
    const ext = vscode.extensions.getExtension(extensionId);
    assert.ok(ext, `${extensionId} is not loaded as the development extension`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers every contributed command, and the palette lists the unconditional ones', async function () {
    // A commandPalette `when` clause hides a command on purpose in some states (no editor open,
    // untrusted folder); those are checked where that state is set up, not here.
    const conditional = new Set((manifest.contributes?.menus?.commandPalette ?? []).map((m) => m.command));
    const commands = manifest.contributes?.commands ?? [];
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const c of commands) {
      assert.ok(registered.has(c.command), `${c.command} is contributed but not registered after activation`);
      if (conditional.has(c.command)) continue;
      const title = c.category ? `${c.category}: ${c.title}` : c.title;
      assert.equal(await ui.paletteLists(title), true, `the command palette does not list "${title}"`);
    }
  });

  it('runs a command typed into the command palette', async () => {
    await ui.runFromPalette('Notifications: Show Notifications');
    await ui.waitFor(async () => (await ui.query('.notifications-center.visible')).length === 1, 5_000, 'the notification center to open');
    await vscode.commands.executeCommand('notifications.hideList');
    await ui.waitFor(async () => (await ui.query('.notifications-center.visible')).length === 0, 5_000, 'the notification center to close');
    await assert.rejects(ui.runFromPalette(`No Such Command ${unique()}`, 1_500), /lists no command titled/);
  });

  it('presses keys and types into the workbench as a person does', async () => {
    await ui.pressKeys('F1');
    await ui.type('Notifications: Show Notif');
    const rows = await ui.waitFor(
      async () => {
        const r = await ui.query('.quick-input-widget .quick-input-list .monaco-list-row .label-name');
        return r.includes('Notifications: Show Notifications') ? r : undefined;
      },
      5_000,
      'the palette to filter on the typed text',
    );
    assert.ok(rows.length >= 1);
    await ui.pressKeys('Escape');
    await ui.waitFor(
      async () =>
        (await ui.query('.quick-input-widget .quick-input-list .monaco-list-row')).length === 0 ||
        (await ui.query('.quick-input-widget[style*="display: none"]')).length === 1,
      5_000,
      'the palette to close',
    );
  });

  it('shows a notification with its buttons, and a click on a button resolves it', async () => {
    const tag = unique();
    const choice = vscode.window.showInformationMessage(`Smoke ${tag}: pick one`, 'Alpha', 'Beta');
    const toast = await ui.waitForNotification(tag);
    assert.equal(toast.severity, 'info');
    assert.equal(toast.message, `Smoke ${tag}: pick one`);
    assert.deepEqual(toast.actions, ['Alpha', 'Beta']);
    await ui.clickNotificationAction('Beta', tag);
    assert.equal(await choice, 'Beta');
    await ui.waitFor(
      async () => !(await ui.notifications()).some((n) => n.message.includes(tag)),
      5_000,
      'the toast to close after the click',
    );
    await assert.rejects(ui.clickNotificationAction(`Missing ${tag}`), /no visible notification has a button/);
  });

  it('tells error and warning notifications apart', async () => {
    const tag = unique();
    void vscode.window.showErrorMessage(`Smoke error ${tag}`, 'Copy');
    const error = await ui.waitForNotification(`Smoke error ${tag}`);
    void vscode.window.showWarningMessage(`Smoke warning ${tag}`, 'Retry');
    const warning = await ui.waitForNotification(`Smoke warning ${tag}`);
    assert.equal(error.severity, 'error');
    assert.deepEqual(error.actions, ['Copy']);
    assert.equal(warning.severity, 'warning');
    assert.deepEqual(warning.actions, ['Retry']);
  });

  it('reads a status bar item: its text, its tooltip on hover, and clicks it', async () => {
    const tag = unique();
    const item = vscode.window.createStatusBarItem(`smoke.${tag}`, vscode.StatusBarAlignment.Left, 10_000);
    let command: vscode.Disposable | undefined;
    try {
      item.text = `$(beaker) Smoke ${tag}`;
      item.tooltip = `Tooltip ${tag}`;
      item.show();
      const shown = await ui.waitFor(async () => (await ui.statusBar()).find((s) => s.text.includes(tag)), 5_000, 'the status bar item');
      assert.equal(shown.text, `Smoke ${tag}`, 'the codicon should render as an icon, not as text');
      assert.equal(shown.hasCommand, false, JSON.stringify(shown));
      assert.equal(await ui.statusBarTooltip(`Smoke ${tag}`), `Tooltip ${tag}`);
      const clicked = new Promise<void>((resolve) => {
        command = vscode.commands.registerCommand(`smoke.click.${tag}`, () => resolve());
      });
      item.command = `smoke.click.${tag}`;
      await ui.waitFor(
        async () => (await ui.statusBar()).find((s) => s.text.includes(tag) && s.hasCommand),
        5_000,
        'the item to become clickable',
      );
      await ui.clickStatusBarItem(`Smoke ${tag}`);
      await clicked;
    } finally {
      item.dispose();
      command?.dispose();
    }
    await ui.waitFor(async () => !(await ui.statusBar()).some((s) => s.text.includes(tag)), 5_000, 'the item to leave the status bar');
  });

  it('reads back what the extension wrote to the clipboard', async () => {
    const text = `clipboard ${unique()} ✓`;
    await vscode.env.clipboard.writeText(text);
    assert.equal(await ui.clipboard(), text);
  });

  it('saves a screenshot of the workbench', async () => {
    const path = await ui.screenshot('smoke-workbench');
    const png = readFileSync(path);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], `${path} is not a PNG`);
    assert.ok(statSync(path).size > 5_000, `${path} is too small to hold a workbench`);
  });

  it('reads and drives the content of a webview', async () => {
    const tag = unique();
    const panel = vscode.window.createWebviewPanel('smoke.webview', `Smoke ${tag}`, vscode.ViewColumn.One, { enableScripts: true });
    try {
      const clicked = new Promise<unknown>((resolve) => panel.webview.onDidReceiveMessage(resolve));
      const nonce = unique();
      panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy"
        content="default-src 'none'; script-src 'nonce-${nonce}';"></head><body>
        <h1 id="title">Webview ${tag}</h1><input id="name"><button id="send">Send</button>
        <script nonce="${nonce}">const vscode = acquireVsCodeApi();
        document.getElementById('send').addEventListener('click', () =>
          vscode.postMessage({ name: document.getElementById('name').value }));</script></body></html>`;
      const texts = await ui.waitFor(
        async () => {
          const t = await ui.webviewQuery('#title', { frameContains: tag });
          return t.length ? t : undefined;
        },
        15_000,
        'the webview to render',
      );
      assert.deepEqual(texts, [`Webview ${tag}`]);
      await ui.webviewFill('#name', `typed ${tag}`, { frameContains: tag });
      await ui.webviewClick('#send', { frameContains: tag });
      assert.deepEqual(await clicked, { name: `typed ${tag}` });
    } finally {
      panel.dispose();
    }
  });
});
