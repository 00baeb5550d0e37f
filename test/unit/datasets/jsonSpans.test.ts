/** The position-aware JSON scanner: same verdict as JSON.parse, exact error offsets, value spans. */
import assert from 'node:assert/strict';
import { formatPath, nodeAt, rawOffsetInString, scanJson } from '../../../src/datasets/jsonSpans';

function errorAt(text: string): { offset: number; length: number; message: string; fix?: unknown } {
  const r = scanJson(text);
  assert.ok(r.error, `expected an error for ${JSON.stringify(text)}`);
  return r.error;
}

describe('datasets: JSON scanner', () => {
  it('accepts what JSON.parse accepts, and the spans cover the values', () => {
    const text = ' {"a": [1, -2.5e+3, true, null, "x\\"y"], "b": {"c": "\\u00e9"}, "": 0} ';
    const r = scanJson(text);
    assert.ok(r.root);
    assert.equal(text.slice(r.root.start, r.root.end), text.trim());
    const a = nodeAt(r.root, ['a'])!;
    assert.equal(text.slice(a.member!.keyStart, a.member!.keyEnd), '"a"');
    assert.equal(text.slice(a.node.start, a.node.end), '[1, -2.5e+3, true, null, "x\\"y"]');
    assert.equal(text.slice(nodeAt(r.root, ['a', 1])!.node.start, nodeAt(r.root, ['a', 1])!.node.end), '-2.5e+3');
    assert.equal(text.slice(nodeAt(r.root, ['a', 4])!.node.start, nodeAt(r.root, ['a', 4])!.node.end), '"x\\"y"');
    assert.equal(text.slice(nodeAt(r.root, ['b', 'c'])!.node.start, nodeAt(r.root, ['b', 'c'])!.node.end), '"\\u00e9"');
    assert.equal(nodeAt(r.root, [''])!.node.kind, 'number');
    assert.equal(nodeAt(r.root, ['a', 9]), undefined);
    assert.equal(nodeAt(r.root, ['nope']), undefined);
  });

  it('decodes escaped keys and takes the last of duplicate keys, as JSON.parse does', () => {
    const text = '{"k\\u0065y": 1, "key": 2}';
    const r = scanJson(text);
    assert.ok(r.root);
    assert.equal(r.root.members![0]!.key, 'key');
    assert.equal(text.slice(nodeAt(r.root, ['key'])!.node.start, nodeAt(r.root, ['key'])!.node.end), '2');
    assert.equal((JSON.parse(text) as { key: number }).key, 2);
  });

  const cases: Array<[string, string, number, number, RegExp]> = [
    ['trailing comma in an object', '{"a":1,}', 7, 1, /trailing comma/i],
    ['trailing comma in an array', '[1,2,]', 5, 1, /trailing comma/i],
    ['missing comma', '{"a":1 "b":2}', 7, 1, /comma is missing/],
    ['missing colon', '{"a" 1}', 5, 1, /Expected ":"/],
    ['unquoted key', '{a:1}', 1, 1, /need double quotes/],
    ['single-quoted string', '{"a":\'x\'}', 5, 1, /double quotes/],
    ['unterminated string', '{"a":"abc', 9, 0, /never closed/],
    ['line ends inside the object', '{"a":1', 6, 0, /line ends/],
    ['line ends after a key', '{"a"', 4, 0, /line ends/],
    ['raw tab in a string', '{"a":"x\ty"}', 7, 1, /control character/],
    ['bad escape', '{"a":"\\x"}', 7, 1, /not a JSON escape/],
    ['short \\u escape', '{"a":"\\u12"}', 10, 1, /four hex digits/],
    ['leading zero', '{"a":01}', 6, 1, /Expected "," or "}"/],
    ['digit missing after the point', '{"a":1.}', 7, 1, /decimal point/],
    ['exponent without digits', '{"a":1e}', 7, 1, /exponent/],
    ['lone minus', '{"a":-}', 6, 1, /digit must follow/],
    ['leading plus', '{"a":+1}', 5, 1, /cannot start/],
    ['Python True', '{"a":True}', 5, 4, /Python/],
    ['Python None', '{"a":None}', 5, 4, /Python/],
    ['NaN', '{"a":NaN}', 5, 3, /no NaN/],
    ['misspelt literal', '{"a":tru}', 8, 1, /Expected "true"/],
    ['literal cut by the end of line', '{"a":nul', 8, 0, /line ends/],
    ['bare word', '{"a":hello}', 5, 5, /double quotes/],
    ['second value on the line', '{"a":1}{"b":2}', 7, 1, /second JSON value/],
    ['text after the value', '{"a":1} x', 8, 1, /after the end/],
    ['byte order mark', '\ufeff{"a":1}', 0, 1, /byte order mark/],
    ['no-break space between tokens', '{"a":\u00a01}', 5, 1, /no-break space/],
    ['closing bracket mismatch', '{"a":[1}', 7, 1, /"," or "]"/],
    ['only whitespace', '   ', 3, 0, /no JSON value/],
  ];
  for (const [name, text, offset, length, message] of cases) {
    it(`points at the offending character: ${name}`, () => {
      assert.throws(() => JSON.parse(text));
      const e = errorAt(text);
      assert.equal(e.offset, offset, `offset for ${JSON.stringify(text)}: ${e.message}`);
      assert.equal(e.length, length);
      assert.match(e.message, message);
    });
  }

  it("agrees with every position Node's JSON.parse reports", () => {
    const texts = cases.map((c) => c[1]).concat(['{"a":"\\u00e9", "b": [1, 2', '{"x": {"y": [true, false, }]}', '[1 2]']);
    let compared = 0;
    for (const t of texts) {
      try {
        JSON.parse(t);
      } catch (e) {
        const m = /at position (\d+)/.exec((e as Error).message);
        if (!m) continue;
        compared++;
        assert.equal(errorAt(t).offset, Number(m[1]), `${JSON.stringify(t)}: node says ${(e as Error).message}`);
      }
    }
    assert.ok(compared >= 10, `only ${compared} positions to compare`);
  });

  it('offers mechanical fixes that produce valid JSON', () => {
    for (const text of ['{"a":1,}', '{"a":True}', '{"a":"x\ty"}', '{"a":"C:\\dir"}', '{a:1}', '{"a":NaN}']) {
      const e = errorAt(text) as { fix?: { edits: Array<{ start: number; end: number; newText: string }> } };
      assert.ok(e.fix, `no fix for ${text}`);
      let fixed = text;
      for (const ed of [...e.fix.edits].sort((x, y) => y.start - x.start))
        fixed = fixed.slice(0, ed.start) + ed.newText + fixed.slice(ed.end);
      assert.doesNotThrow(() => JSON.parse(fixed), `${text} → ${fixed}`);
    }
  });

  it('gives the same verdict as JSON.parse on thousands of mutated rows', () => {
    const base = [
      '{"messages":[{"role":"user","content":"hi \\"there\\" \\u00e9"},{"role":"assistant","content":"ok","n":-1.5e3}],"id":7,"x":null,"y":[true,false]}',
      '{"prompt":"Q","completion":"A","meta":{"a":[],"b":{}}}',
    ];
    const alphabet = '{}[]",:\\ \t0123456789.-+eEtrufalsn\u00e9x';
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let invalid = 0;
    for (let k = 0; k < 5000; k++) {
      let t = base[k % base.length]!;
      for (let m = 0; m <= rnd(3); m++) {
        const at = rnd(t.length + 1);
        const op = rnd(3);
        const ch = alphabet[rnd(alphabet.length)]!;
        if (op === 0) t = t.slice(0, at) + ch + t.slice(at);
        else if (op === 1) t = t.slice(0, at) + t.slice(at + 1);
        else t = t.slice(0, at) + ch + t.slice(at + 1);
      }
      let ok = true;
      try {
        JSON.parse(t);
      } catch {
        ok = false;
        invalid++;
      }
      const r = scanJson(t);
      assert.equal(!r.error, ok, `verdicts differ on ${JSON.stringify(t)}: ${r.error?.message}`);
      if (r.error)
        assert.ok(r.error.offset >= 0 && r.error.offset + r.error.length <= t.length, `range outside the text for ${JSON.stringify(t)}`);
    }
    assert.ok(invalid > 1000);
  });

  it('handles very deep nesting without recursion', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const r = scanJson(deep);
    assert.ok(r.root);
    assert.equal(r.root.end, deep.length);
    const e = errorAt('['.repeat(200_000));
    assert.equal(e.offset, 200_000);
  });

  it('maps decoded string indexes to raw offsets through escapes and surrogate pairs', () => {
    const text = '{"c":"a\\n\\u00e9😀<\\/think>"}';
    const node = nodeAt(scanJson(text).root!, ['c'])!.node;
    const decoded = JSON.parse(text).c as string;
    const i = decoded.indexOf('</think>');
    assert.equal(i, 5);
    const s = rawOffsetInString(text, node, i);
    const e = rawOffsetInString(text, node, i + '</think>'.length);
    assert.equal(text.slice(s, e), '<\\/think>');
    assert.equal(rawOffsetInString(text, node, 0), node.start + 1);
    assert.equal(rawOffsetInString(text, node, decoded.length), node.end - 1);
  });

  it('writes paths the way the findings show them', () => {
    assert.equal(formatPath(['messages', 2, 'content', 0, 'text']), 'messages[2].content[0].text');
    assert.equal(formatPath(['a b', 0]), '["a b"][0]');
    assert.equal(formatPath([]), '');
  });
});
