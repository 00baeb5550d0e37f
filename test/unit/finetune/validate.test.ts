/**
 * The check before a fine-tune: the dataset linter's rules plus what would fail on MinT or train
 * on nothing, refused with the reason (and the line, where there is one).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { validateForFineTune, validateForFineTuneAsync } from '../../../src/finetune/validate';
import { chatRows, qwen3, toJsonl } from './support';

describe('finetune validation', function () {
  it('passes a clean SFT chat file and returns its rows, lines and sha256', function () {
    const rows = chatRows(40);
    const text = toJsonl(rows);
    const v = validateForFineTune(text, { contextLength: 32768 });
    assert.deepEqual(v.problems, []);
    assert.equal(v.ok, true);
    assert.equal(v.format, 'sft-messages');
    assert.equal(v.trainableRows, 40);
    assert.deepEqual(v.rows, rows);
    assert.deepEqual(
      v.lines,
      rows.map((_, i) => i),
    );
    assert.equal(v.sha256, createHash('sha256').update(text).digest('hex'));
  });

  it('passes prompt/completion rows (a field family of the linter)', function () {
    const text = toJsonl(Array.from({ length: 10 }, (_, i) => ({ prompt: `What is ${i} + 1?`, completion: `${i + 1}` })));
    const v = validateForFineTune(text, { batchSize: 4 });
    assert.deepEqual(v.problems, []);
    assert.equal(v.format, 'sft-fields');
  });

  it('refuses a DPO file, saying it is preference data', function () {
    const text = toJsonl(Array.from({ length: 10 }, (_, i) => ({ prompt: `Q${i}`, chosen: 'good', rejected: 'bad' })));
    const v = validateForFineTune(text);
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /This file is DPO \{prompt, chosen, rejected\}, not supervised fine-tuning data.*DPO recipe/);
  });

  it('refuses RL math rows and files with no known format', function () {
    const rl = validateForFineTune(
      toJsonl(Array.from({ length: 10 }, (_, i) => ({ id: `${i}`, question: `${i}+1?`, answer: `${i + 1}`, source: 'x' }))),
    );
    assert.match(rl.problems.join('\n'), /RL math rows/);
    const none = validateForFineTune(toJsonl(Array.from({ length: 10 }, () => ({ text: 'pretraining text' }))));
    assert.match(none.problems.join('\n'), /No row has a training format/);
  });

  it('refuses a file with a JSON error, naming the line', function () {
    const lines = toJsonl(chatRows(12)).split('\n');
    lines[6] = lines[6]!.slice(0, -5); // cut off the row's end
    const v = validateForFineTune(lines.join('\n'));
    assert.equal(v.ok, false);
    assert.match(v.problems[0]!, /linter found 1 error that would fail or mistrain on MinT/);
    assert.match(v.problems[1]!, /^Line 7: /);
    assert.equal(v.rows.length, 11, 'the broken line is not a row');
  });

  it('names only the first few errors, and how many more there are', function () {
    const rows: unknown[] = chatRows(20);
    for (let i = 0; i < 8; i++)
      rows[i] = {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'robot', content: 'a' },
        ],
      };
    const v = validateForFineTune(toJsonl(rows), { maxListed: 3 });
    assert.equal(v.ok, false);
    const at = v.problems.findIndex((x) => x.includes('linter found 16 errors'));
    assert.ok(at >= 0, v.problems.join('\n'));
    assert.deepEqual(
      v.problems.slice(at + 1, at + 5).map((x) => x.slice(0, 8)),
      ['Line 1: ', 'Line 1: ', 'Line 2: ', '… and 13'],
    );
  });

  it('refuses a file where no row has an assistant reply', function () {
    const text = toJsonl(Array.from({ length: 10 }, (_, i) => ({ prompt: `Q${i}` })));
    const v = validateForFineTune(text, { batchSize: 2 });
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /no (row has an )?assistant/i);
  });

  it('refuses rows with tool calls, which this path cannot render yet, naming the lines', function () {
    const rows: unknown[] = chatRows(12);
    rows[3] = {
      messages: [
        { role: 'user', content: 'weather in Oslo?' },
        { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
        { role: 'tool', content: '5 C' },
        { role: 'assistant', content: 'It is 5 C in Oslo.' },
      ],
    };
    const v = validateForFineTune(toJsonl(rows));
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /tool calls \(`tool_calls`\) yet \(line 4\)/);
  });

  it('refuses rows over the context, estimated or measured with the tokenizer', async function () {
    const rows: unknown[] = chatRows(12);
    rows[5] = {
      messages: [
        { role: 'user', content: 'word '.repeat(400) },
        { role: 'assistant', content: 'ok' },
      ],
    };
    const est = validateForFineTune(toJsonl(rows), { contextLength: 256 });
    assert.match(est.problems.join('\n'), /1 row is longer than the model's 256-token context \(estimated.*line 6\. MinT rejects/);
    const measured = validateForFineTune(toJsonl(rows), { contextLength: 256, tokenizer: await qwen3() });
    assert.match(measured.problems.join('\n'), /1 row is longer than the model's 256-token context with the model's tokenizer.*line 6\./);
    assert.equal(validateForFineTune(toJsonl(rows), { contextLength: 4096, tokenizer: await qwen3() }).ok, true);
  });

  it('refuses fewer trainable rows than one batch, counting the eval split', function () {
    const text = toJsonl(chatRows(10));
    assert.equal(validateForFineTune(text, { batchSize: 8 }).ok, true);
    const v = validateForFineTune(text, { batchSize: 8, evalSplit: 0.3 });
    assert.equal(v.ok, false);
    assert.match(v.problems.join('\n'), /Only 7 trainable rows after holding out 3 for eval, fewer than one batch of 8/);
    assert.match(validateForFineTune(text, { batchSize: 16 }).problems.join('\n'), /Only 10 trainable rows, fewer than one batch of 16/);
  });

  it('the async variant measures in slices and says the same; it stops when cancelled', async function () {
    const rows: unknown[] = chatRows(300);
    rows[120] = {
      messages: [
        { role: 'user', content: 'word '.repeat(400) },
        { role: 'assistant', content: 'ok' },
      ],
    };
    const text = toJsonl(rows);
    const tok = await qwen3();
    const sync = validateForFineTune(text, { contextLength: 256, tokenizer: tok });
    const async = await validateForFineTuneAsync(text, { contextLength: 256, tokenizer: tok });
    assert.deepEqual(async, sync);
    assert.match(async.problems.join('\n'), /line 121\./);
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(validateForFineTuneAsync(text, { contextLength: 256, tokenizer: tok, signal: ac.signal }), /abort/i);
  });

  it('refuses an empty file', function () {
    assert.match(validateForFineTune('\n\n').problems.join('\n'), /no rows/);
  });
});
