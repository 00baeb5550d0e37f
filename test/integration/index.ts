// Entry point VS Code calls inside the extension host (extensionTestsPath): the same contract for
// @vscode/test-electron and for code-server's payload, so one suite serves both runners.
import Mocha from 'mocha';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';

/** Marks the reporter's lines, so the runner can pick them out of everything the workbench logs. */
export const REPORT_MARK = '[mint-test] ';

function findCompiledTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...findCompiledTests(p));
    else if (name.endsWith('.test.js')) found.push(p);
  }
  return found;
}

export function run(): Promise<void> {
  const grep = process.env.MINT_TEST_GREP;
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    // The reporter's output travels through the browser console, where ANSI codes are noise.
    color: false,
    timeout: Number(process.env.MINT_TEST_TIMEOUT_PER_TEST_MS ?? 60_000),
    ...(grep ? { grep } : {}),
  });
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(REPORT_MARK + format(...args));
  const files = findCompiledTests(__dirname);
  if (files.length === 0)
    return Promise.reject(new Error(`no *.test.js under ${__dirname}: build with "node scripts/build.mjs --only test-integration"`));
  for (const f of files) mocha.addFile(f);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
