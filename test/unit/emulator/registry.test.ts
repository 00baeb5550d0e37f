/**
 * One local emulator per user (trial #2): an emulator started with --register can be found by
 * the extension (any window) and `npm start`; a dead or silent one is never offered.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { findRunningEmulator, registerEmulator, registryFile } from '../../../src/emulator/registry';

const BUNDLE = join(__dirname, '../../../../dist/emulator.js');

describe('emulator: the per-user registry (--register)', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mint-registry-'));
    file = registryFile({ MINT_EMULATOR_REGISTRY_DIR: dir });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a registered emulator is found with its URL, pid and data dir, and its entry goes when it stops', async () => {
    const data = join(dir, 'data');
    const child = spawn(process.execPath, [BUNDLE, '--port', '0', '--quiet', '--register', '--data-dir', data], {
      env: { ...process.env, MINT_EMULATOR_REGISTRY_DIR: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((res) => createInterface({ input: child.stdout! }).once('line', res));
    const url = /listening on (\S+)/.exec(line)![1];
    const found = await findRunningEmulator(file);
    assert.deepEqual({ url: found?.url, pid: found?.pid, dataDir: found?.dataDir }, { url, pid: child.pid, dataDir: data });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    assert.ok(!existsSync(file), 'the entry outlived the emulator');
    assert.equal(await findRunningEmulator(file), undefined);
  });

  it('an entry whose process is gone, or whose URL does not answer, is not offered', async () => {
    registerEmulator({ url: 'http://127.0.0.1:9', pid: 2 ** 22 + 12345, startedAt: new Date().toISOString() }, file);
    assert.equal(await findRunningEmulator(file), undefined, 'a dead pid');
    registerEmulator({ url: 'http://127.0.0.1:9', pid: process.pid, startedAt: new Date().toISOString() }, file);
    assert.equal(await findRunningEmulator(file, 500), undefined, 'a live pid whose URL does not answer');
  });
});
