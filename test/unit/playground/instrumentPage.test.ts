/**
 * The playground page as an instrument (dist/webview/playground.js in headless Chromium): the
 * outcome distribution of a fan-out, generated-token alternatives, branching from a token, a
 * scored completion, the heat scale, and the history's search, pins, names and sharing. The
 * host is stood in for by messages that fit the protocol; what the page posts is checked against it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../support/browser';
import {
  HostToWebviewSchema,
  WebviewToHostSchema,
  type HostToWebview,
  type Outcome,
  type Run,
  type Sample,
} from '../../../src/shared/playground';

const root = process.cwd();
const bundle = join(root, 'dist/webview/playground.js');

async function send(page: Page, msg: HostToWebview): Promise<void> {
  assert.ok(HostToWebviewSchema.safeParse(msg).success, `the test's own message does not fit: ${JSON.stringify(msg).slice(0, 200)}`);
  await page.evaluate((m) => window.dispatchEvent(new MessageEvent('message', { data: m })), msg);
}
async function posted(page: Page): Promise<Array<{ type: string } & Record<string, unknown>>> {
  const all = await page.evaluate(() => (window as unknown as { __posted: Array<{ type: string } & Record<string, unknown>> }).__posted);
  for (const m of all) assert.ok(WebviewToHostSchema.safeParse(m).success, `the page posted what does not fit: ${JSON.stringify(m)}`);
  return all;
}

const A = { base_model: 'Qwen/Qwen3-0.6B' };
const B = { model_path: 'mint://run1/sampler_weights/s1' };

function textSample(text: string): Sample {
  return { text, stop_reason: 'stop' };
}
/** 32 answers per target with known counts: A says 4 (20×), 5 (8×), other (4×); B says 4 (10×), 5 (22×). */
function fanOutRun(): Run {
  const a = [
    ...Array.from({ length: 20 }, (_, i) => `<think>sum ${i}</think> The answer is 4`),
    ...Array.from({ length: 8 }, () => 'The answer is 5'),
    ...Array.from({ length: 4 }, (_, i) => `no idea ${i}`),
  ];
  const b = [...Array.from({ length: 10 }, () => 'The answer is 4'), ...Array.from({ length: 22 }, () => 'It is 5')];
  return {
    id: 'fan',
    time: '2026-12-01T10:00:00.000Z',
    prompt: { mode: 'raw', text: '2+2=' },
    params: { max_tokens: 16, num_samples: 32, prompt_logprobs: false, topk_prompt_logprobs: 0 },
    outcomes: [
      { target: A, status: 'done', via: 'native', samples: a.map(textSample) },
      { target: B, status: 'done', via: 'native', samples: b.map(textSample) },
    ],
  };
}

const tokSample: Sample = {
  text: ' the cat sat',
  stop_reason: 'length',
  tokens: {
    ids: [279, 8251, 7578],
    pieces: [' the', ' cat', ' sat'],
    logprobs: [-0.1, -2.3, -0.2],
    topk: [
      [
        [279, ' the', -0.1],
        [264, ' a', -2.5],
      ],
      [
        [5562, ' dog', -0.9],
        [8251, ' cat', -2.3],
        [11, ',', -3],
      ],
      [
        [7578, ' sat', -0.2],
        [10716, ' ran', -1.9],
      ],
    ],
  },
  alts: 'scored',
  score_request_id: 'sample_score1',
};

function oneRun(id: string, outcome: Partial<Outcome> = {}): Run {
  return {
    id,
    time: '2026-12-01T10:00:00.000Z',
    prompt: { mode: 'raw', text: 'Once' },
    params: { max_tokens: 3, num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0 },
    outcomes: [{ target: A, status: 'done', via: 'native', request_id: 'sample_1', samples: [tokSample], ...outcome }],
  };
}

describe('playground page as an instrument (headless Chromium)', function () {
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
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (r) => r.abort());
    await page.setContent(
      `<!doctype html><html><head><style>${readFileSync(join(root, 'media/playground.css'), 'utf8')}</style></head><body><div id="app"></div></body></html>`,
    );
    await page.evaluate(
      'window.__name = (f) => f; window.__posted = []; window.__state = undefined; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => window.__state, setState: (s) => { window.__state = s; } })',
    );
    await page.addScriptTag({ content: readFileSync(bundle, 'utf8') });
    await send(page, {
      type: 'state',
      models: [{ model_name: 'Qwen/Qwen3-0.6B', max_context_length: 32768 }],
      checkpoints: [{ path: B.model_path, base_model: 'Qwen/Qwen3-0.6B', run_id: 'run1', name: 's1' }],
      runs: [],
      history: [],
    });
  });
  afterEach(async () => {
    await page.close();
    assert.deepEqual(errors, [], 'the page threw');
  });

  it('fan-out of 32 per target: compact cards, a distribution whose group counts match the samples, Wilson intervals, a bar shows its samples', async () => {
    const run = fanOutRun();
    await send(page, { type: 'run', run });
    assert.equal(await page.locator('[data-run="fan"] .columns > [data-col="0"] .card.compact').count(), 32);
    // Exact answers: A's 20 "…</think> The answer is 4" differ by their thinking, so group by the last number instead.
    await page.selectOption('[data-run="fan"] select[data-rule]', 'number');
    const counts = async () =>
      page.locator('[data-run="fan"] .dist-row').evaluateAll((rows) =>
        rows.map((r) => ({
          key: r.querySelector('.dist-key')!.textContent,
          counts: [...r.querySelectorAll<HTMLElement>('.bar-line')].map((b) => Number(b.dataset.count ?? -1)),
        })),
      );
    const byNumber = await counts();
    // Under a rule, each compact card leads with the answer it found.
    assert.equal(await page.textContent('[data-run="fan"] .columns > [data-col="1"] .card.compact[data-sample="12"] [data-answer]'), '5');
    // Counted from the samples themselves, not from the fixture's comments.
    const expect = (col: number, key: string) => {
      const texts = run.outcomes[col]!.samples!.map((s) => s.text);
      return texts.filter((t) => (t.match(/\d+/g)?.at(-1) ?? '(no match)') === key).length;
    };
    const row = (key: string) => byNumber.find((r) => r.key === key)!;
    assert.deepEqual(row('5').counts, [expect(0, '5'), expect(1, '5')]);
    assert.deepEqual(row('4').counts, [expect(0, '4'), expect(1, '4')]);
    assert.equal(row('4').counts[0], 20);
    assert.equal(row('5').counts[1], 22);
    const total = byNumber.reduce((n, r) => n + r.counts[0]!, 0);
    assert.equal(total, 32, 'every sample of column A is in one group');
    // The share and its 95 % Wilson interval: 20 of 32 = 62.5 %, CI 45–77 %.
    const a4 = page.locator('[data-run="fan"] .dist-row', { hasText: /^4/ }).locator('.bar-line').first();
    assert.equal(await a4.locator('[data-share]').textContent(), '63%');
    assert.match((await a4.locator('.bar-ci').textContent()) ?? '', /^20\/32 · 45%–77%$/);
    // After </think>: A's 20 group as one answer, and the 12 without thinking are "(no match)".
    await page.selectOption('[data-run="fan"] select[data-rule]', 'think');
    const think = await counts();
    assert.deepEqual(think.find((r) => r.key === 'The answer is 4')!.counts, [20, 0]);
    assert.deepEqual(think.find((r) => r.key === '(no match)')!.counts, [12, 32]);
    // A regex rule: group 1 is the answer.
    await page.selectOption('[data-run="fan"] select[data-rule]', 'regex');
    await page.fill('[data-run="fan"] [data-rule-regex]', 'is (\\d)');
    await page.press('[data-run="fan"] [data-rule-regex]', 'Enter');
    await page.locator('[data-run="fan"] [data-rule-regex]').evaluate((el) => el.dispatchEvent(new Event('change')));
    const re = await counts();
    assert.deepEqual(re.find((r) => r.key === '4')!.counts, [20, 10]);
    assert.deepEqual(re.find((r) => r.key === '5')!.counts, [8, 22]);
    // Click B's bar for "5": its column shows only those 22 samples.
    await page.locator('[data-run="fan"] .dist-row', { hasText: /^5/ }).locator('.bar-line[data-bar-col="1"]').click();
    assert.equal(await page.locator('[data-run="fan"] .columns > [data-col="1"] .card.compact').count(), 22);
    assert.match((await page.textContent('[data-run="fan"] .columns > [data-col="1"] .focus-line')) ?? '', /22 of 32 samples answering 5/);
    assert.equal(
      await page.locator('[data-run="fan"] .columns > [data-col="0"] .card.compact').count(),
      32,
      'the other column is unfiltered',
    );
    await page.click('[data-run="fan"] [data-action="show-all"]');
    assert.equal(await page.locator('[data-run="fan"] .columns > [data-col="1"] .card.compact').count(), 32);
    // A compact card opens in full on click.
    await page.click('[data-run="fan"] .columns > [data-col="1"] .card.compact[data-sample="3"]');
    assert.equal(await page.locator('[data-run="fan"] .columns > [data-col="1"] .card:not(.compact)[data-sample="3"]').count(), 1);
  });

  it("alternatives for a generated token: the hover lists them with the token's rank; a sample without them asks for one scoring request", async () => {
    await send(page, { type: 'run', run: oneRun('alt') });
    await page.hover('[data-run="alt"] .card .tk[data-i="1"]');
    const tip = (await page.textContent('.tip')) ?? '';
    assert.match(tip, /rank 2 of the top 3/);
    assert.match(tip, /" dog" #5562/);
    assert.match(tip, /surprisal 3\.32 bits/);
    assert.equal(await page.getAttribute('[data-run="alt"] [data-alts]', 'data-alts'), 'scored');
    // A sample without alternatives: the card's button asks the host for them.
    const plain: Sample = { ...tokSample, tokens: { ...tokSample.tokens!, topk: undefined }, alts: undefined, score_request_id: undefined };
    await send(page, { type: 'run', run: oneRun('noalt', { samples: [plain] }) });
    await page.click('[data-run="noalt"] [data-action="alternatives"]');
    const ask = (await posted(page)).find((m) => m.type === 'alternatives');
    assert.deepEqual(ask, { type: 'alternatives', runId: 'noalt', index: 0, sample: 0, k: 5 });
    // The same from the token menu.
    await page.click('[data-run="noalt"] .card .tk[data-i="2"]');
    await page.click('.tk-menu [data-action="load-alternatives"]');
    assert.equal((await posted(page)).filter((m) => m.type === 'alternatives').length, 2);
  });

  it('branch from a token: pick an alternative (or type one); the tree shows the branch beside what the sample said', async () => {
    await send(page, { type: 'run', run: oneRun('br') });
    await page.click('[data-run="br"] .card .tk[data-i="1"]');
    assert.equal(await page.isVisible('.tk-menu'), true);
    assert.match((await page.textContent('.tk-menu')) ?? '', /rank 2 of top 3/);
    await page.click('.tk-menu [data-alt="5562"]');
    const branch = (await posted(page)).find((m) => m.type === 'branch')!;
    assert.equal(branch.runId, 'br');
    assert.equal(branch.at, 1);
    assert.deepEqual(branch.token, { id: 5562 });
    // A typed token from the keyboard: focus, arrow to the token, Enter, type, Enter.
    await page.focus('[data-run="br"] .card .tokens');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.fill('.tk-menu [data-branch-text]', ' bird');
    await page.press('.tk-menu [data-branch-text]', 'Enter');
    const typed = (await posted(page)).filter((m) => m.type === 'branch')[1]!;
    assert.equal(typed.at, 1);
    assert.deepEqual(typed.token, { text: ' bird' });

    // The host answers with the branch: the tree and the branch view.
    const branchSampleTokens = { ids: [279, 5562, 10716], pieces: [' the', ' dog', ' ran'], logprobs: [-0.1, -0.9, -0.5] };
    await send(page, {
      type: 'outcome',
      runId: 'br',
      index: 0,
      outcome: {
        ...oneRun('br').outcomes[0]!,
        branches: [
          {
            id: branch.branchId as string,
            from: 0,
            at: 1,
            token: [5562, ' dog'],
            forced: 1,
            status: 'done',
            request_id: 'sample_br1',
            sample: { text: ' the dog ran', stop_reason: 'length', tokens: branchSampleTokens },
          },
          { id: 'child1', from: 0, parent: branch.branchId as string, at: 2, token: [7578, ' sat'], status: 'pending' },
          {
            id: 'sib',
            from: 0,
            at: 2,
            token: [10716, ' ran'],
            status: 'done',
            sample: { text: ' the cat ran', stop_reason: 'length', tokens: { ids: [279, 8251, 10716], pieces: [' the', ' cat', ' ran'] } },
          },
        ],
      },
    });
    assert.equal(await page.locator('[data-run="br"] .btree [data-branch]').count(), 3);
    // Depth first: the sample, its branch, then the branch's child one level deeper.
    assert.deepEqual(
      await page
        .locator('[data-run="br"] .btree .brow')
        .evaluateAll((rows) => rows.map((r) => `${(r as HTMLElement).dataset.branch ?? 'root'}:${(r as HTMLElement).dataset.depth ?? 0}`)),
      ['root:0', `${branch.branchId as string}:1`, 'child1:2', 'sib:1'],
    );
    // A pending branch can be cancelled, by its id, as a run is.
    await page.click('[data-run="br"] [data-cancel-branch="child1"]');
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'cancel').at(-1), { type: 'cancel', runId: 'child1' });
    // The newest is shown; open the first.
    await page.click(`[data-run="br"] [data-branch-open="${branch.branchId as string}"]`);
    const view = page.locator('[data-run="br"] .branch-view');
    assert.equal(await view.locator('[data-was]').textContent(), ' cat sat');
    assert.equal(await view.locator('[data-now]').textContent(), ' dog ran');
    assert.match((await view.locator('[data-diverge]').textContent()) ?? '', /part at token 2/);
    // Compared with a sibling instead: both from where they part.
    await view.locator('select[data-compare]').selectOption('sib');
    assert.equal(await view.locator('[data-was]').textContent(), ' cat ran');
    assert.equal(await view.locator('[data-now]').textContent(), ' dog ran');
    assert.equal(await view.locator('.tk.kept').count(), 1, 'the kept prefix is marked');
    assert.equal(await view.locator('.tk.forced').textContent(), ' dog');
    // A branch of the branch: its view's tokens are generated tokens too.
    await view.locator('.tk[data-i="2"]').click();
    await page.fill('.tk-menu [data-branch-text]', ' away');
    await page.click('.tk-menu [data-action="branch-text"]');
    const nested = (await posted(page)).filter((m) => m.type === 'branch').at(-1)!;
    assert.equal(nested.parent, branch.branchId);
    assert.equal(nested.at, 2);
  });

  it('a tree of 1,000 branches is browsable: only the rows in view are in the page, and scrolling reaches the deepest', async () => {
    const t = tokSample.tokens!;
    const branches = Array.from({ length: 1000 }, (_, i) => ({
      id: `b${i}`,
      from: 0,
      // A chain: each branch is the child of the one before, so the last is 1,000 deep.
      ...(i > 0 ? { parent: `b${i - 1}` } : {}),
      at: 1,
      token: [5562, ' dog'] as [number, string],
      status: 'done' as const,
      sample: { text: ' the dog sat', stop_reason: 'length', tokens: { ...t, topk: undefined } },
    }));
    await send(page, { type: 'run', run: oneRun('big', { branches }) });
    assert.equal(await page.getAttribute('[data-run="big"] .branches', 'data-branches'), '1000');
    const inDom = await page.locator('[data-run="big"] .btree [data-branch]').count();
    assert.ok(inDom > 0 && inDom < 60, `${inDom} branch rows in the page`);
    // The newest (deepest) was shown, so the tree scrolled to it.
    assert.equal(await page.getAttribute('[data-run="big"] .btree .bnode.cur', 'data-branch-open'), 'b999');
    assert.equal(await page.getAttribute('[data-run="big"] .btree [data-branch="b999"]', 'data-depth'), '1000');
    await page.locator('[data-run="big"] .btree').evaluate((el) => (el.scrollTop = 0));
    await page.waitForFunction(() => document.querySelector('[data-run="big"] .btree [data-branch="b0"]'));
    await page.click('[data-run="big"] [data-branch-open="b0"]');
    assert.equal(await page.getAttribute('[data-run="big"] [data-branch-view]', 'data-branch-view'), 'b0');
  });

  it('score a completion: the Score box posts it; the result shows total and mean per target and where they disagree most', async () => {
    await page.fill('vscode-textarea[data-message="1"] textarea', 'Say something');
    await page.click('details.score-box summary');
    await page.fill('[data-score-completion]', ' the cat sat');
    await page.click('[data-action="score"]');
    const score = (await posted(page)).find((m) => m.type === 'score')!;
    assert.equal(score.completion, ' the cat sat');
    assert.deepEqual(score.targets, [A]);
    // "Score" on a sample card fills the box with that sample's text.
    await send(page, { type: 'run', run: oneRun('src') });
    await page.click('[data-run="src"] [data-action="score-this"]');
    assert.equal(await page.inputValue('[data-score-completion]'), ' the cat sat');
    // A chat ending in an assistant turn (a dataset row): score that turn after the messages before it.
    // Add message after a user message adds an assistant one.
    await page.click('[data-action="add-message"]');
    await page.fill('vscode-textarea[data-message="2"] textarea', ' the cat sat');
    await page.click('[data-action="score-assistant"]');
    const turn = (await posted(page)).filter((m) => m.type === 'score').at(-1)!;
    assert.equal(turn.completion, ' the cat sat');
    assert.deepEqual(turn.prompt, { mode: 'chat', messages: [{ role: 'user', content: 'Say something' }] });

    const ids = [279, 8251, 7578];
    const pieces = [' the', ' cat', ' sat'];
    const mk = (target: typeof A | typeof B, lps: number[]): Outcome => {
      const total = lps.reduce((a, b) => a + b, 0);
      return {
        target,
        status: 'done',
        via: 'native',
        request_id: 'sample_s',
        samples: [{ text: ' the cat sat', stop_reason: 'scored', tokens: { ids, pieces, logprobs: lps } }],
        score: { total, mean: total / lps.length, tokens: lps.length },
      };
    };
    await send(page, {
      type: 'run',
      run: {
        id: 'sc',
        time: '2026-12-01T10:00:00.000Z',
        prompt: { mode: 'raw', text: 'Once' },
        params: { max_tokens: 3, num_samples: 1, prompt_logprobs: false, topk_prompt_logprobs: 0 },
        completion: ' the cat sat',
        outcomes: [mk(A, [-0.5, -3, -1]), mk(B, [-0.4, -0.2, -1.3])],
      },
    });
    assert.deepEqual(await page.locator('[data-run="sc"] [data-score-total]').allTextContents(), ['-4.500', '-1.900']);
    assert.deepEqual(await page.locator('[data-run="sc"] [data-score-mean]').allTextContents(), ['-1.500', '-0.633']);
    const rows = await page
      .locator('[data-run="sc"] table[data-disagree] tr[data-pos]')
      .evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.pos));
    assert.deepEqual(rows, ['1', '2', '0'], 'ranked by spread: " cat" (2.8), " sat" (0.3), " the" (0.1)');
    assert.equal(await page.locator('[data-run="sc"] tr[data-pos="1"] [data-spread]').textContent(), '2.800');
  });

  it('heat scale: surprisal or probability, with a legend, kept as the setting every page follows', async () => {
    await send(page, { type: 'run', run: oneRun('hs') });
    const classes = () =>
      page.locator('[data-run="hs"] .card .tk').evaluateAll((els) => els.map((e) => e.className.replace(/\s*(kept|forced)/g, '')));
    // p = 0.90, 0.10, 0.82.
    assert.deepEqual(await classes(), ['tk b0', 'tk b3', 'tk b1']);
    assert.equal(await page.getAttribute('[data-run="hs"] [data-legend]', 'data-legend'), 'probability');
    await page.click('[data-run="hs"] [data-action="heat-scale"]');
    assert.equal(await page.getAttribute('[data-run="hs"] [data-legend]', 'data-legend'), 'surprisal');
    assert.match((await page.textContent('[data-run="hs"] [data-legend]')) ?? '', /< 0\.5 bits.*≥ 7 bits/s);
    // 0.14 bits, 3.32 bits, 0.29 bits.
    assert.deepEqual(await classes(), ['tk b0', 'tk b3', 'tk b0']);
    // The toggle asks the host to keep it (the mint.playground.heatScale setting)...
    assert.ok(
      (await posted(page)).some((m) => m.type === 'heatScale' && m.scale === 'surprisal'),
      'the page told the host',
    );
    // ...and the host's word (another page, a settings edit) switches this page too.
    await send(page, { type: 'heatScale', scale: 'probability' });
    assert.equal(await page.getAttribute('[data-run="hs"] [data-legend]', 'data-legend'), 'probability');
    assert.deepEqual(await classes(), ['tk b0', 'tk b3', 'tk b1']);
  });

  it('a long output (4 × 8,000 tokens) paints its start at once and the rest follows', async () => {
    const n = 8000;
    const tokens = {
      ids: Array.from({ length: n }, (_, i) => i),
      pieces: Array.from({ length: n }, (_, i) => ` w${i}`),
      logprobs: Array.from({ length: n }, (_, i) => -(i % 7)),
    };
    const s: Sample = { text: tokens.pieces.join(''), stop_reason: 'length', tokens };
    const msg: HostToWebview = {
      type: 'run',
      run: {
        ...oneRun('long'),
        params: { max_tokens: n, num_samples: 4, prompt_logprobs: false, topk_prompt_logprobs: 0 },
        outcomes: [{ target: A, status: 'done', via: 'native', samples: [s, s, s, s] }],
      },
    };
    // Counted in the same task as the message: what the first frame will show.
    const first = await page.evaluate((m) => {
      window.dispatchEvent(new MessageEvent('message', { data: m }));
      return document.querySelectorAll('[data-run="long"] .card .tk').length;
    }, msg);
    assert.ok(first >= 4 * 2000 && first < 4 * n, `${first} spans at once`);
    await page.waitForFunction(() => document.querySelectorAll('[data-run="long"] .card .tk').length === 32_000);
    assert.equal(await page.locator('[data-run="long"] .tokens[data-rendering]').count(), 0);
    assert.equal(await page.locator('[data-run="long"] .card[data-sample="2"] .tk[data-i="7999"]').textContent(), ' w7999');
  });

  it('history: search asks the host and shows its answer; pin, name and share post what the host needs', async () => {
    const history = [
      {
        id: 'h1',
        time: '2026-12-01T10:00:00.000Z',
        title: 'first',
        models: ['m'],
        status: 'done' as const,
        pinned: true,
        name: 'Baseline',
      },
      { id: 'h2', time: '2026-12-01T09:00:00.000Z', title: 'second', models: ['m'], status: 'done' as const, branches: 3, samples: 32 },
    ];
    await send(page, { type: 'history', history });
    assert.match((await page.textContent('.history-row[data-id="h1"]')) ?? '', /📌 Baseline · first/);
    assert.match((await page.textContent('.history-row[data-id="h2"]')) ?? '', /32 samples · 3 branches/);
    await page.fill('[data-history-search]', 'dog');
    await page.waitForFunction(() =>
      (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'searchHistory'),
    );
    assert.equal((await posted(page)).find((m) => m.type === 'searchHistory')!.query, 'dog');
    await send(page, { type: 'historyResults', query: 'dog', history: [history[1]!] });
    assert.equal(await page.locator('.history-row').count(), 1);
    assert.match((await page.textContent('[data-history-count]')) ?? '', /1 of 2 match/);
    // An answer to an older query is not shown.
    await send(page, { type: 'historyResults', query: 'do', history });
    assert.equal(await page.locator('.history-row').count(), 1);
    await page.click('.history-row[data-id="h2"] [data-act="pin"]');
    await page.click('.history-row[data-id="h2"] [data-act="share"]');
    await page.click('.history-row[data-id="h2"] [data-act="rename"]');
    await page.fill('.history-row[data-id="h2"] [data-rename-input]', 'Dog run');
    await page.press('.history-row[data-id="h2"] [data-rename-input]', 'Enter');
    await page.click('[data-action="import-run"]');
    const msgs = await posted(page);
    assert.deepEqual(
      msgs.find((m) => m.type === 'pinHistory'),
      { type: 'pinHistory', historyId: 'h2', pinned: true },
    );
    assert.deepEqual(
      msgs.find((m) => m.type === 'shareRun'),
      { type: 'shareRun', historyId: 'h2' },
    );
    assert.deepEqual(
      msgs.find((m) => m.type === 'renameHistory'),
      { type: 'renameHistory', historyId: 'h2', name: 'Dog run' },
    );
    assert.ok(msgs.some((m) => m.type === 'importRun'));
  });
});
