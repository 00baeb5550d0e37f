// Shared ground for the extension's integration tests: a real emulator (dist/emulator.js as a
// child process on 127.0.0.1, fault injection on), the extension's own API, and settings that
// point the extension at that emulator. Nothing here fakes the client or the transport.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as vscode from 'vscode';
import type { MintExtensionApi } from '../../src/extension';
import { LISTENING_LINE } from '../../src/emulator/banner';
import { EmulatorControl } from '../support/emulatorControl';

export const ROOT = join(__dirname, '../../..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string };
export const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;

/** Looks like a real MinT key, so the redaction tests also cover the key-shaped pattern. */
export const TEST_KEY = `sk-mint-test-${Math.random().toString(36).slice(2, 12)}SECRET`;

export type { FaultRuleInput as FaultRule } from '../support/emulatorControl';

/** dist/emulator.js in a child process, driven through the shared control client. */
export class TestEmulator extends EmulatorControl {
  constructor(
    url: string,
    private readonly child: ChildProcess,
  ) {
    super(url);
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
    });
  }
}

/** Starts dist/emulator.js with --faults and an API key, and resolves once it listens. */
export async function startTestEmulator(apiKey = TEST_KEY): Promise<TestEmulator> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(ROOT, 'dist/emulator.js'), '--host', '127.0.0.1', '--port', '0', '--faults', '--quiet', '--api-key', apiKey],
    {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the emulator did not print its URL within 30 s'));
    }, 30_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const m = LISTENING_LINE.exec(line);
      if (m) resolve(m[1]!);
      else reject(new Error(`unexpected first line from the emulator: ${line}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited with ${code} before listening`));
    });
  });
  return new TestEmulator(url, child);
}

export async function extensionApi(): Promise<MintExtensionApi> {
  const ext = vscode.extensions.getExtension<MintExtensionApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

/** User-level MinT settings for a test; `undefined` removes a setting. */
export async function configure(values: Record<string, unknown>): Promise<void> {
  const c = vscode.workspace.getConfiguration('mint');
  for (const [k, v] of Object.entries(values)) await c.update(k, v, vscode.ConfigurationTarget.Global);
}

/** The MinT log file as VS Code wrote it (the LogOutputChannel's backing file). */
export async function readMintLog(api: MintExtensionApi): Promise<string> {
  // The logger writes asynchronously; give it a moment to flush.
  await new Promise((r) => setTimeout(r, 600));
  const uri = vscode.Uri.joinPath(api.services.context.logUri, 'MinT.log');
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export function diagnosticsOf(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'MinT');
}

export async function clearNotifications(): Promise<void> {
  await vscode.commands.executeCommand('notifications.clearAll');
  // The workbench clears asynchronously; a toast raised right after could be swept away with the rest.
  await sleep(250);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
