/**
 * Which Python runs a MinT task: the interpreter the Python extension has selected for the file's
 * folder when that extension is installed, else the workspace's .venv or venv, else python3
 * (python on Windows).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
}

export async function resolveInterpreter(folder: vscode.WorkspaceFolder | undefined): Promise<string> {
  const fromExtension = await selectedByPythonExtension(folder);
  if (fromExtension) return fromExtension;
  for (const root of folder ? [folder.uri.fsPath] : (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath)) {
    for (const venv of ['.venv', 'venv']) {
      const exe = process.platform === 'win32' ? path.join(root, venv, 'Scripts', 'python.exe') : path.join(root, venv, 'bin', 'python');
      if (existsSync(exe)) return exe;
    }
  }
  return process.platform === 'win32' ? 'python' : 'python3';
}

async function selectedByPythonExtension(folder: vscode.WorkspaceFolder | undefined): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    const active = envs?.getActiveEnvironmentPath(folder?.uri);
    if (!envs || !active) return undefined;
    const resolved = await envs.resolveEnvironment(active);
    return resolved?.executable?.uri?.fsPath ?? active.path;
  } catch {
    return undefined;
  }
}
