import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * One local emulator per user: a running emulator started with --register records its URL and
 * pid in a small JSON file in a per-user state directory, so the extension (in any window) and
 * `npm start` find it instead of each starting another, empty one. The file is only a hint: a
 * reader checks that the pid is alive and that the URL answers /api/v1/healthz before using it.
 */
export interface RegisteredEmulator {
  url: string;
  pid: number;
  dataDir?: string;
  startedAt: string;
}

/** MINT_EMULATOR_REGISTRY_DIR lets tests and parallel checkouts keep their emulators apart. */
export function registryFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['MINT_EMULATOR_REGISTRY_DIR'] || join(env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state'), 'mint-vscode');
  return join(dir, 'emulator.json');
}

export function registerEmulator(entry: RegisteredEmulator, file = registryFile()): void {
  mkdirSync(join(file, '..'), { recursive: true });
  // Written then renamed, so a reader never sees half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(entry, null, 2));
  renameSync(tmp, file);
}

/** Removes the entry only when it still names `pid`: a newer emulator may have replaced it. */
export function unregisterEmulator(pid: number, file = registryFile()): void {
  const current = readEntry(file);
  if (current?.pid === pid) rmSync(file, { force: true });
}

function readEntry(file: string): RegisteredEmulator | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<RegisteredEmulator>;
    if (typeof v.url === 'string' && typeof v.pid === 'number' && URL.canParse(v.url)) return v as RegisteredEmulator;
  } catch {
    /* none yet, or unreadable: as good as none */
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The registered emulator when its process is alive and it answers healthz in time, else undefined. */
export async function findRunningEmulator(file = registryFile(), timeoutMs = 1_500): Promise<RegisteredEmulator | undefined> {
  const entry = readEntry(file);
  if (!entry || !alive(entry.pid)) return undefined;
  try {
    const res = await fetch(new URL('/api/v1/healthz', entry.url), { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? entry : undefined;
  } catch {
    return undefined;
  }
}
