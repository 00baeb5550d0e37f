/**
 * Activation parses all of dist/extension.js, so the client's heavy dependencies must stay in
 * dist/lazy.js, reached through import() only. ESLint's import rules keep authors from doing it
 * by hand; this checks what esbuild actually produced, whatever path the import took.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dist = join(process.cwd(), 'dist');
/** Today about 90 KiB unminified (the packaged build is minified); room to grow, not to double. */
const BUDGET_BYTES = 120 * 1024;

describe('activation bundle', () => {
  const source = readFileSync(join(dist, 'extension.js'), 'utf8');

  it('holds neither undici nor zod (they load with the client, on first use)', () => {
    for (const dep of ['undici', 'zod', '@huggingface/tokenizers', '@huggingface/jinja']) {
      assert.ok(!source.includes(`node_modules/${dep}/`), `dist/extension.js bundles ${dep}`);
      assert.ok(!new RegExp(`require\\(["']${dep.replace('/', '\\/')}["']\\)`).test(source), `dist/extension.js requires ${dep}`);
    }
    // The lazy half must exist and hold them, or the check above proves nothing.
    const lazy = readFileSync(join(dist, 'lazy.js'), 'utf8');
    assert.ok(lazy.includes('node_modules/undici/') && lazy.includes('node_modules/zod/'), 'dist/lazy.js lacks the client dependencies');
  });

  it(`stays within ${BUDGET_BYTES / 1024} KiB`, () => {
    const size = statSync(join(dist, 'extension.js')).size;
    assert.ok(size <= BUDGET_BYTES, `dist/extension.js is ${(size / 1024).toFixed(1)} KiB, over the ${BUDGET_BYTES / 1024} KiB budget`);
  });

  it('shares one copy of the exception classes with the lazy half', () => {
    assert.match(source, /require\("\.\/errors\.js"\)/);
    assert.ok(!source.includes('class RequestFailedError'), 'dist/extension.js has its own copy of the exception classes');
  });
});
