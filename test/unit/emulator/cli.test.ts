import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { get, post } from './helpers';

const BUNDLE = join(__dirname, '../../../../dist/emulator.js');

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no output from the emulator within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited early with code ${code}`)));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

describe('emulator: command line (dist/emulator.js)', function () {
  before(function () {
    assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run \`node scripts/build.mjs --only emulator\` before the unit tests`);
  });

  it('prints exactly "MinT emulator listening on http://127.0.0.1:<port>" first, serves under --prefix, honours --read-only-key, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      [
        BUNDLE,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--quiet',
        '--prefix',
        '/train',
        '--api-key',
        'sk-cli-test',
        '--read-only-key',
        'tml-cli-read',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const line = await firstLine(child, 15_000);
      const m = /^MinT emulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
      assert.ok(m, `unexpected first line: ${line}`);
      const h = await get(`${m[1]}/train`, '/api/v1/healthz');
      assert.deepEqual(h.json, { status: 'ready' });
      const denied = await get(`${m[1]}/train`, '/api/v1/get_server_capabilities');
      assert.equal(denied.status, 401);
      const read = { 'x-api-key': 'tml-cli-read' };
      assert.equal((await get(`${m[1]}/train`, '/api/v1/get_server_capabilities', read)).status, 200);
      const write = await post(
        `${m[1]}/train`,
        '/api/v1/create_model',
        { session_id: 's', model_seq_id: 0, base_model: 'Qwen/Qwen3-0.6B', lora_config: { rank: 4 } },
        read,
      );
      assert.deepEqual([write.status, write.json], [403, { detail: 'Write access required' }]);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited(child), 0);
  });

  it('refuses an unknown option with exit code 2 and the usage', async () => {
    const child = spawn(process.execPath, [BUNDLE, '--bogus'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    assert.equal(await exited(child), 2);
    assert.match(err, /unknown option '--bogus'/);
    assert.match(err, /Usage:/);
  });
});
