/**
 * Check Connection's "which other MinT servers answer": real clients against a real emulator
 * on loopback, a port nobody listens on, and a server whose health route says it is unhealthy.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServiceClient } from '../../../src/mint/index';
import { describeProbes, probeClientOptions, probeServers } from '../../../src/vscode/serverProbe';
import { TestServer } from '../client/support';

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

describe('server probe (Check Connection fallback)', function () {
  let emu: TestServer;
  let unhealthy: Server;
  let unhealthyUrl: string;
  let deadUrl: string;
  const seenKeys: (string | undefined)[] = [];

  before(async () => {
    emu = await TestServer.start();
    unhealthy = createServer((req, res) => {
      seenKeys.push(req.headers['x-api-key'] as string | undefined);
      res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'unhealthy' }));
    });
    unhealthyUrl = await listen(unhealthy);
    // A port that was just free: nothing answers there.
    const tmp = createServer();
    deadUrl = await listen(tmp);
    await new Promise<void>((r) => tmp.close(() => r()));
  });
  after(async () => {
    await emu.close();
    await new Promise<void>((r) => unhealthy.close(() => r()));
  });

  // The options Check Connection's probes use (ClientManager.probeClient adds only the proxy dispatcher).
  const make = async (url: string) => new ServiceClient(probeClientOptions(url, 2_000));

  it('says which servers answer, in order, and why the others do not', async () => {
    const results = await probeServers(
      [
        { label: 'Dead', url: deadUrl },
        { label: 'Emulator', url: emu.url },
        { label: 'Unhealthy', url: unhealthyUrl },
      ],
      make,
      2_000,
    );
    assert.deepEqual(
      results.map((r) => [r.label, r.ok]),
      [
        ['Dead', false],
        ['Emulator', true],
        ['Unhealthy', false],
      ],
    );
    assert.equal(results[0]!.problem, 'connection refused (ECONNREFUSED)');
    assert.equal(results[2]!.problem, 'HTTP 503');
    const text = describeProbes(results);
    assert.match(
      text,
      new RegExp(
        `^This MinT server answers: Emulator \\(${emu.url.replace(/[.:/]/g, '\\$&')}\\) in \\d+ ms\\. Not answering: Dead, Unhealthy\\. Select Server to switch\\.$`,
      ),
    );
  });

  it('never sends a key to the servers it asks, not even one from MINT_API_KEY / TINKER_API_KEY', async () => {
    const saved = [process.env.MINT_API_KEY, process.env.TINKER_API_KEY];
    process.env.MINT_API_KEY = 'sk-from-the-environment-0123456789';
    process.env.TINKER_API_KEY = 'tml-from-the-environment-0123456789';
    try {
      seenKeys.length = 0;
      await probeServers([{ label: 'Unhealthy', url: unhealthyUrl }], make, 2_000);
      assert.deepEqual(seenKeys, [undefined]);
    } finally {
      if (saved[0] === undefined) delete process.env.MINT_API_KEY;
      else process.env.MINT_API_KEY = saved[0];
      if (saved[1] === undefined) delete process.env.TINKER_API_KEY;
      else process.env.TINKER_API_KEY = saved[1];
    }
  });

  it('when nobody answers, points at the network or proxy', async () => {
    const results = await probeServers([{ label: 'Dead', url: deadUrl }], make, 2_000);
    assert.match(
      describeProbes(results),
      /None of MinT's other servers answered either \(Dead: connection refused \(ECONNREFUSED\)\).*http\.proxy/,
    );
  });

  it('a server that never answers is given up on within the timeout', async () => {
    const silent = createServer(() => undefined);
    const url = await listen(silent);
    try {
      const t0 = Date.now();
      const [r] = await probeServers([{ label: 'Silent', url }], make, 300);
      assert.equal(r!.ok, false);
      assert.equal(r!.problem, 'no answer in time');
      assert.ok(Date.now() - t0 < 3_000, `took ${Date.now() - t0} ms`);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((res) => silent.close(() => res()));
    }
  });
});
