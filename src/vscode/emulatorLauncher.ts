import * as vscode from 'vscode';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Log } from './log';
import { EmulatorStartError } from './setupErrors';
import { LISTENING_LINE } from '../emulator/banner';

const START_TIMEOUT_MS = 20_000;

/**
 * Runs the bundled emulator (dist/emulator.js) as a child process on 127.0.0.1 with the
 * extension host's own Node (ELECTRON_RUN_AS_NODE makes an Electron binary behave as Node).
 * A child, not an in-process server, so a busy emulator can never stall the extension host.
 */
export class EmulatorLauncher implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private starting: Promise<string> | undefined;
  private currentUrl: string | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly log: Log,
  ) {}

  get url(): string | undefined {
    return this.currentUrl;
  }

  /** Starts the emulator (or returns the running one's URL). */
  start(): Promise<string> {
    if (this.currentUrl) return Promise.resolve(this.currentUrl);
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  async stop(): Promise<boolean> {
    const child = this.child;
    if (!child) return false;
    this.child = undefined;
    this.currentUrl = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    this.log.info('emulator', 'local emulator stopped');
    return true;
  }

  dispose(): void {
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
    this.child = undefined;
    this.currentUrl = undefined;
  }

  private spawn(): Promise<string> {
    const script = vscode.Uri.joinPath(vscode.Uri.file(this.extensionPath), 'dist', 'emulator.js').fsPath;
    if (!existsSync(script)) return Promise.reject(new EmulatorStartError(`${script} is missing`));
    const child = spawn(process.execPath, [script, '--host', '127.0.0.1', '--port', '0'], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', MINT_EMULATOR_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.child === child) this.child = undefined;
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(new EmulatorStartError(why));
      };
      const timer = setTimeout(() => fail(`no "listening" line within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        const m = LISTENING_LINE.exec(line);
        if (!settled && m) {
          settled = true;
          clearTimeout(timer);
          this.currentUrl = m[1];
          this.log.info('emulator', line);
          resolve(m[1]!);
          return;
        }
        this.log.debug('emulator', line);
      });
      createInterface({ input: child.stderr! }).on('line', (line) => this.log.warn('emulator', line));
      child.once('error', (e) => fail(e.message));
      child.once('exit', (code, signal) => {
        if (!settled) fail(`it exited with ${signal ?? `code ${code}`} before listening`);
        else if (this.child === child) {
          this.log.warn('emulator', `local emulator exited (${signal ?? `code ${code}`})`);
          this.child = undefined;
          this.currentUrl = undefined;
          this.onExit?.();
        }
      });
    });
  }

  /** Called when a running emulator exits on its own, so the extension stops pointing at it. */
  onExit: (() => void) | undefined;
}
