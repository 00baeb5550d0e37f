/**
 * `npm start` must give each start exactly the settings it prints: nothing an earlier run left
 * (a server chosen with Select Server lands in code-server's Machine profile, which outranks
 * User settings) may outrank them (trial #1).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyStartSettings, describeStartSettings, startSettings } from '../../../scripts/start-settings.mjs';
import { pathToFileURL } from 'node:url';

describe('npm start settings', () => {
  let dir: string;
  const read = (...p: string[]) => JSON.parse(readFileSync(join(dir, ...p), 'utf8')) as Record<string, unknown>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mint-start-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("removes a server an earlier run's Select Server left in the Machine profile, and says so", () => {
    mkdirSync(join(dir, 'Machine'), { recursive: true });
    writeFileSync(join(dir, 'Machine', 'settings.json'), JSON.stringify({ 'mint.baseUrl': 'http://127.0.0.1:9', 'editor.fontSize': 15 }));
    const result = applyStartSettings(dir, { 'mint.baseUrl': 'http://127.0.0.1:8765' });
    assert.deepEqual(read('Machine', 'settings.json'), { 'editor.fontSize': 15 }, 'other machine settings stay');
    assert.equal(read('User', 'settings.json')['mint.baseUrl'], 'http://127.0.0.1:8765');
    const printed = describeStartSettings(result);
    assert.match(printed, /mint\.baseUrl: "http:\/\/127\.0\.0\.1:8765"/);
    assert.match(printed, /removed mint\.baseUrl: "http:\/\/127\.0\.0\.1:9"/);
  });

  it("this start's values win over the User file; the user's other changes and the defaults stay", () => {
    mkdirSync(join(dir, 'User'), { recursive: true });
    writeFileSync(
      join(dir, 'User', 'settings.json'),
      JSON.stringify({ 'mint.baseUrl': 'http://127.0.0.1:37983', 'workbench.startupEditor': 'none', 'editor.wordWrap': 'on' }),
    );
    applyStartSettings(
      dir,
      { 'mint.baseUrl': 'http://127.0.0.1:8765', 'workbench.startupEditor': 'welcomePage' },
      { 'telemetry.telemetryLevel': 'off', 'editor.wordWrap': 'off' },
    );
    assert.deepEqual(read('User', 'settings.json'), {
      'telemetry.telemetryLevel': 'off',
      'editor.wordWrap': 'on',
      'mint.baseUrl': 'http://127.0.0.1:8765',
      'workbench.startupEditor': 'welcomePage',
    });
  });

  it('warns instead of guessing when the Machine profile cannot be read', () => {
    mkdirSync(join(dir, 'Machine'), { recursive: true });
    writeFileSync(join(dir, 'Machine', 'settings.json'), '{ // a comment\n "mint.baseUrl": "http://x" }');
    const printed = describeStartSettings(applyStartSettings(dir, { 'mint.baseUrl': 'http://127.0.0.1:8765' }));
    assert.match(printed, /warning: could not read .*Machine.*settings\.json/);
  });
});

describe('npm start offers the walkthrough (trial #19)', () => {
  it("lets MinT open its walkthrough on the first run (code-server's Welcome page would open code-server's own); the tests turn it off", async () => {
    // Loaded at run time: the module reads import.meta, which a CommonJS bundle does not have.
    const codeServer = pathToFileURL(join(__dirname, '../../../../scripts/code-server.mjs')).href;
    const { workbenchUrl, QUIET_SETTINGS } = (await import(codeServer)) as typeof import('../../../scripts/code-server.mjs');
    const settings = startSettings('http://127.0.0.1:8765');
    assert.equal(settings['mint.openWalkthroughOnFirstRun'], true);
    assert.equal(settings['workbench.startupEditor'], 'none');
    assert.equal(QUIET_SETTINGS['mint.openWalkthroughOnFirstRun'], false, 'the test harness must not get a walkthrough tab');
    const payload = (url: string) => decodeURIComponent(new URL(url).searchParams.get('payload') ?? '');
    const opts = { host: '127.0.0.1:8080', folder: '/w', extensionDevelopmentPath: '/repo' };
    assert.ok(!payload(workbenchUrl({ ...opts, skipWelcome: false })).includes('skipWelcome'));
    assert.ok(payload(workbenchUrl(opts)).includes('skipWelcome'));
  });
});

describe('npm install is quiet (trial #19)', () => {
  it('every dependency install script is approved or denied in package.json (allowScripts), so npm 11 does not warn', function () {
    const r = spawnSync('npm', ['install-scripts', 'ls', '--json'], { cwd: join(__dirname, '../../../..'), encoding: 'utf8' });
    // npm before 11 has no install-scripts command and no warning to avoid.
    if (r.status !== 0 && /Unknown command|not a valid command/i.test(r.stderr + r.stdout)) this.skip();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { allowScripts: [] }, r.stdout);
  });
});
