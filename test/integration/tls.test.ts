// Extra CA certificates: a MinT server behind a company CA is unreachable until NODE_EXTRA_CA_CERTS
// names that CA, and the failure says so. The CA, the certificate and the HTTPS front are real
// (openssl + node:https on 127.0.0.1), forwarding to the emulator.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { ui } from './bridge';
import { TEST_KEY, clearNotifications, configure, extensionApi, startTestEmulator, type TestEmulator } from './mintHarness';

function makeCertificates(dir: string): { ca: string; key: string; cert: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=MinT Test Company CA',
  );
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  return { ca: join(dir, 'ca.pem'), key: join(dir, 'server.key'), cert: join(dir, 'server.pem') };
}

describe('TLS: extra CA certificates from NODE_EXTRA_CA_CERTS', function () {
  this.timeout(60_000);
  let emu: TestEmulator;
  let front: Server;
  let dir: string;
  let url: string;
  const savedCa = process.env.NODE_EXTRA_CA_CERTS;

  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), 'mint-tls-'));
    const files = makeCertificates(dir);
    emu = await startTestEmulator();
    const target = new URL(emu.url);
    front = createServer({ key: readFileSync(files.key), cert: readFileSync(files.cert) }, (req, res) => {
      const up = httpRequest({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const api = await extensionApi();
    await api.services.keys.store(TEST_KEY);
    await configure({ baseUrl: url, maxRetries: 0 });
  });

  after(async () => {
    if (savedCa === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = savedCa;
    await configure({ baseUrl: undefined, maxRetries: undefined, timeoutSeconds: undefined });
    await clearNotifications();
    await new Promise<void>((r) => {
      front?.closeAllConnections();
      if (front) front.close(() => r());
      else r();
    });
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an untrusted certificate is explained with the fix; with the CA in NODE_EXTRA_CA_CERTS the same server works', async () => {
    delete process.env.NODE_EXTRA_CA_CERTS;
    await configure({ timeoutSeconds: 11 }); // any MinT setting change rebuilds the client with the new environment
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    const n = await ui.waitForNotification('certificate is not trusted');
    assert.ok(n.message.includes('NODE_EXTRA_CA_CERTS'), n.message);

    process.env.NODE_EXTRA_CA_CERTS = join(dir, 'ca.pem');
    await configure({ timeoutSeconds: 12 });
    await clearNotifications();
    await vscode.commands.executeCommand('mint.checkConnection');
    const ok = await ui.waitForNotification('MinT: connected to');
    assert.ok(ok.message.includes(url), ok.message);
  });
});
