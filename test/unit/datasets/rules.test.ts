/** Each dataset linter rule, on the formats it applies to, with exact ranges and working fixes. */
import assert from 'node:assert/strict';
import { lintText } from '../../../src/datasets/linter';
import { RULES } from '../../../src/datasets/ruleList';
import type { FormatId } from '../../../src/datasets/types';
import { applyFix, assistant, byRule, chat, covered, doc, lint, one, user } from './support';

const clean: Record<FormatId, Array<Record<string, unknown>>> = {
  'sft-messages': [
    { id: 'a1', messages: [{ role: 'system', content: 'Be brief.' }, user('What is 2+2?'), assistant('4')] },
    {
      id: 'a2',
      messages: [
        user('Weather in Paris?'),
        assistant('', { tool_calls: [{ type: 'function', id: 'c1', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }),
        { role: 'tool', content: '{"temp": 21}', tool_call_id: 'c1', name: 'weather' },
        assistant([
          { type: 'thinking', thinking: 'The tool said 21.' },
          { type: 'text', text: 'It is 21 °C.' },
        ]),
      ],
      tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
    },
    { id: 'a3', messages: [user('Hi'), assistant('Hello!', { reasoning_content: 'Greet back.' })] },
    { id: 'a4', messages: [user('Quote it'), assistant('<think>plan</think>Done.')] },
  ],
  'sft-fields': [
    { prompt: 'Translate: chat', completion: 'cat' },
    { prompt: 'Capital of France?', completion: 'Paris', system: 'Answer in one word.' },
  ],
  'dpo-messages': [{ pair_id: 'p1', messages: [user('Pick one')], chosen: [assistant('A')], rejected: [assistant('B')], group_id: 'g' }],
  'dpo-prompt': [
    { prompt: 'Say hi', chosen: 'Hi!', rejected: 'Go away.' },
    { prompt: [user('Say hi')], chosen: 'Hi!', rejected: 'No.' },
  ],
  'dpo-completions': [{ prompt_conversation: [user('2+2?')], completion_A: [assistant('4')], completion_B: [assistant('5')], label: 'A' }],
  'dpo-comparison': [
    { comparison: { prompt_conversation: [user('2+2?')], completion_A: [assistant('5')], completion_B: [assistant('4')] }, label: 'B' },
  ],
  'rl-math': [
    { id: 'q1', question: 'What is 7*6?', answer: '42', source: 'smoke' },
    { ID: '2024-I-1', Problem: 'Find x.', Answer: 3, Solution: '...' },
  ],
};

describe('datasets: formats', () => {
  for (const [format, rows] of Object.entries(clean) as Array<[FormatId, Array<Record<string, unknown>>]>) {
    it(`recognises ${format} and finds nothing wrong with good rows`, () => {
      const { findings, summary } = lintText(doc(rows));
      assert.deepEqual(findings, []);
      assert.equal(summary.format.format, format);
      assert.equal(summary.format.matching, rows.length);
    });
  }

  it('names the fields a prompt/target file uses', () => {
    const { summary } = lintText(
      doc([
        { instruction: 'Add', input: '1 2', output: '3' },
        { instruction: 'Sub', input: '', output: '1' },
        { instruction: 'Mul', input: '2 3', output: '6' },
      ]),
    );
    assert.equal(summary.format.format, 'sft-fields');
    assert.equal(summary.format.label, 'SFT prompt/target fields (input+instruction → output)');
  });

  it('lets the four DPO shapes share a file (chat-dpo reads all of them) and RL rows sit with prompt/target rows', () => {
    const dpo = [...clean['dpo-prompt'], ...clean['dpo-messages'], ...clean['dpo-completions'], ...clean['dpo-comparison']];
    assert.deepEqual(lintText(doc(dpo)).findings, []);
    assert.deepEqual(lintText(doc([...clean['sft-fields'], ...clean['rl-math']])).findings, []);
  });

  it('every rule id has an entry in RULES', () => {
    for (const [id, r] of Object.entries(RULES)) assert.ok(r.about.length > 10, id);
  });
});

describe('datasets: rules', () => {
  it('json-syntax: the offending character, on its line, with a fix', () => {
    const { lines, findings, text } = lint([chat(user('a'), assistant('b')), '{"messages": [1, 2,]}']);
    const f = one(findings, 'json-syntax');
    assert.equal(f.line, 1);
    assert.equal(f.range.start.character, lines[1]!.indexOf(']'));
    assert.equal(covered(lines, f), ']');
    assert.ok(f.fix);
    assert.doesNotThrow(() => JSON.parse(applyFix(text, f.fix!).split('\n')[1]!));
  });

  it('row-shape: rows that are JSON but not objects', () => {
    const { findings } = lint([chat(user('a'), assistant('b')), '[1, 2]', '"text"']);
    const hits = byRule(findings, 'row-shape');
    assert.deepEqual(
      hits.map((f) => f.line),
      [1, 2],
    );
    assert.match(hits[0]!.message, /one element per line/);
  });

  it('unknown-format: no row has a known shape; ShareGPT gets named', () => {
    const { findings } = lint([{ conversations: [{ from: 'human', value: 'hi' }] }, { foo: 1 }]);
    const hits = byRule(findings, 'unknown-format');
    assert.equal(hits.length, 2);
    assert.match(hits[0]!.message, /ShareGPT/);
    assert.match(hits[1]!.message, /`foo`/);
    assert.equal(hits[0]!.severity, 'warning');
  });

  it('format-mismatch: a row of another format than the file', () => {
    const { findings } = lint([...clean['sft-messages'], clean['dpo-prompt'][0]!]);
    const f = one(findings, 'format-mismatch');
    assert.equal(f.line, 4);
    assert.match(f.message, /DPO \{prompt, chosen, rejected\}.*SFT chat \(messages\)/);
  });

  it('missing-field: rows without the fields of the file format, and messages without role or content', () => {
    const { findings, lines } = lint([
      ...clean['sft-messages'],
      { text: 'just text' },
      chat({ content: 'no role' }, { role: 'assistant' }),
    ]);
    const hits = byRule(findings, 'missing-field');
    assert.equal(hits.length, 3);
    assert.match(hits[0]!.message, /needs a `messages` list.*Plain `text` rows/);
    assert.equal(hits[1]!.path, 'messages[0]');
    assert.equal(covered(lines, hits[1]!), '{"content":"no role"}');
    assert.match(hits[2]!.message, /no `content`/);
  });

  it('unknown-field: warnings inside messages, notes at the top level', () => {
    const { findings, lines } = lint([{ messages: [user('a'), { ...assistant('b'), weight: 1 }], category: 'x' }]);
    const hits = byRule(findings, 'unknown-field');
    assert.equal(hits.length, 2);
    const w = hits.find((f) => f.path === 'messages[1].weight')!;
    assert.equal(w.severity, 'warning');
    assert.equal(covered(lines, w), '"weight"');
    assert.match(w.message, /trainable/);
    const i = hits.find((f) => f.path === 'category')!;
    assert.equal(i.severity, 'info');
  });

  it('content-shape: wrong types, and list content in DPO rows', () => {
    const { findings } = lint([chat(user(42), assistant('b')), { messages: 'hi' }]);
    const hits = byRule(findings, 'content-shape');
    assert.deepEqual(
      hits.map((f) => f.path),
      ['messages[0].content', 'messages'],
    );
    const dpo = lint([{ prompt: 'p', chosen: [assistant([{ type: 'text', text: 'x' }])], rejected: 'y' }]).findings;
    const d = one(dpo, 'content-shape');
    assert.equal(d.severity, 'warning');
    assert.match(d.message, /str\(/);
  });

  it('empty-role and unknown-role, with a fix for known synonyms', () => {
    const { findings, lines, text } = lint([
      chat(
        { role: ' ', content: 'x' },
        { role: 'gpt', content: 'y' },
        { role: 'narrator', content: 'z' },
        { role: 'developer', content: 'w' },
        assistant('ok'),
      ),
    ]);
    const empty = one(findings, 'empty-role');
    assert.equal(covered(lines, empty), '" "');
    const unknown = byRule(findings, 'unknown-role');
    assert.equal(unknown.length, 3);
    const [gpt, narrator, developer] = unknown;
    assert.equal(gpt!.severity, 'error');
    assert.equal(covered(lines, gpt!), '"gpt"');
    assert.equal(gpt!.fix!.title, 'Change the role to "assistant"');
    assert.match(applyFix(text, gpt!.fix!), /"role":"assistant","content":"y"/);
    assert.equal(narrator!.fix, undefined);
    assert.equal(developer!.severity, 'warning');
  });

  it('empty-content: a warning in SFT messages, an error in DPO rows', () => {
    const sft = one(lint([chat(user('   '), assistant('b'))]).findings, 'empty-content');
    assert.equal(sft.severity, 'warning');
    assert.equal(sft.path, 'messages[0].content');
    const dpo = one(lint([{ prompt: 'p', chosen: '', rejected: 'r' }]).findings, 'empty-content');
    assert.equal(dpo.severity, 'error');
    assert.equal(dpo.path, 'chosen');
  });

  it('no-assistant: chat rows without an assistant turn, prompt rows without a target', () => {
    const a = one(lint([chat(user('a'), user('b'))]).findings, 'no-assistant');
    assert.equal(a.path, 'messages');
    const { findings, lines } = lint([{ prompt: 'p', output: ' ' }]);
    const b = one(findings, 'no-assistant');
    assert.equal(b.path, 'output');
    assert.equal(covered(lines, b), '" "');
  });

  it('shadowed-field: the scaffold reads input before instruction', () => {
    const { findings, lines } = lint([{ input: 'some text', instruction: 'Summarise', output: 'sum' }]);
    const f = one(findings, 'shadowed-field');
    assert.equal(covered(lines, f), '"instruction"');
    assert.match(f.message, /`instruction` is ignored/);
  });

  it('label-value: A/B, Tie as a warning, lower case with a fix, anything else an error', () => {
    const base = { prompt_conversation: [user('q')], completion_A: 'a', completion_B: 'b' };
    const { findings, text, lines } = lint([
      { ...base, label: 'C' },
      { ...base, label: 'Tie' },
      { ...base, label: 'a' },
    ]);
    const hits = byRule(findings, 'label-value');
    assert.deepEqual(
      hits.map((f) => [f.line, f.severity]),
      [
        [0, 'error'],
        [1, 'warning'],
        [2, 'warning'],
      ],
    );
    assert.equal(covered(lines, hits[0]!), '"C"');
    assert.match(applyFix(text, hits[2]!.fix!).split('\n')[2]!, /"label":"A"/);
    const missing = one(lint([base]).findings, 'missing-field');
    assert.equal(missing.severity, 'warning');
  });

  it('same-chosen-rejected', () => {
    const f = one(lint([{ prompt: 'p', chosen: 'same ', rejected: 'same' }]).findings, 'same-chosen-rejected');
    assert.equal(f.path, 'rejected');
  });

  it('reasoning-source: reasoning_content beside a thinking part or a <think> block', () => {
    const { findings, lines } = lint([
      chat(
        user('q'),
        assistant(
          [
            { type: 'thinking', thinking: 't' },
            { type: 'text', text: 'a' },
          ],
          { reasoning_content: 'r' },
        ),
      ),
      chat(user('q'), assistant('<think>t</think>a', { reasoning_content: 'r' })),
    ]);
    const hits = byRule(findings, 'reasoning-source');
    assert.equal(hits.length, 2);
    assert.equal(covered(lines, hits[0]!), '"reasoning_content":"r"');
    assert.match(hits[0]!.message, /thinking part/);
    assert.match(hits[1]!.message, /<think>…<\/think> block/);
  });

  it('stray-think-close: removed by the fix, in any role', () => {
    const { findings, lines, text } = lint([chat(user('hello </think> world'), assistant('</think>\n\nThe answer.'))]);
    const hits = byRule(findings, 'stray-think-close');
    assert.equal(hits.length, 2);
    for (const f of hits) assert.equal(covered(lines, f), '<\\/think>'.replace('\\', ''));
    let fixed = text;
    for (const f of [...hits].reverse()) fixed = applyFix(fixed, f.fix!);
    const row = JSON.parse(fixed) as { messages: Array<{ content: string }> };
    assert.equal(row.messages[0]!.content, 'hello  world');
    assert.equal(row.messages[1]!.content, 'The answer.');
    assert.deepEqual(lintText(fixed).findings, []);
  });

  it('stray-think-close: an assistant `reasoning</think>answer` is split into a thinking part by the fix', () => {
    const { findings, text } = lint([chat(user('q'), assistant('Let me think.\n</think>\n\nIt is 4.'))]);
    const f = one(findings, 'stray-think-close');
    assert.match(f.message, /serving leftover/);
    const fixed = applyFix(text, f.fix!);
    assert.deepEqual((JSON.parse(fixed) as { messages: unknown[] }).messages[1], {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Let me think.' },
        { type: 'text', text: 'It is 4.' },
      ],
    });
    assert.deepEqual(lintText(fixed).findings, []);
  });

  it('stray-think-close: a </think> beside reasoning_content is just stray', () => {
    const f = one(lint([chat(user('q'), assistant('Reason</think>Answer', { reasoning_content: 'r' }))]).findings, 'stray-think-close');
    assert.equal(f.fix!.title, 'Remove the stray </think>');
  });

  it('stray-think-close: the range follows escapes in the raw JSON', () => {
    const line = '{"messages":[{"role":"user","content":"a\\u00e9\\"q\\" <\\/think> b"},{"role":"assistant","content":"x"}]}';
    const { findings, lines } = lint([line]);
    const f = one(findings, 'stray-think-close');
    assert.equal(covered(lines, f), '<\\/think>');
  });

  it('leftover-empty-answer: nothing after </think>', () => {
    const f = one(lint([chat(user('q'), assistant('All reasoning </think>  '))]).findings, 'leftover-empty-answer');
    assert.equal(f.severity, 'warning');
  });

  it('literal-think-tags: think tags in a user turn', () => {
    const { findings, lines } = lint([chat(user('What does <think>x</think> do?'), assistant('It marks reasoning.'))]);
    const f = one(findings, 'literal-think-tags');
    assert.equal(covered(lines, f), '<think>');
  });

  it('protocol-injection: hand-written control tokens, all removed by the fix', () => {
    const { findings, lines, text } = lint([chat(user('hi<|im_end|>\n<|im_start|>assistant'), assistant('ok'))]);
    const f = one(findings, 'protocol-injection');
    assert.equal(covered(lines, f), '<|im_end|>');
    assert.equal(f.fix!.edits.length, 2);
    assert.equal((JSON.parse(applyFix(text, f.fix!)) as { messages: Array<{ content: string }> }).messages[0]!.content, 'hi\nassistant');
    assert.equal(one(lint([{ prompt: '[gMASK]<sop>q', completion: 'a' }]).findings, 'protocol-injection').path, 'prompt');
  });

  it('thinking-role: reasoning outside assistant turns', () => {
    const { findings } = lint([
      chat(user([{ type: 'thinking', thinking: 't' }]), { role: 'system', content: 's', reasoning_content: 'r' }, assistant('a')),
    ]);
    assert.deepEqual(
      byRule(findings, 'thinking-role').map((f) => f.path),
      ['messages[0].content[0].type', 'messages[1].reasoning_content'],
    );
  });

  it('content-part-type: unknown and missing part types', () => {
    const { findings } = lint([chat(user([{ type: 'video_frame', data: 'x' }, { text: 'no type' }]), assistant('a'))]);
    assert.deepEqual(
      byRule(findings, 'content-part-type').map((f) => f.path),
      ['messages[0].content[0].type', 'messages[0].content[1]'],
    );
  });

  it('tool-call-shape, tool-output-shape, tool-reference-shape, tools-shape', () => {
    const { findings } = lint([
      {
        messages: [
          user('q'),
          assistant('', { tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{not json' } }, { type: 'function' }] }),
          { role: 'tool', content: [{ output: 5 }] },
          { role: 'tool', content: [{ type: 'tool_reference' }] },
          assistant('done'),
        ],
        tools: [],
      },
    ]);
    assert.deepEqual(
      byRule(findings, 'tool-call-shape').map((f) => f.path),
      ['messages[1].tool_calls[0].function.arguments', 'messages[1].tool_calls[1]'],
    );
    assert.equal(one(findings, 'tool-output-shape').path, 'messages[2].content[0].output');
    assert.equal(one(findings, 'tool-reference-shape').path, 'messages[3].content[0]');
    assert.equal(one(findings, 'tools-shape').path, 'tools');
  });

  it('rl-math: a question needs an answer', () => {
    const { findings } = lint([clean['rl-math'][0]!, { id: 'q2', question: 'Why?', answer: '' }]);
    const f = one(findings, 'empty-content');
    assert.equal(f.line, 1);
    assert.equal(f.path, 'answer');
  });

  it('dpo-comparison: missing parts of the comparison', () => {
    const f = one(lint([{ comparison: { prompt_conversation: [user('q')], completion_A: 'a' }, label: 'A' }]).findings, 'missing-field');
    assert.equal(f.path, 'comparison');
    assert.match(f.message, /completion_B/);
  });

  it('a preference pair with a side missing is still a DPO row, missing that side', () => {
    const { findings, summary } = lintText(
      doc([
        { prompt: 'p', chosen: 'c', rejected: 'r' },
        { prompt: 'p', chosen: 'c' },
        { prompt_conversation: [user('q')], completion_A: 'a', label: 'A' },
      ]),
    );
    assert.equal(summary.format.format, 'dpo-prompt');
    assert.equal(byRule(findings, 'format-mismatch').length, 0);
    assert.deepEqual(
      byRule(findings, 'missing-field').map((f) => [f.line, f.message]),
      [
        [1, 'No `rejected`: a preference row needs its rejected completion.'],
        [2, 'This row has no `completion_B`: a comparison needs prompt_conversation, completion_A and completion_B.'],
      ],
    );
  });

  it('findings on one row come in column order', () => {
    const { findings } = lint([chat({ role: 'gpt', content: 'x' }, { role: 'narrator', content: '\uFFFD' }, assistant('a'))]);
    const cols = findings.map((f) => f.range.start.character);
    assert.deepEqual(
      cols,
      [...cols].sort((a, b) => a - b),
    );
  });
});
