/**
 * View as code's TypeScript, run as a user would run it: written to a file as given and started
 * with plain `node` against an emulator on loopback, importing this checkout's dist/mint.js.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mintModuleSpecifier, typescriptSnippet, type SnippetInput } from '../../../src/vscode/playground/snippets';
import { API_KEY, TestServer } from '../client/support';

const run = promisify(execFile);
const MINT_JS = join(process.cwd(), 'dist/mint.js');

describe('View as code: the TypeScript runs as given', function () {
  this.timeout(30_000);
  let server: TestServer;
  let dir: string;

  before(async function () {
    if (!existsSync(MINT_JS)) throw new Error(`${MINT_JS} is missing: run "npm run build" first`);
    server = await TestServer.start();
    dir = mkdtempSync(join(tmpdir(), 'mint-snippet-'));
  });
  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function runSnippet(name: string, code: string): Promise<string> {
    const file = join(dir, `${name}.mjs`);
    writeFileSync(file, code);
    const env = { PATH: process.env.PATH ?? '', MINT_API_KEY: API_KEY };
    const { stdout } = await run(process.execPath, [file], { env, timeout: 20_000 }).catch((e: { stderr?: string; message: string }) => {
      throw new Error(`the snippet failed: ${e.stderr || e.message}\n---\n${code}`);
    });
    return stdout;
  }

  function input(over: Partial<SnippetInput> = {}): SnippetInput & { mintJs: string } {
    return {
      targets: [{ base_model: 'Qwen/Qwen3-0.6B' }, { base_model: 'Qwen/Qwen3-4B-Instruct-2507' }],
      prompt: { mode: 'chat', messages: [{ role: 'user', content: 'Say "hi"\nnow' }] },
      params: { max_tokens: 5, temperature: 0.5, seed: 1, num_samples: 2, prompt_logprobs: true, topk_prompt_logprobs: 2 },
      baseUrl: server.url,
      mintJs: MINT_JS,
      ...over,
    };
  }

  /** The rules the trial found broken: every import used, no top-level await, the built client by a path. */
  function assertWellFormed(code: string): void {
    const imported = /^import \{ ([^}]+) \} from "([^"]+)";$/m.exec(code);
    assert.ok(imported, `no import line:\n${code}`);
    assert.equal(imported[2], mintModuleSpecifier(MINT_JS));
    for (const name of imported[1]!.split(',').map((n) => n.trim())) {
      assert.ok(code.split(name).length > 2, `${name} is imported and never used:\n${code}`);
    }
    for (const line of code.split('\n')) assert.ok(!/^(const .* = )?await /.test(line), `a top-level await: ${line}`);
  }

  it('with the exact prompt tokens: samples every column through /asample', async () => {
    const code = typescriptSnippet(input(), [785, 13, 1008]);
    assertWellFormed(code);
    const out = await runSnippet('tokens', code);
    // Two models x two samples, each line "<request id> <stop reason> <n> tokens".
    assert.equal(out.trim().split('\n').length, 4, out);
    assert.match(out, /\S+ (stop|length) \d+ tokens/);
    const asked = (await server.requests(50)).filter((r) => r.path === '/api/v1/asample');
    assert.equal(asked.length, 2);
  });

  it('without a tokenizer: chat and raw prompts go to the OpenAI-compatible endpoint', async () => {
    const chat = typescriptSnippet(input({ targets: [{ base_model: 'Qwen/Qwen3-0.6B' }] }));
    assertWellFormed(chat);
    assert.equal((await runSnippet('chat', chat)).trim().split('\n').length, 2);
    const raw = typescriptSnippet(input({ prompt: { mode: 'raw', text: 'Once upon' }, targets: [{ base_model: 'Qwen/Qwen3-0.6B' }] }));
    assertWellFormed(raw);
    assert.match(await runSnippet('raw', raw), /(stop|length)/);
  });

  it('never holds the key, and names a Windows path as a file URL', () => {
    assert.ok(!typescriptSnippet(input(), [1]).includes(API_KEY));
    assert.equal(mintModuleSpecifier('C:\\ext\\dist\\mint.js', 'win32'), 'file:///C:/ext/dist/mint.js');
    assert.equal(mintModuleSpecifier('/ext/dist/mint.js', 'linux'), '/ext/dist/mint.js');
  });
});
