// Corporate networks: VS Code's http.proxy / http.noProxy settings route MinT requests through a
// proxy. The proxy here is a real CONNECT/forwarding proxy on 127.0.0.1 that counts what it saw.
import * as assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import * as vscode from 'vscode';
import { ui } from './bridge';
import { TEST_KEY, clearNotifications, configure, extensionApi, startTestEmulator, type TestEmulator } from './mintHarness';

interface SeenProxy {
  server: Server;
  url: string;
  seen: string[];
  close(): Promise<void>;
}

/** A minimal proxy: CONNECT tunnels and absolute-URI forwarding, loopback only, bounded in time. */
async function startProxy(): Promise<SeenProxy> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? '');
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host!, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    (socket as Socket).setTimeout(20_000, () => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    seen,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('network: proxies from VS Code settings', function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let proxy: SeenProxy;

  before(async function () {
    this.timeout(60_000);
    emu = await startTestEmulator();
    proxy = await startProxy();
    const api = await extensionApi();
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: emu.url, maxRetries: 0 });
  });

  after(async () => {
    const http = vscode.workspace.getConfiguration('http');
    await http.update('proxy', undefined, vscode.ConfigurationTarget.Global);
    await http.update('noProxy', undefined, vscode.ConfigurationTarget.Global);
    await configure({ baseUrl: undefined, maxRetries: undefined });
    await clearNotifications();
    await proxy?.close();
    await emu?.close();
  });

  it('sends MinT requests through http.proxy, and around it for http.noProxy hosts', async () => {
    const http = vscode.workspace.getConfiguration('http');
    await http.update('proxy', proxy.url, vscode.ConfigurationTarget.Global);
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    await ui.waitForNotification('MinT: connected to');
    const port = new URL(emu.url).port;
    assert.ok(
      proxy.seen.some((s) => s.includes(`127.0.0.1:${port}`)),
      `the proxy saw no MinT request: ${JSON.stringify(proxy.seen)}`,
    );

    await http.update('noProxy', ['127.0.0.1'], vscode.ConfigurationTarget.Global);
    const count = proxy.seen.length;
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    await ui.waitForNotification('MinT: connected to');
    assert.equal(proxy.seen.length, count, `http.noProxy was ignored: ${JSON.stringify(proxy.seen.slice(count))}`);
  });

  it('without http.proxy, HTTP_PROXY from the environment is honoured, and NO_PROXY too', async () => {
    const http = vscode.workspace.getConfiguration('http');
    await http.update('proxy', undefined, vscode.ConfigurationTarget.Global);
    await http.update('noProxy', undefined, vscode.ConfigurationTarget.Global);
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTP_PROXY = proxy.url;
    delete process.env.NO_PROXY;
    try {
      await configure({ timeoutSeconds: 21 }); // rebuilds the client, which reads the environment then
      const count = proxy.seen.length;
      await clearNotifications();
      await vscode.commands.executeCommand('mint.checkConnection');
      await ui.waitForNotification('MinT: connected to');
      assert.ok(proxy.seen.length > count, 'HTTP_PROXY was ignored');

      process.env.NO_PROXY = '127.0.0.1';
      await configure({ timeoutSeconds: 22 });
      const after = proxy.seen.length;
      await clearNotifications();
      await vscode.commands.executeCommand('mint.checkConnection');
      await ui.waitForNotification('MinT: connected to');
      assert.equal(proxy.seen.length, after, 'NO_PROXY was ignored');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await configure({ timeoutSeconds: undefined });
    }
  });

  it('a dead proxy is reported as a connection problem that names the proxy setting', async () => {
    const http = vscode.workspace.getConfiguration('http');
    await http.update('noProxy', undefined, vscode.ConfigurationTarget.Global);
    await http.update('proxy', 'http://127.0.0.1:9', vscode.ConfigurationTarget.Global);
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    const n = await ui.waitForNotification('Could not reach MinT');
    assert.ok(n.message.includes('http.proxy'), n.message);
    assert.deepEqual(n.actions, ['Retry', 'Select Server', 'Show Log']);
  });
});
