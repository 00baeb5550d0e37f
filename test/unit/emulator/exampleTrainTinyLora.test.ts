/**
 * examples/node/train-tiny-lora.mjs is how a newcomer gets a checkpoint without writing code
 * (trial #6): it must run as given against dist/mint.js and leave a sampler checkpoint behind.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator } from '../../../src/emulator';

const ROOT = join(__dirname, '../../../..');

describe('examples/node/train-tiny-lora.mjs', () => {
  it('trains a few steps on the emulator and saves a sampler checkpoint the Training Runs view lists', async () => {
    const emu = await startEmulator({ host: '127.0.0.1', port: 0, log: () => undefined });
    try {
      // spawn, not spawnSync: the emulator answers from this same process.
      const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
        const child = spawn(process.execPath, [join(ROOT, 'examples/node/train-tiny-lora.mjs'), '--base-url', emu.url, '--steps', '2'], {
          env: { ...process.env, MINT_API_KEY: '' },
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += d));
        child.stderr.on('data', (d) => (stderr += d));
        child.once('exit', (status) => res({ status, stdout, stderr }));
      });
      assert.equal(run.status, 0, run.stderr || run.stdout);
      const path = /sampler checkpoint: (mint:\/\/\S+\/sampler_weights\/step2)/.exec(run.stdout)?.[1];
      assert.ok(path, run.stdout);
      const listed = (await (await fetch(`${emu.url}/api/v1/training_runs`)).json()) as { training_runs: { training_run_id: string }[] };
      assert.ok(
        listed.training_runs.some((r) => path.startsWith(`mint://${r.training_run_id}/`)),
        JSON.stringify(listed),
      );
    } finally {
      await emu.close();
    }
  });

  it('says what to do when --steps is not a number', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'examples/node/train-tiny-lora.mjs'), '--steps', 'many'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--steps needs a whole number/);
  });

  it('is named where a newcomer looks: the Training Runs empty state and the README', () => {
    const tree = readFileSync(join(ROOT, 'src/vscode/trees/runsTree.ts'), 'utf8');
    const empty = tree.slice(
      tree.indexOf("id: 'no-runs'"),
      tree.indexOf("command: { command: 'mint.runs.refresh'", tree.indexOf("id: 'no-runs'")),
    );
    assert.match(empty, /examples\/node\/train-tiny-lora\.mjs/, 'the empty state does not name the example');
    assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /node examples\/node\/train-tiny-lora\.mjs/);
  });
});
