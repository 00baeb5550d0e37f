/**
 * The playground page itself (dist/webview/playground.js) in headless Chromium: what it posts to
 * the host and what it shows for the host's messages. The host side is covered in real VS Code
 * (test/integration/playground.test.ts); here the page is driven alone so every case is cheap.
 * The page's only outside contact is acquireVsCodeApi, stood in for by a recorder; nothing loads
 * from the network (every request is aborted).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser';
import { WebviewToHostSchema, type HostToWebview, type Run } from '../../../src/shared/playground';

const root = process.cwd();
const bundle = join(root, 'dist/webview/playground.js');

async function send(page: Page, msg: unknown): Promise<void> {
  await page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), msg);
}
async function posted(page: Page): Promise<Array<{ type: string } & Record<string, unknown>>> {
  return page.evaluate(() => (window as unknown as { __posted: Array<{ type: string } & Record<string, unknown>> }).__posted);
}

const run: Run = {
  id: 'r1',
  time: '2026-11-25T10:00:00.000Z',
  prompt: { mode: 'raw', text: 'Hi' },
  params: { max_tokens: 3, num_samples: 1, prompt_logprobs: true, topk_prompt_logprobs: 2 },
  outcomes: [
    {
      target: { base_model: 'Qwen/Qwen3-0.6B' },
      status: 'done',
      via: 'native',
      request_id: 'sample_abc',
      latency_ms: 500,
      prompt_tokens: 2,
      prompt: {
        ids: [13048, 0],
        pieces: ['Hi', '!'],
        logprobs: [null, -0.5],
        topk: [
          null,
          [
            [0, '!', -0.5],
            [30, '?', -1.2],
          ],
        ],
      },
      samples: [
        { text: 'a<b>\n', stop_reason: 'stop', tokens: { ids: [64, 27, 65], pieces: ['a', '<b>', '\n'], logprobs: [-0.01, -2.5, -6] } },
      ],
    },
  ],
};

describe('playground webview page (headless Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "node scripts/build.mjs --only webview" first`);
    browser = await launchChromium();
  });
  after(async () => browser?.close());
  beforeEach(async () => {
    errors.length = 0;
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (r) => r.abort());
    await page.setContent(
      `<!doctype html><html><head><style>${readFileSync(join(root, 'media/playground.css'), 'utf8')}</style></head><body><div id="app"></div></body></html>`,
    );
    await page.evaluate(
      'window.__name = (f) => f; window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m) })',
    );
    await page.addScriptTag({ content: readFileSync(bundle, 'utf8') });
    const state: HostToWebview = {
      type: 'state',
      models: [{ model_name: 'Qwen/Qwen3-0.6B', max_context_length: 100 }],
      checkpoints: [{ path: 'mint://run1/sampler_weights/s1', base_model: 'Qwen/Qwen3-0.6B', run_id: 'run1', name: 's1' }],
      runs: [],
      history: [],
    };
    await send(page, state);
  });
  afterEach(async () => {
    await page.close();
    assert.deepEqual(errors, [], 'the page threw');
  });

  it('says ready first, and every message it posts fits the protocol', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await page.click('[data-action="sample"]');
    const msgs = await posted(page);
    assert.equal(msgs[0]!.type, 'ready');
    for (const m of msgs) assert.ok(WebviewToHostSchema.safeParse(m).success, `does not fit: ${JSON.stringify(m)}`);
    const sample = msgs.find((m) => m.type === 'sample');
    assert.ok(sample, 'no sample message');
    assert.deepEqual(sample.target, { base_model: 'Qwen/Qwen3-0.6B' });
    assert.deepEqual((sample.prompt as { messages: unknown }).messages, [{ role: 'user', content: 'Hello' }]);
  });

  it('validates parameters inline and blocks Sample until they are fixed', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await page.click('details.params-box summary');
    await page.fill('vscode-textfield[data-param="max_tokens"] input', '');
    await page.fill('vscode-textfield[data-param="top_p"] input', '1.5');
    assert.equal(await page.textContent('[data-error="max_tokens"]'), 'Max tokens is required.');
    assert.equal(await page.textContent('[data-error="top_p"]'), 'Top-p is at most 1.');
    assert.match((await page.textContent('[data-blocker]')) ?? '', /Fix the parameters/);
    await page.click('[data-action="sample"]', { force: true });
    assert.ok(!(await posted(page)).some((m) => m.type === 'sample'), 'an invalid form was sent');
    await page.fill('vscode-textfield[data-param="max_tokens"] input', '10');
    await page.fill('vscode-textfield[data-param="top_p"] input', '0.9');
    assert.equal(await page.locator('[data-blocker]').count(), 0);
  });

  it('blocks a prompt that would not fit the context, with the numbers', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await send(page, {
      type: 'tokenCount',
      target: 'Qwen/Qwen3-0.6B',
      count: 90,
      max_context_length: 100,
      tokenizer: { target: 'Qwen/Qwen3-0.6B', state: 'ready' },
    });
    assert.match((await page.textContent('[data-context="over"]')) ?? '', /Prompt 90 tokens \+ max 64 = 154 of 100 context/);
    assert.match((await page.textContent('[data-blocker]')) ?? '', /shorten the prompt or lower Max tokens/);
  });

  it('flags a weights/ path with the sampler_weights fix', async () => {
    await page.click('[data-action="add-target"]');
    await page.evaluate(() => {
      const sel = document.querySelectorAll<HTMLElement & { value: string }>('vscode-single-select[data-target]')[1]!;
      sel.value = 'custom';
      sel.dispatchEvent(new Event('change'));
    });
    await page.fill('vscode-textfield[data-target-path="1"] input', 'mint://run1/weights/step5');
    assert.match((await page.textContent('[data-error="target-1"]')) ?? '', /use mint:\/\/run1\/sampler_weights\/step5/);
  });

  it('restores a draft into every section of the form, posts it back as edited, and sends what it shows', async () => {
    const draft = {
      targets: [{ model_path: 'mint://run1/sampler_weights/s1' }, { base_model: 'Qwen/Qwen3-0.6B' }],
      prompt: { mode: 'raw' as const, messages: [], text: 'Once' },
      params: { max_tokens: 12, stop: ['\n'] },
      paramText: { max_tokens: '12', seed: '5', prompt_logprobs: 'true' },
    };
    await send(page, {
      type: 'state',
      draft,
      models: [{ model_name: 'Qwen/Qwen3-0.6B', max_context_length: 100 }],
      checkpoints: [{ path: 'mint://run1/sampler_weights/s1', base_model: 'Qwen/Qwen3-0.6B', run_id: 'run1', name: 's1' }],
      runs: [],
      history: [],
    });
    const value = (sel: string) => page.locator(sel).evaluate((el) => (el as HTMLElement & { value: string }).value);
    assert.equal(await page.textContent('[data-action="sample"]'), 'Compare 2');
    assert.equal(
      await value('vscode-single-select[data-target="0"]'),
      'path:mint://run1/sampler_weights/s1',
      'a listed checkpoint is picked by name, not typed',
    );
    assert.equal(await value('vscode-textarea[data-prompt="raw"]'), 'Once');
    assert.equal(await value('vscode-textfield[data-param="seed"]'), '5');
    assert.equal(await value('vscode-textarea[data-param="stop"]'), '\\n', 'a newline stop string is shown escaped');
    assert.equal(
      await page
        .locator('vscode-checkbox[data-param="prompt_logprobs"]')
        .evaluate((el) => (el as HTMLElement & { checked: boolean }).checked),
      true,
    );

    await page.fill('vscode-textarea[data-prompt="raw"] textarea', 'Once upon');
    await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'draft'));
    const back = (await posted(page)).filter((m) => m.type === 'draft').at(-1)!.draft as typeof draft;
    assert.deepEqual(back.targets, draft.targets);
    assert.equal(back.prompt.mode, 'raw');
    assert.equal(back.prompt.text, 'Once upon');
    assert.deepEqual(back.params, {
      max_tokens: 12,
      seed: 5,
      num_samples: 1,
      prompt_logprobs: true,
      topk_prompt_logprobs: 0,
      stop: ['\n'],
    });
    assert.equal(back.paramText.seed, '5');

    await page.click('[data-action="sample"]');
    const compare = (await posted(page)).find((m) => m.type === 'compare');
    assert.ok(compare, 'no compare message');
    assert.deepEqual(compare.targets, draft.targets);
    assert.deepEqual(compare.prompt, { mode: 'raw', text: 'Once upon' });
    assert.deepEqual(compare.params, back.params);
  });

  it('renders a result: coloured tokens, escaped text, hover with id, logprob and top-k', async () => {
    await send(page, { type: 'run', run });
    assert.equal(await page.locator('.card .tk').count(), 3);
    assert.deepEqual(await page.locator('.card .tk').evaluateAll((els) => els.map((e) => e.className)), ['tk b0', 'tk b3', 'tk b5']);
    assert.equal(await page.locator('.card .tk').nth(1).textContent(), '<b>', 'token text is shown literally, not as HTML');
    assert.equal(await page.locator('.card b').count(), 0);
    assert.equal(await page.textContent('[data-request-id]'), 'sample_abc');
    assert.match((await page.textContent('[data-tps]')) ?? '', /6\.0 tok\/s/);
    await page.click('details.prompt-lp summary');
    await page.hover('.prompt-lp .tk[data-i="1"]');
    const tip = (await page.textContent('.tip')) ?? '';
    assert.match(tip, /token 0/);
    assert.match(tip, /logprob -0\.500/);
    assert.match(tip, /top-2/);
    assert.match(tip, /"\?" #30/);
    // The same details from the keyboard: focus the sample's token view and step with the arrows.
    await page.focus('.card .tokens');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.match((await page.textContent('.tip')) ?? '', /token 27.*"<b>".*logprob -2\.500/s);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    assert.match((await page.textContent('.tip')) ?? '', /token 65/, 'stops at the last token');
    await page.keyboard.press('Escape');
    assert.equal(await page.isHidden('.tip'), true);
    await page.click('[data-action="copy-request-id"]');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'copy').at(-1), {
      type: 'copy',
      text: 'sample_abc',
      what: 'request_id',
    });
  });

  it('shows queue state, then a failure with its request id and Retry', async () => {
    await send(page, {
      type: 'run',
      run: { ...run, id: 'r2', outcomes: [{ target: { base_model: 'Qwen/Qwen3-0.6B' }, status: 'pending' }] },
    });
    await send(page, {
      type: 'queue',
      runId: 'r2',
      index: 0,
      queue: { queue_state: 'paused_capacity', queue_position: 3, queue_depth: 9, eta_s: 12 },
    });
    assert.equal(await page.textContent('.queue'), 'paused capacity · position 3 of 9 · ETA 12 s');
    assert.equal(await page.locator('[data-action="cancel-run"]').count(), 1);
    await send(page, {
      type: 'outcome',
      runId: 'r2',
      index: 0,
      outcome: {
        target: { base_model: 'Qwen/Qwen3-0.6B' },
        status: 'failed',
        error: { kind: 'RequestFailedError', message: 'MinT could not complete it.', request_id: 'sample_xyz' },
      },
    });
    assert.equal(await page.textContent('.error [data-request-id]'), 'sample_xyz');
    await page.click('.error [data-action="retry"]');
    const rerun = (await posted(page)).find((m) => m.type === 'rerun');
    assert.equal(rerun?.historyId, 'r2');
  });

  it('samples on Ctrl+Enter in the prompt, and Cmd+Enter too', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Hello');
    await page.press('vscode-textarea[data-message="1"] textarea', 'Control+Enter');
    const first = (await posted(page)).filter((m) => m.type === 'sample');
    assert.equal(first.length, 1, 'Ctrl+Enter did not sample');
    assert.deepEqual((first[0]!.prompt as { messages: unknown }).messages, [{ role: 'user', content: 'Hello' }]);
    // The run finishes; then the same from a raw prompt with Cmd (Meta), as on a Mac.
    await send(page, { type: 'run', run: { ...run, id: first[0]!.runId } });
    await page.click('vscode-radio[data-mode="raw"]');
    await page.fill('vscode-textarea[data-prompt="raw"] textarea', 'Once');
    await page.press('vscode-textarea[data-prompt="raw"] textarea', 'Meta+Enter');
    const all = (await posted(page)).filter((m) => m.type === 'sample');
    assert.equal(all.length, 2, 'Cmd+Enter did not sample');
    assert.deepEqual(all[1]!.prompt, { mode: 'raw', text: 'Once' });
  });

  it('in a short sidebar: Sample stays on screen with Parameters open, and a new result is brought into view', async () => {
    await page.setViewportSize({ width: 300, height: 450 });
    const onScreen = (sel: string) =>
      page
        .locator(sel)
        .first()
        .evaluate((el) => {
          const r = el.getBoundingClientRect();
          return r.height > 0 && r.top >= 0 && r.top < window.innerHeight - 10;
        });
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Write a haiku about the sea.');
    await page.click('details.params-box summary');
    await page.evaluate(() => window.scrollTo(0, 0));
    assert.ok(await onScreen('[data-action="sample"]'), 'Sample is below the fold with Parameters open');
    // Clicked where it is (a real click would scroll the page first and hide the problem).
    await page.locator('[data-action="sample"]').evaluate((el) => (el as HTMLElement).click());
    const sample = (await posted(page)).find((m) => m.type === 'sample')!;
    const runId = sample.runId as string;
    await send(page, { type: 'run', run: { ...run, id: runId, outcomes: [{ target: run.outcomes[0]!.target, status: 'pending' }] } });
    assert.ok(await onScreen(`.run[data-run="${runId}"]`), 'the new run is not in view');
    await send(page, { type: 'outcome', runId, index: 0, outcome: run.outcomes[0]! });
    assert.ok(await onScreen(`.run[data-run="${runId}"] .column`), 'the finished result is not in view');
  });

  it('History → Rerun keeps the view on the new result, and a run another page started does not move this one', async () => {
    await page.setViewportSize({ width: 300, height: 450 });
    const onScreen = (sel: string) =>
      page
        .locator(sel)
        .first()
        .evaluate((el) => {
          const r = el.getBoundingClientRect();
          return r.height > 0 && r.top >= 0 && r.top < window.innerHeight - 10;
        });
    for (const id of ['old1', 'old2', 'old3']) await send(page, { type: 'run', run: { ...run, id } });
    await send(page, {
      type: 'history',
      history: ['old1', 'old2', 'old3'].map((id) => ({ id, time: run.time, title: 'Hi', models: ['Qwen/Qwen3-0.6B'], status: 'done' })),
    });
    await page.click('.history-row[data-id="old1"] [data-act="rerun"]');
    // A run from the other page (the editor playground) does not pull this page away from the history.
    await send(page, { type: 'run', run: { ...run, id: 'elsewhere' } });
    assert.ok(!(await onScreen('.run[data-run="elsewhere"]')), "another page's run moved this page");
    const rerun = (await posted(page)).find((m) => m.type === 'rerun')!;
    const runId = rerun.runId as string;
    await send(page, { type: 'run', run: { ...run, id: runId, outcomes: [{ target: run.outcomes[0]!.target, status: 'pending' }] } });
    assert.ok(await onScreen(`.run[data-run="${runId}"]`), 'the rerun is not in view');
    await send(page, { type: 'outcome', runId, index: 0, outcome: run.outcomes[0]! });
    assert.ok(await onScreen(`.run[data-run="${runId}"] .column`), 'the finished rerun is not in view');
  });

  it("takes the host's draft (another page's edit, History → Open) into the form without posting it back", async () => {
    await send(page, {
      type: 'draft',
      draft: {
        targets: [{ base_model: 'Qwen/Qwen3-0.6B' }],
        prompt: { mode: 'chat', messages: [{ role: 'user', content: 'From the editor' }], text: '' },
        params: { max_tokens: 96 },
      },
    });
    const value = (sel: string) => page.locator(sel).evaluate((el) => (el as HTMLElement & { value: string }).value);
    assert.equal(await value('vscode-textarea[data-message="0"]'), 'From the editor');
    assert.equal(await value('vscode-textfield[data-param="max_tokens"]'), '96');
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(!(await posted(page)).some((m) => m.type === 'draft'), 'the page echoed the draft back to the host');
    // Sample sends what the form now shows.
    await page.click('[data-action="sample"]');
    const sample = (await posted(page)).find((m) => m.type === 'sample')!;
    assert.deepEqual((sample.prompt as { messages: unknown }).messages, [{ role: 'user', content: 'From the editor' }]);
    assert.equal((sample.params as { max_tokens: number }).max_tokens, 96);
  });

  it('ignores host messages that do not fit the protocol', async () => {
    await send(page, { type: 'run', run: { id: 'bad id with spaces', outcomes: [] } });
    await send(page, { type: 'nonsense' });
    await send(page, '<img src=x onerror=alert(1)>');
    assert.equal(await page.locator('.run').count(), 0);
  });

  it('keeps 10,000 history entries to a few DOM rows', async () => {
    const history = Array.from({ length: 10_000 }, (_, i) => ({
      id: `h${i}`,
      time: '2026-11-25T10:00:00.000Z',
      title: `prompt ${i}`,
      models: ['m'],
      status: 'done' as const,
    }));
    await send(page, { type: 'history', history });
    assert.equal(await page.textContent('[data-history-count]'), '(10,000)');
    const rows = await page.locator('.history-row').count();
    assert.ok(rows > 0 && rows < 60, `${rows} rows in the DOM`);
    await page.locator('.history-viewport').evaluate((el) => (el.scrollTop = 46 * 5000));
    await page.waitForFunction(() => document.querySelector('.history-row')?.getAttribute('data-index') !== '0');
    const first = Number(await page.locator('.history-row').first().getAttribute('data-index'));
    assert.ok(first > 4900 && first <= 5000, `first row after scrolling is ${first}`);
    await page.locator('.history-row[data-index="5001"] [data-act="rerun"]').click();
    assert.equal((await posted(page)).find((m) => m.type === 'rerun')?.historyId, 'h5001');
  });

  it('a retry wait counts down in the column with its reason; the finished card splits waiting from generating', async () => {
    const target = { base_model: 'Qwen/Qwen3-0.6B' };
    await send(page, { type: 'run', run: { ...run, id: 'rw', outcomes: [{ target, status: 'pending' }] } });
    await send(page, {
      type: 'queue',
      runId: 'rw',
      index: 0,
      queue: { queue_state: 'waiting', retry_in_ms: 3_000, retry_reason: 'rate limited' },
    });
    const line = page.locator('[data-run="rw"] .queue');
    assert.equal(await line.textContent(), 'rate limited · retry in 3s');
    await page.waitForFunction(() => document.querySelector('[data-run="rw"] .queue')?.textContent === 'rate limited · retry in 2s', null, {
      timeout: 3_000,
    });
    const done = { ...run.outcomes[0]!, latency_ms: 12_500, wait_ms: 12_000 };
    await send(page, { type: 'outcome', runId: 'rw', index: 0, outcome: done });
    const col = page.locator('[data-run="rw"] [data-col="0"]');
    assert.equal(await col.locator('[data-wait]').textContent(), '12.0 s waiting · 500 ms generating');
    // 3 tokens in the 0.5 s of generation, not in the 12.5 s of the whole call.
    assert.equal(await col.locator('[data-tps]').textContent(), '6.0 tok/s');
  });

  it('a server notice is shown once however often it comes, and cleared once the server answers', async () => {
    const models = [{ model_name: 'Qwen/Qwen3-0.6B', max_context_length: 32768 }];
    const error = { kind: 'APIConnectionError', message: 'Could not reach MinT at 127.0.0.1:9 (ECONNREFUSED).' };
    await send(page, { type: 'models', models: [], checkpoints: [], error });
    await send(page, { type: 'models', models: [], checkpoints: [], error });
    assert.equal(await page.locator('.notice', { hasText: 'Could not reach MinT' }).count(), 1, 'the same notice twice');
    await send(page, { type: 'models', models, checkpoints: [] });
    assert.equal(await page.locator('.notice', { hasText: 'Could not reach MinT' }).count(), 0, 'the notice outlived its cause');
    await send(page, { type: 'models', models: [], checkpoints: [], error });
    await send(page, { type: 'run', run: { ...run, id: 'rn' } });
    await send(page, { type: 'outcome', runId: 'rn', index: 0, outcome: run.outcomes[0]! });
    assert.equal(await page.locator('.notice', { hasText: 'Could not reach MinT' }).count(), 0, 'a successful sample left the notice');
  });
});
