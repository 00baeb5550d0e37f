/** Train/eval overlap: normalised row text, hashed; findings on the eval file name the train lines. */
import assert from 'node:assert/strict';
import { DatasetLinter } from '../../../src/datasets/linter';
import { findOverlap, hash53, overlapIndexOfText, overlapText } from '../../../src/datasets/overlap';
import { assistant, chat, doc, user } from './support';

describe('datasets: train/eval overlap', () => {
  const train = doc([
    { id: 't0', messages: [{ role: 'system', content: 'Be brief.' }, user('What is 2+2?'), assistant('4')] },
    { id: 't1', messages: [user('Capital of France?'), assistant('Paris')] },
    { id: 't2', messages: [user('Capital of France?'), assistant('Paris.')] },
    'not json',
  ]);
  const evalText = doc([
    // Same user/assistant text: whitespace and the system prompt aside.
    { id: 'e0', messages: [user('  What is   2+2? '), assistant('4\n')] },
    { id: 'e1', messages: [user('Capital of Spain?'), assistant('Madrid')] },
    // Same question, other answer: a prompt overlap only.
    { id: 'e2', messages: [user('Capital of France?'), assistant('It is Paris.')] },
  ]);

  it('normalises to user and assistant text, whitespace collapsed', () => {
    const a = overlapText({ messages: [user(' a  b '), assistant('c')] }, 'sft-messages', 'conversation');
    const b = overlapText({ messages: [{ role: 'system', content: 'x' }, user('a b'), assistant(' c')] }, 'sft-messages', 'conversation');
    assert.equal(a, b);
    assert.notEqual(overlapText({ prompt: 'a b', completion: 'c' }, 'sft-fields', 'prompt'), undefined);
    assert.equal(
      overlapText({ prompt: 'a b', completion: 'c' }, 'sft-fields', 'prompt'),
      overlapText({ messages: [user('a  b'), assistant('other')] }, 'sft-messages', 'prompt'),
    );
  });

  it('finds rows present in both files, by conversation or by prompt', () => {
    const byConv = findOverlap(overlapIndexOfText(train), overlapIndexOfText(evalText));
    assert.deepEqual(byConv, [{ aLines: [0], bLines: [0] }]);
    const byPrompt = findOverlap(overlapIndexOfText(train, 'prompt'), overlapIndexOfText(evalText, 'prompt'));
    assert.deepEqual(byPrompt, [
      { aLines: [0], bLines: [0] },
      { aLines: [1, 2], bLines: [2] },
    ]);
  });

  it('gives findings on the eval file that name the train lines; the linter index matches the text index', () => {
    const trainLinter = new DatasetLinter();
    trainLinter.setText(train);
    assert.deepEqual(trainLinter.overlapIndex('prompt'), overlapIndexOfText(train, 'prompt'));
    const evalLinter = new DatasetLinter();
    evalLinter.setText(evalText);
    const findings = evalLinter.overlapFindings(trainLinter.overlapIndex('prompt'), 'train.jsonl', 'prompt');
    assert.deepEqual(
      findings.map((f) => [f.rule, f.line, f.severity]),
      [
        ['train-eval-overlap', 0, 'warning'],
        ['train-eval-overlap', 2, 'warning'],
      ],
    );
    assert.match(findings[1]!.message, /train\.jsonl lines 2, 3 \(the same user text/);
    assert.deepEqual(findings[0]!.range, evalLinter.rowRange(0));
  });

  it('keeps keys up to date as the eval file is edited', () => {
    const trainIndex = overlapIndexOfText(train);
    const evalLinter = new DatasetLinter();
    evalLinter.setText(evalText);
    assert.equal(evalLinter.overlapFindings(trainIndex, 'train.jsonl').length, 1);
    evalLinter.replaceLines(1, 1, [JSON.stringify(chat(user('Capital of France?'), assistant('Paris')))]);
    assert.deepEqual(
      evalLinter.overlapFindings(trainIndex, 'train.jsonl').map((f) => f.line),
      [0, 1],
    );
    evalLinter.replaceLines(0, 1, [JSON.stringify(chat(user('new'), assistant('row')))]);
    assert.deepEqual(
      evalLinter.overlapFindings(trainIndex, 'train.jsonl').map((f) => f.line),
      [1],
    );
  });

  it('compares DPO rows by prompt and chosen completion', () => {
    const a = overlapIndexOfText(doc([{ prompt: 'q', chosen: 'good', rejected: 'bad' }]));
    const b = overlapIndexOfText(doc([{ messages: [user('q')], chosen: [assistant('good')], rejected: [assistant('worse')] }]));
    assert.equal(findOverlap(a, b).length, 1);
  });

  it('hashes 100,000 rows of two files fast, with no false hits', () => {
    const rows = (tag: string) =>
      Array.from({ length: 100_000 }, (_, i) => JSON.stringify(chat(user(`${tag} question ${i}`), assistant(`answer ${i}`)))).join('\n');
    const t0 = performance.now();
    const hits = findOverlap(overlapIndexOfText(rows('train')), overlapIndexOfText(rows('eval')));
    const ms = performance.now() - t0;
    assert.deepEqual(hits, []);
    assert.ok(ms < 5000, `${ms.toFixed(0)} ms`);
    assert.notEqual(hash53('a'), hash53('b'));
    assert.ok(Number.isSafeInteger(hash53('x'.repeat(1000))));
  });
});
