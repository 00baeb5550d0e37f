/**
 * Playground details from the newcomer trial (#8, #10, #14, #19), on the page itself in headless
 * Chromium: the bundle with a recorder for acquireVsCodeApi, the host's messages sent by hand.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser';
import { WebviewToHostSchema, type HostToWebview, type Run } from '../../../src/shared/playground';

const root = process.cwd();
const bundle = join(root, 'dist/webview/playground.js');
type Posted = Array<{ type: string } & Record<string, unknown>>;

const send = (page: Page, msg: HostToWebview) =>
  page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), msg as unknown);
const posted = (page: Page) => page.evaluate(() => (window as unknown as { __posted: Posted }).__posted);
const count = (n: number, max = 100): HostToWebview => ({
  type: 'tokenCount',
  target: 'Qwen/Qwen3-0.6B',
  count: n,
  max_context_length: max,
  tokenizer: { target: 'Qwen/Qwen3-0.6B', state: 'ready' },
});

function runWith(logprobs: boolean): Run {
  return {
    id: logprobs ? 'lp' : 'txt',
    time: '2026-12-01T10:00:00.000Z',
    prompt: { mode: 'raw', text: 'Hi' },
    params: { max_tokens: 2, num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0 },
    outcomes: [
      logprobs
        ? {
            target: { base_model: 'Qwen/Qwen3-0.6B' },
            status: 'done',
            via: 'native',
            samples: [{ text: 'ab', stop_reason: 'length', tokens: { ids: [64, 65], pieces: ['a', 'b'], logprobs: [-0.01, -3] } }],
          }
        : { target: { base_model: 'Qwen/Qwen3-0.6B' }, status: 'done', via: 'openai', samples: [{ text: 'ab', stop_reason: 'length' }] },
    ],
  };
}

describe('playground page details (trial #8, #10, #14, #19)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "npm run build" first`);
    browser = await launchChromium();
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    errors.length = 0;
    page = await browser.newPage({ viewport: { width: 400, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (r) => r.abort());
    await page.setContent(
      `<!doctype html><html><head><style>${readFileSync(join(root, 'media/playground.css'), 'utf8')}</style></head><body><div id="app"></div></body></html>`,
    );
    await page.evaluate(
      'window.__name = (f) => f; window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) })',
    );
    await page.addScriptTag({ content: readFileSync(bundle, 'utf8') });
    await send(page, {
      type: 'state',
      models: [{ model_name: 'Qwen/Qwen3-0.6B', max_context_length: 100 }],
      checkpoints: [],
      runs: [],
      history: [],
    });
  });
  afterEach(async () => {
    const msgs = await posted(page);
    await page.close();
    assert.deepEqual(errors, [], 'the page threw');
    for (const m of msgs) assert.ok(WebviewToHostSchema.safeParse(m).success, `does not fit the protocol: ${JSON.stringify(m)}`);
  });

  it('#8 View as code follows the live form, marks itself out of date when the form cannot be sent, and opens in an editor', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await page.click('[data-action="code"]');
    await send(page, { type: 'code', python: 'print(1)', typescript: 'console.log(1)' });
    const asks = async () => (await posted(page)).filter((m) => m.type === 'viewAsCode');
    assert.equal((await asks()).length, 1);

    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello again');
    await page.waitForFunction(
      () => (window as unknown as { __posted: Posted }).__posted.filter((m) => m.type === 'viewAsCode').length === 2,
    );
    const last = (await asks()).at(-1)!;
    assert.deepEqual((last.prompt as { messages: unknown }).messages, [{ role: 'user', content: 'Hello again' }]);
    // A server change reaches the page as a models broadcast: the code is asked for again (the host fills in the new URL).
    await send(page, { type: 'models', models: [{ model_name: 'Qwen/Qwen3-0.6B', max_context_length: 100 }], checkpoints: [] });
    await page.waitForFunction(
      () => (window as unknown as { __posted: Posted }).__posted.filter((m) => m.type === 'viewAsCode').length === 3,
    );

    assert.equal(await page.isHidden('[data-code-stale]'), true);
    await page.fill('vscode-textarea[data-message="1"] textarea', '');
    await page.waitForSelector('[data-code-stale]:not([hidden])');

    await page.click('[data-action="open-typescript"]');
    assert.deepEqual((await posted(page)).at(-1), { type: 'openCode', language: 'typescript', text: 'console.log(1)' });
  });

  it('#8 a closed code box asks for nothing while the form changes', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await page.waitForTimeout(500);
    assert.equal((await posted(page)).filter((m) => m.type === 'viewAsCode').length, 0);
  });

  it('#10 a run with coloured tokens carries a legend of the colours; a text-only run does not', async () => {
    await send(page, { type: 'run', run: runWith(true) });
    await send(page, { type: 'run', run: runWith(false) });
    const legend = page.locator('[data-run="lp"] [data-legend]');
    assert.equal(await legend.count(), 1);
    assert.deepEqual(await legend.locator('.tk').evaluateAll((els) => els.map((e) => e.className)), [
      'tk b0',
      'tk b1',
      'tk b2',
      'tk b3',
      'tk b4',
      'tk b5',
    ]);
    assert.match((await legend.textContent()) ?? '', /≥ 90%.*< 1%.*alternatives/s);
    assert.equal(await page.locator('[data-run="txt"] [data-legend]').count(), 0);
  });

  it('#14 after Chat→Raw the stale count is gone next to "Type a prompt first."', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await send(page, count(16));
    assert.match((await page.textContent('[data-context]')) ?? '', /Prompt 16 tokens/);
    await page.click('[data-mode="raw"]');
    await page.waitForSelector('[data-blocker]');
    assert.equal(await page.textContent('[data-blocker]'), 'Type a prompt first.');
    assert.equal(await page.locator('[data-context]').count(), 0, 'a token count of the chat prompt is still shown');
  });

  it("#14 the max-tokens bound is the model's context, not a fixed 131072", async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await send(page, count(5, 32_768));
    await page.click('details.params-box summary');
    await page.fill('vscode-textfield[data-param="max_tokens"] input', '1000000');
    assert.equal(await page.textContent('[data-error="max_tokens"]'), 'Max tokens is at most 32,768, the context of Qwen/Qwen3-0.6B.');
    await page.fill('vscode-textfield[data-param="max_tokens"] input', '40000');
    assert.match((await page.textContent('[data-error="max_tokens"]')) ?? '', /at most 32,768/);
    await page.fill('vscode-textfield[data-param="max_tokens"] input', '100');
    assert.equal(await page.textContent('[data-error="max_tokens"]'), '');
  });

  it('#19 the Sample button does not move when the validation hint appears', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await page.click('details.params-box summary');
    await send(page, count(5));
    const y = async () => (await page.locator('[data-action="sample"]').boundingBox())!.y;
    const before = await y();
    assert.equal(await page.locator('[data-blocker]').count(), 0);
    await page.fill('vscode-textfield[data-param="top_p"] input', '1.5');
    assert.equal(await page.locator('[data-blocker]').count(), 1);
    assert.equal(await y(), before);
  });
});
