/**
 * The SFT data path on Qwen3's real template and tokenizer (bundled, offline): which tokens carry
 * loss, the datum forward_backward gets, truncation, the eval split, batches that a resume
 * recomputes exactly, the learning-rate schedule and the settings check.
 */
import assert from 'node:assert/strict';
import type { MintTokenizer } from '../../../src/mint/tokenizer';
import { renderChat } from '../../../src/mint/chatTemplate';
import {
  BatchPlan,
  RowNotTrainableError,
  emptyStats,
  evalCount,
  prepareExamples,
  prepareRow,
  renderExample,
  rowToMessages,
  rowsSha256,
  splitRows,
  toDatum,
  type ChatTokenizer,
} from '../../../src/finetune/data';
import { FINE_TUNE_DEFAULTS, FineTuneConfigError, learningRateAt, resolveFineTuneConfig } from '../../../src/finetune/config';
import { chatRows, qwen3 } from './support';

/** The weighted stretches of a rendered example, decoded: what the model learns to write. */
function trained(tok: MintTokenizer, tokens: readonly number[], weights: readonly number[]): string[] {
  const spans: string[] = [];
  let cur: number[] = [];
  for (let i = 0; i <= tokens.length; i++) {
    if (i < tokens.length && weights[i] === 1) cur.push(tokens[i]!);
    else if (cur.length) {
      spans.push(tok.decode(cur));
      cur = [];
    }
  }
  return spans;
}

function untrained(tok: MintTokenizer, tokens: readonly number[], weights: readonly number[]): string {
  return tok.decode(tokens.filter((_, i) => weights[i] === 0));
}

describe('finetune data: rendering and the loss mask (Qwen3)', function () {
  let tok: MintTokenizer;
  before(async function () {
    tok = await qwen3();
  });

  it('weights the assistant reply and its end-of-turn token only, not the system or user turns or the headers', function () {
    const r = renderExample(
      tok,
      rowToMessages({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello!' },
        ],
      }),
    );
    assert.equal(r.tokens.length, r.weights.length);
    assert.deepEqual(r.tokens, tok.encode(r.text, { addSpecialTokens: false }));
    // Qwen3's template writes an empty think block into the final assistant turn: the model writes it too.
    assert.deepEqual(trained(tok, r.tokens, r.weights), ['<think>\n\n</think>\n\nHello!<|im_end|>']);
    assert.equal(
      untrained(tok, r.tokens, r.weights),
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n\n',
    );
    const imEnd = tok.encode('<|im_end|>', { addSpecialTokens: false })[0]!;
    const lastEnd = r.tokens.lastIndexOf(imEnd);
    assert.equal(r.weights[lastEnd], 1, 'the end-of-turn token carries loss');
    assert.equal(r.weights[lastEnd + 1], 0, 'the newline after it is template scaffolding');
    assert.equal(r.lastTurnOnly, false);
  });

  it('multi-turn: every assistant turn is trained; a thinking turn keeps its <think> block after the last user message', function () {
    const row = {
      messages: [
        { role: 'system', content: 'You are a tutor.' },
        { role: 'user', content: 'What is 2+2?' },
        { role: 'assistant', content: '<think>\nSmall sum.\n</think>\n\n2+2 is 4.' },
        { role: 'user', content: 'And 3+3?' },
        { role: 'assistant', content: '3+3 is 6.', reasoning_content: 'Double three.' },
      ],
    };
    const r = renderExample(tok, rowToMessages(row));
    // Qwen3 drops the reasoning of turns before the last user message (as apply_chat_template does).
    assert.deepEqual(trained(tok, r.tokens, r.weights), ['2+2 is 4.<|im_end|>', '<think>\nDouble three.\n</think>\n\n3+3 is 6.<|im_end|>']);
    assert.ok(!r.text.includes('Small sum.'));
    const plain = untrained(tok, r.tokens, r.weights);
    assert.ok(plain.includes('What is 2+2?') && plain.includes('And 3+3?') && plain.includes('You are a tutor.'));
    assert.ok(!plain.includes('is 4') && !plain.includes('is 6'));
  });

  it('reasoning given as thinking content parts goes into the turn like reasoning_content', function () {
    const r = renderExample(
      tok,
      rowToMessages({
        messages: [
          { role: 'user', content: 'Capital of Peru?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'Peru: Lima.' },
              { type: 'text', text: 'Lima.' },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(trained(tok, r.tokens, r.weights), ['<think>\nPeru: Lima.\n</think>\n\nLima.<|im_end|>']);
  });

  it('last_assistant_message trains the final turn only; a trailing user turn carries no loss', function () {
    const messages = rowToMessages({
      messages: [
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'Q2' },
        { role: 'assistant', content: 'A2' },
        { role: 'user', content: 'Q3' },
      ],
    });
    const all = renderExample(tok, messages);
    assert.deepEqual(trained(tok, all.tokens, all.weights), ['A1<|im_end|>', 'A2<|im_end|>']);
    const last = renderExample(tok, messages, 'last_assistant_message');
    assert.deepEqual(trained(tok, last.tokens, last.weights), ['A2<|im_end|>']);
    assert.equal(last.lastTurnOnly, false);
  });

  it('a tool chain whose earlier reasoning the template drops: every turn trains, as rendered', function () {
    const messages = rowToMessages({
      messages: [
        { role: 'user', content: 'Look it up.' },
        { role: 'assistant', content: 'Checking.', reasoning_content: 'I should call the tool.' },
        { role: 'tool', content: '42' },
        { role: 'assistant', content: 'It is 42.' },
        { role: 'user', content: 'Thanks!' },
        { role: 'assistant', content: 'You are welcome.' },
      ],
    });
    const r = renderExample(tok, messages);
    assert.equal(r.lastTurnOnly, false);
    assert.deepEqual(trained(tok, r.tokens, r.weights), [
      'Checking.<|im_end|>',
      'It is 42.<|im_end|>',
      '<think>\n\n</think>\n\nYou are welcome.<|im_end|>',
    ]);
    assert.ok(untrained(tok, r.tokens, r.weights).includes('<tool_response>\n42\n</tool_response>'));
  });

  it('a template that renders history unlike its generation prompt: the last turn trains alone, rendered as sampled, and says so', function () {
    // Earlier assistant turns get another header than the generation prompt writes.
    const template =
      "{%- for m in messages %}{%- if m.role == 'assistant' and not loop.last %}{{ '<|im_start|>model\\n' + m.content + '<|im_end|>\\n' }}" +
      "{%- else %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>\\n' }}{%- endif %}{%- endfor %}" +
      "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}";
    const odd: ChatTokenizer = {
      eosToken: tok.eosToken,
      renderChat: (messages, opts) => renderChat(template, messages, {}, opts),
      encode: (t, o) => tok.encode(t, o),
      pieces: (ids) => tok.pieces(ids),
      isSpecial: (id) => tok.isSpecial(id),
    };
    const messages = rowToMessages({
      messages: [
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: 'A1' },
        { role: 'user', content: 'Q2' },
        { role: 'assistant', content: 'A2' },
      ],
    });
    const r = renderExample(odd, messages);
    assert.equal(
      r.text,
      '<|im_start|>user\nQ1<|im_end|>\n<|im_start|>model\nA1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\nA2<|im_end|>\n',
    );
    assert.equal(r.lastTurnOnly, true);
    assert.deepEqual(trained(tok, r.tokens, r.weights), ['A2<|im_end|>']);
  });

  it('prompt/target field rows (prompt/completion, instruction/output with system) render as a chat', function () {
    const a = renderExample(tok, rowToMessages({ prompt: 'What is 2+2?', completion: '4' }));
    assert.deepEqual(trained(tok, a.tokens, a.weights), ['<think>\n\n</think>\n\n4<|im_end|>']);
    assert.ok(a.text.startsWith('<|im_start|>user\nWhat is 2+2?<|im_end|>'));
    const b = renderExample(tok, rowToMessages({ system: 'Be terse.', instruction: 'Name a colour.', output: 'Red.' }));
    assert.ok(b.text.startsWith('<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nName a colour.'));
    assert.deepEqual(trained(tok, b.tokens, b.weights), ['<think>\n\n</think>\n\nRed.<|im_end|>']);
  });

  it('text the tokenizer normalises (combining accents) still gets the right mask', function () {
    const r = renderExample(
      tok,
      rowToMessages({
        messages: [
          { role: 'user', content: 'cafe\u0301?' },
          { role: 'assistant', content: 'Cafe\u0301 is coffee.' },
        ],
      }),
    );
    assert.deepEqual(trained(tok, r.tokens, r.weights), ['<think>\n\n</think>\n\nCafé is coffee.<|im_end|>']);
  });

  it('CJK and emoji replies are weighted whole', function () {
    const r = renderExample(
      tok,
      rowToMessages({
        messages: [
          { role: 'user', content: '你好' },
          { role: 'assistant', content: '你好！👋🏽 有什么可以帮你？' },
        ],
      }),
    );
    assert.deepEqual(trained(tok, r.tokens, r.weights), ['<think>\n\n</think>\n\n你好！👋🏽 有什么可以帮你？<|im_end|>']);
  });

  it('refuses rows with nothing to learn, or that this path cannot render yet, saying why', function () {
    const why = (row: unknown) => {
      try {
        renderExample(tok, rowToMessages(row));
      } catch (e) {
        assert.ok(e instanceof RowNotTrainableError, String(e));
        return e.message;
      }
      return 'trained';
    };
    assert.match(why({ messages: [{ role: 'user', content: 'hi' }] }), /no assistant turn/);
    assert.match(why({ prompt: 'x', chosen: 'a', rejected: 'b' }), /dpo-prompt, not SFT/);
    assert.match(why({ text: 'pretraining' }), /no `messages`/);
    assert.match(
      why({
        messages: [
          { role: 'user', content: 'weather?' },
          { role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'w', arguments: '{}' } }] },
        ],
      }),
      /tool_calls/,
    );
    assert.match(why({ messages: [{ role: 'assistant', content: 'I start.' }] }), /starts with an assistant turn/);
    // An opening assistant greeting stays context; the reply after the user's turn trains.
    const r = renderExample(
      tok,
      rowToMessages({
        messages: [
          { role: 'assistant', content: 'Hello, how can I help?' },
          { role: 'user', content: 'Capital of Chile?' },
          { role: 'assistant', content: 'Santiago.' },
        ],
      }),
    );
    assert.deepEqual(trained(tok, r.tokens, r.weights), ['<think>\n\n</think>\n\nSantiago.<|im_end|>']);
  });
});

describe('finetune data: datums, truncation, examples', function () {
  let tok: MintTokenizer;
  before(async function () {
    tok = await qwen3();
  });

  it('builds the datum forward_backward takes: inputs tokens[:-1], targets tokens[1:], weights[1:]', function () {
    const tokens = Int32Array.from([10, 11, 12, 13, 14]);
    const weights = Uint8Array.from([0, 0, 1, 1, 1]);
    const d = toDatum({ tokens, weights });
    assert.deepEqual(d.model_input, { chunks: [{ type: 'encoded_text', tokens: [10, 11, 12, 13] }] });
    assert.deepEqual(d.loss_fn_inputs.target_tokens, { data: [11, 12, 13, 14], dtype: 'int64', shape: [4] });
    assert.deepEqual(d.loss_fn_inputs.weights, { data: [0, 1, 1, 1], dtype: 'float32', shape: [4] });
  });

  it('cuts conversations to maxLength and counts them; a row whose reply lies past the cut is left out with the reason', function () {
    const long = {
      messages: [
        { role: 'user', content: 'word '.repeat(200) },
        { role: 'assistant', content: 'Short reply.' },
      ],
    };
    const longReply = {
      messages: [
        { role: 'user', content: 'Tell me a story.' },
        { role: 'assistant', content: 'Once upon a time '.repeat(50) },
      ],
    };
    const stats = emptyStats(2);
    assert.equal(prepareRow(tok, long, 0, { maxLength: 64 }, stats), undefined);
    const ex = prepareRow(tok, longReply, 1, { maxLength: 64 }, stats);
    assert.ok(ex);
    assert.equal(ex.tokens.length, 64);
    assert.equal(ex.truncated, true);
    assert.equal(stats.truncated, 1);
    assert.equal(stats.examples, 1);
    assert.deepEqual(stats.skipped, { 'no assistant tokens within the first 64 tokens': { count: 1, rows: [0] } });
  });

  it('prepares a dataset in slices, counting tokens, loss tokens and skipped rows', async function () {
    const rows: unknown[] = [
      ...chatRows(10),
      { prompt: 'p', chosen: 'a', rejected: 'b' },
      { messages: [{ role: 'user', content: 'no reply' }] },
    ];
    const seen: number[] = [];
    const { examples, stats } = await prepareExamples(
      tok,
      rows,
      rows.map((_, i) => i),
      { maxLength: 4096, sliceMs: 0, onRows: (d) => seen.push(d) },
    );
    assert.equal(examples.length, 10);
    assert.equal(stats.examples, 10);
    assert.equal(
      Object.values(stats.skipped).reduce((a, s) => a + s.count, 0),
      2,
    );
    assert.equal(
      stats.tokens,
      examples.reduce((a, e) => a + e.tokens.length, 0),
    );
    assert.equal(
      stats.lossTokens,
      examples.reduce((a, e) => a + e.weights.slice(1).reduce((x, y) => x + y, 0), 0),
    );
    assert.ok(stats.lossTokens > 0 && stats.lossTokens < stats.tokens);
    assert.equal(seen[seen.length - 1], rows.length);
  });

  it('stops preparing when the signal aborts', async function () {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const rows = chatRows(50);
    await assert.rejects(
      prepareExamples(
        tok,
        rows,
        rows.map((_, i) => i),
        { maxLength: 4096, sliceMs: 0, signal: ac.signal },
      ),
      /stop/,
    );
  });
});

describe('finetune data: eval split and batches', function () {
  it('holds out a seeded, disjoint eval split by fraction or count, the same on every call', function () {
    const a = splitRows(40, 0.2, 7);
    assert.equal(a.eval.length, 8);
    assert.equal(a.train.length, 32);
    assert.deepEqual(new Set([...a.train, ...a.eval]).size, 40);
    assert.ok(a.eval.every((i) => !a.train.includes(i)));
    assert.deepEqual(splitRows(40, 0.2, 7), a);
    assert.notDeepEqual(splitRows(40, 0.2, 8).eval, a.eval);
    assert.equal(splitRows(40, 5, 7).eval.length, 5);
    assert.deepEqual(splitRows(10, 0, 1), { train: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], eval: [] });
    assert.equal(evalCount(3, 10), 2, 'always leaves a row to train on');
    assert.equal(evalCount(1, 0.5), 0);
  });

  it('batches are fixed-size seeded shuffles per epoch, recomputed identically by a fresh plan (a resume)', function () {
    const plan = new BatchPlan(21, 4, 3, 5);
    assert.equal(plan.stepsPerEpoch, 5);
    assert.equal(plan.totalSteps, 15);
    const all = Array.from({ length: 15 }, (_, i) => plan.batch(i + 1));
    assert.ok(all.every((b) => b.length === 4));
    for (let e = 0; e < 3; e++) {
      const epoch = all.slice(e * 5, e * 5 + 5).flat();
      assert.equal(new Set(epoch).size, 20, `epoch ${e} repeats an example`);
      assert.ok(epoch.every((i) => i >= 0 && i < 21));
    }
    assert.notDeepEqual(all.slice(0, 5), all.slice(5, 10), 'each epoch is shuffled afresh');
    // A resume at step 12 asks for it first, with no history.
    const again = new BatchPlan(21, 4, 3, 5);
    assert.deepEqual(again.batch(12), all[11]);
    assert.deepEqual(again.batch(3), all[2]);
    assert.deepEqual(
      Array.from({ length: 15 }, (_, i) => again.batch(i + 1)),
      all,
    );
    assert.equal(plan.epochOf(5), 0);
    assert.equal(plan.epochOf(6), 1);
    assert.throws(() => plan.batch(16), RangeError);
    assert.notDeepEqual(new BatchPlan(21, 4, 3, 6).batch(1), all[0]);
  });

  it('hashes rows so a resume can tell the data changed', function () {
    const rows = chatRows(5);
    assert.equal(rowsSha256(rows), rowsSha256(JSON.parse(JSON.stringify(rows))));
    assert.notEqual(rowsSha256(rows), rowsSha256(rows.slice(1)));
  });
});

describe('finetune config: defaults, checks and the learning-rate schedule', function () {
  it('fills in defaults and names every bad setting', function () {
    const c = resolveFineTuneConfig({ baseModel: 'Qwen/Qwen3-0.6B', batchSize: undefined });
    assert.deepEqual({ ...c }, { ...FINE_TUNE_DEFAULTS, baseModel: 'Qwen/Qwen3-0.6B' });
    assert.throws(
      () =>
        resolveFineTuneConfig({ baseModel: '', loraRank: 0, learningRate: -1, epochs: 1.5, evalSplit: 2.5, lrSchedule: 'step' as never }),
      (e: unknown) => {
        assert.ok(e instanceof FineTuneConfigError);
        assert.equal(e.problems.length, 6, e.message);
        assert.match(e.message, /base model.*LoRA rank.*learning rate.*schedule.*epochs.*eval split/);
        return true;
      },
    );
  });

  it('constant, linear and cosine decay with warm-up; never zero, always at most the peak', function () {
    const base = { learningRate: 1e-3, warmupSteps: 0 } as const;
    const steps = (s: 'constant' | 'linear' | 'cosine', warmupSteps = 0) =>
      Array.from({ length: 10 }, (_, i) => learningRateAt(i + 1, 10, { ...base, lrSchedule: s, warmupSteps }));
    assert.ok(steps('constant').every((x) => x === 1e-3));
    const lin = steps('linear');
    assert.equal(lin[0], 1e-3);
    assert.ok(Math.abs(lin[9]! - 1e-4) < 1e-12, String(lin[9]));
    assert.ok(lin.every((x, i) => i === 0 || x < lin[i - 1]!));
    const cos = steps('cosine');
    assert.equal(cos[0], 1e-3);
    assert.ok(cos.every((x, i) => x > 0 && (i === 0 || x < cos[i - 1]!)));
    assert.ok(Math.abs(cos[5]! - 0.5e-3) < 1e-12, 'cosine is halfway at the middle step');
    const warm = steps('linear', 3);
    assert.deepEqual(
      warm.slice(0, 4).map((x) => +x.toExponential(6)),
      [2.5e-4, 5e-4, 7.5e-4, 1e-3],
    );
    assert.ok(warm.every((x) => x > 0 && x <= 1e-3));
  });
});
