import * as vscode from 'vscode';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Log } from './log';
import { EmulatorStartError } from './setupErrors';
import { LISTENING_LINE } from '../emulator/banner';
import { findRunningEmulator } from '../emulator/registry';

const START_TIMEOUT_MS = 20_000;

/**
 * The one local emulator of this user: first the one already running (`npm start`'s or another
 * window's, found through the registry file and a health check), else the bundled emulator
 * (dist/emulator.js) as a child process on 127.0.0.1 with the extension host's own Node
 * (ELECTRON_RUN_AS_NODE makes an Electron binary behave as Node), keeping its runs and
 * checkpoints in `dataDir` and registering itself for the others to find.
 * A child, not an in-process server, so a busy emulator can never stall the extension host.
 */
export class EmulatorLauncher implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private starting: Promise<string> | undefined;
  private currentUrl: string | undefined;
  /** The URL of an emulator this window uses but did not start: never stopped from here. */
  private adoptedUrl: string | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly log: Log,
    readonly dataDir: string,
  ) {}

  get url(): string | undefined {
    return this.currentUrl ?? this.adoptedUrl;
  }

  /** True when the emulator in use is this window's own child, the only kind it may stop. */
  get owned(): boolean {
    return this.currentUrl !== undefined;
  }

  /** Uses the running emulator (or starts one) and returns its URL. */
  start(): Promise<string> {
    const url = this.url;
    if (url) return Promise.resolve(url);
    this.starting ??= this.findOrSpawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async findOrSpawn(): Promise<string> {
    const running = await findRunningEmulator();
    if (running) {
      this.adoptedUrl = running.url;
      this.log.info(
        'emulator',
        `using the local emulator already running at ${running.url} (pid ${running.pid}, not started by this window)`,
      );
      return running.url;
    }
    return this.spawn();
  }

  /** How many training runs the emulator in use holds, or undefined when it does not say. */
  async runCount(): Promise<number | undefined> {
    const url = this.url;
    if (!url) return undefined;
    try {
      const res = await fetch(`${url}/api/v1/training_runs?limit=1`, { signal: AbortSignal.timeout(3_000) });
      const body = (await res.json()) as { cursor?: { total_count?: unknown } };
      return typeof body.cursor?.total_count === 'number' ? body.cursor.total_count : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Stops using the emulator: stops it only when this window started it. Returns what it did, so
   * the caller can say so.
   */
  async stop(): Promise<'stopped' | 'released' | 'none'> {
    if (this.adoptedUrl) {
      this.log.info('emulator', `no longer using the local emulator at ${this.adoptedUrl}; it keeps running (not started by this window)`);
      this.adoptedUrl = undefined;
      return 'released';
    }
    const child = this.child;
    if (!child) return 'none';
    this.child = undefined;
    this.currentUrl = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    this.log.info('emulator', `local emulator stopped; its runs and checkpoints stay in ${this.dataDir}`);
    return 'stopped';
  }

  dispose(): void {
    this.adoptedUrl = undefined;
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
    this.child = undefined;
    this.currentUrl = undefined;
  }

  private spawn(): Promise<string> {
    const script = vscode.Uri.joinPath(vscode.Uri.file(this.extensionPath), 'dist', 'emulator.js').fsPath;
    if (!existsSync(script)) return Promise.reject(new EmulatorStartError(`${script} is missing`));
    const args = [script, '--host', '127.0.0.1', '--port', '0', '--data-dir', this.dataDir, '--register'];
    const child = spawn(process.execPath, args, {
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
