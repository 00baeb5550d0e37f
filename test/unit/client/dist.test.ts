/**
 * The shipped bundle, as a user's plain Node script sees it: `node -e` requires dist/mint.js,
 * samples from a running emulator, and catches every exception class by `instanceof`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { API_KEY, TestServer } from './support';

const root = process.cwd();
const DIST = join(root, 'dist/mint.js');

const SCRIPT = String.raw`
const m = require(process.env.MINT_DIST);
const EMU = process.env.EMU_URL;
const ctl = (rule) => fetch(EMU + '/_emulator/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) })
  .then((r) => { if (!r.ok) throw new Error('control failed ' + r.status); });
const CAPS = '/api/v1/get_server_capabilities';
(async () => {
  const out = {};
  const c = new m.ServiceClient({ baseUrl: EMU, apiKey: process.env.KEY, maxRetries: 0, heartbeatIntervalMs: 0, env: {} });
  const s = await c.createSamplingClient({ base_model: 'Qwen/Qwen3-0.6B' });
  const r = await s.sample({ prompt: m.ModelInput.fromInts([785, 13]), sampling_params: { max_tokens: 4, seed: 1 } });
  out.sampled = r.sequences[0].tokens.length;
  out.request_id = typeof r.request_id;
  const expect = async (name, setup, call) => {
    await setup();
    try { await call(); out[name] = 'no error'; }
    catch (e) {
      const base = name === 'CancelledError' ? !(e instanceof m.TinkerError) : e instanceof m.TinkerError;
      out[name] = e instanceof m[name] && base && !String(e.message).includes(process.env.KEY) ? 'caught' : (e && e.name) + ': ' + (e && e.message);
    }
  };
  const statuses = { BadRequestError: 400, AuthenticationError: 401, PermissionDeniedError: 403, NotFoundError: 404, ConflictError: 409,
    UnprocessableEntityError: 422, RateLimitError: 429, InternalServerError: 500, APIStatusError: 418 };
  for (const [name, status] of Object.entries(statuses)) {
    await expect(name, () => ctl({ route: CAPS, status }), () => c.getServerCapabilities());
  }
  await expect('APIResponseValidationError', () => ctl({ route: CAPS, status: 200, bodyText: 'nope' }), () => c.getServerCapabilities());
  await expect('APIConnectionError', () => ctl({ route: CAPS, drop: 'before-headers' }), () => c.getServerCapabilities());
  await expect('APITimeoutError', () => ctl({ route: CAPS, delayMs: 1500 }), () => c.getServerCapabilities({ timeoutMs: 100 }));
  await expect('CancelledError', () => ctl({ route: CAPS, delayMs: 1500 }), () => c.getServerCapabilities({ signal: AbortSignal.timeout(100) }));
  await expect('RequestFailedError', () => ctl({ route: '/api/v1/asample', futureError: { error: 'boom', category: 'server' } }),
    () => s.sample({ prompt: m.ModelInput.fromInts([1]), sampling_params: { max_tokens: 2 } }));
  await expect('CheckpointPathError', async () => {}, async () => m.parseCheckpointPath('mint://x'));
  await c.close();
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

describe('dist/mint.js from plain Node', function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    // Rebuild only when stale: `npm test` has just built it, and a rebuild rewrites shared dist/ files.
    const srcDir = join(root, 'src/mint');
    const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(join(srcDir, f)).mtimeMs));
    if (!existsSync(DIST) || statSync(DIST).mtimeMs < newest) {
      execFileSync(process.execPath, ['scripts/build.mjs', '--only', 'mint'], { cwd: root, stdio: 'ignore' });
    }
    server = await TestServer.start();
  });
  after(async () => {
    await server.close();
  });

  it('requires the bundle, samples, and catches each exception class', async () => {
    const child = spawn(process.execPath, ['-e', SCRIPT], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', MINT_DIST: DIST, EMU_URL: server.url, KEY: API_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 45_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(kill);
    assert.equal(code, 0, `node -e failed: ${stderr}`);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.ok((out.sampled as number) > 0);
    assert.equal(out.request_id, 'string');
    const classes = [
      'BadRequestError',
      'AuthenticationError',
      'PermissionDeniedError',
      'NotFoundError',
      'ConflictError',
      'UnprocessableEntityError',
      'RateLimitError',
      'InternalServerError',
      'APIStatusError',
      'APIResponseValidationError',
      'APIConnectionError',
      'APITimeoutError',
      'CancelledError',
      'RequestFailedError',
      'CheckpointPathError',
    ];
    for (const name of classes) assert.equal(out[name], 'caught', `${name}: ${String(out[name])}`);
    assert.ok(!stdout.includes(API_KEY) && !stderr.includes(API_KEY));
  });
});
