/** The incremental linter: file-level rules, edits equal to a full re-lint, caps, huge rows, bad UTF-8, lengths. */
import assert from 'node:assert/strict';
import { DatasetLinter, lintText } from '../../../src/datasets/linter';
import { summaryLines } from '../../../src/datasets/summaryText';
import type { Finding, MeasureFn, TextChange } from '../../../src/datasets/types';
import { assistant, byRule, chat, covered, doc, lint, one, user } from './support';

function row(id: string, q = 'question', a = 'answer'): Record<string, unknown> {
  return { id, messages: [user(q), assistant(a)] };
}

/** Offset of a position in a \n-separated text. */
function offsetOf(text: string, line: number, character: number): number {
  let off = 0;
  for (let l = 0; l < line; l++) off = text.indexOf('\n', off) + 1;
  return off + character;
}

function positionOf(text: string, offset: number): { line: number; character: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

function applyChange(text: string, ch: TextChange): string {
  const s = offsetOf(text, ch.range.start.line, ch.range.start.character);
  const e = offsetOf(text, ch.range.end.line, ch.range.end.character);
  return text.slice(0, s) + ch.text + text.slice(e);
}

describe('datasets: linter', () => {
  describe('duplicate ids', () => {
    it('flags the second and later rows, on the id value, naming the first line', () => {
      const { findings, lines } = lint([row('a'), row('b'), row('a'), row('a')]);
      const dups = byRule(findings, 'duplicate-id');
      assert.deepEqual(
        dups.map((f) => f.line),
        [2, 3],
      );
      assert.equal(covered(lines, dups[0]!), '"a"');
      assert.match(dups[0]!.message, /already used on line 1/);
    });

    it('reads ids the way mint-cookbook does: first non-empty of id, example_id, …; "1" and 1 are the same', () => {
      const { findings } = lint([
        { prompt: 'p', completion: 'c', id: 1 },
        { prompt: 'p', completion: 'c', id: '', example_id: '1' },
        { prompt: 'p', completion: 'c', example_id: 2 },
      ]);
      const f = one(findings, 'duplicate-id');
      assert.equal(f.line, 1);
      assert.equal(f.path, 'example_id');
    });

    it('un-duplicates a row when the other is removed or renamed', () => {
      const linter = new DatasetLinter();
      linter.setText(doc([row('a'), row('b'), row('a')]));
      assert.equal(byRule(linter.findings(), 'duplicate-id').length, 1);
      // Delete line 0: line 2 (now 1) is the only "a".
      let out = linter.update([{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
      assert.equal(byRule(out, 'duplicate-id').length, 0);
      // Rename line 0 ("b") to "a": the later one is the duplicate again.
      const l0 = linter.lineText(0)!;
      const at = l0.indexOf('"b"') + 1;
      out = linter.update([{ range: { start: { line: 0, character: at }, end: { line: 0, character: at + 1 } }, text: 'a' }]);
      const d = byRule(out, 'duplicate-id');
      assert.deepEqual(
        d.map((f) => f.line),
        [1],
      );
      assert.match(d[0]!.message, /line 1\b/);
    });
  });

  describe('incremental updates', () => {
    it('equal a full re-lint after random edit sequences', function () {
      this.timeout(60_000);
      const snippets = [
        JSON.stringify(row('x')),
        JSON.stringify(row('dup')),
        JSON.stringify({ prompt: 'p', chosen: 'c', rejected: 'r' }),
        JSON.stringify(chat(user('q'), assistant('a</think>b'))),
        '{"messages": [',
        '}',
        '\n',
        '\n\n',
        'x',
        '"',
        ',',
        '\uFFFD',
        JSON.stringify(row('dup')) + '\n' + JSON.stringify(row('dup')),
        '',
      ];
      let seed = 99;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      for (let trial = 0; trial < 12; trial++) {
        const rows = [];
        for (let i = 0; i < 30; i++)
          rows.push(
            i % 7 === 3 ? { prompt: 'p', completion: `c${i}`, id: `i${i % 5}` } : row(`r${i % 11}`, `q${i}`, i % 5 ? 'a' : '</think>a'),
          );
        let text = doc(rows) + '\n';
        const linter = new DatasetLinter({ maxFindings: 40, contextLength: 30 });
        linter.setText(text);
        for (let step = 0; step < 60; step++) {
          const a = rnd(text.length + 1);
          const b = Math.min(text.length, a + (rnd(4) === 0 ? rnd(400) : rnd(6)));
          const change: TextChange = {
            range: { start: positionOf(text, a), end: positionOf(text, b) },
            text: snippets[rnd(snippets.length)]!,
          };
          const got = linter.update([change]);
          text = applyChange(text, change);
          const want = lintText(text, { maxFindings: 40, contextLength: 30 });
          assert.deepEqual(got, want.findings, `trial ${trial} step ${step}`);
          assert.deepEqual(linter.summary(), want.summary, `summary: trial ${trial} step ${step}`);
        }
        assert.equal(linter.lineCount, text.split('\n').length);
      }
    });

    it('applies several changes of one event in order, including ones that join and split lines', () => {
      const text = doc([row('a'), row('b'), row('c')]);
      const linter = new DatasetLinter();
      linter.setText(text);
      const l1 = text.split('\n')[1]!;
      const changes: TextChange[] = [
        // Later change first, as VS Code orders them: break row c in two, then join rows a and b.
        { range: { start: { line: 2, character: 5 }, end: { line: 2, character: 5 } }, text: '\n' },
        { range: { start: { line: 0, character: text.split('\n')[0]!.length }, end: { line: 1, character: 0 } }, text: '' },
      ];
      const got = linter.update(changes);
      let t = text;
      for (const c of changes) t = applyChange(t, c);
      assert.deepEqual(got, lintText(t).findings);
      assert.equal(linter.lineText(0), text.split('\n')[0] + l1);
      assert.equal(linter.lineCount, 3);
    });

    it('replaceLines is the line-based form of the same', () => {
      const linter = new DatasetLinter();
      linter.setText(doc([row('a'), row('b')]));
      const out = linter.replaceLines(1, 1, [JSON.stringify(row('a')), '{"bad": ']);
      assert.deepEqual(out, lintText(doc([row('a'), row('a'), '{"bad": '])).findings);
    });

    it('handles CRLF documents: positions exclude the line break', () => {
      const text = [JSON.stringify(row('a')), '{"a":1,}', ''].join('\r\n');
      const { findings } = lintText(text);
      const f = one(findings, 'json-syntax');
      assert.equal(f.line, 1);
      assert.equal(f.range.start.character, 7);
    });

    it('re-detects the format when the first rows change', () => {
      const linter = new DatasetLinter();
      linter.setText(doc([{ prompt: 'p', completion: 'c' }, row('a'), row('b')]));
      assert.equal(linter.format().format, 'sft-messages');
      assert.equal(one(linter.findings(), 'format-mismatch').line, 0);
      linter.replaceLines(1, 2, [JSON.stringify({ prompt: 'p', completion: 'd' }), JSON.stringify({ prompt: 'p', completion: 'e' })]);
      assert.equal(linter.format().format, 'sft-fields');
      assert.equal(byRule(linter.findings(), 'format-mismatch').length, 0);
    });

    it('a forced format overrides detection', () => {
      const linter = new DatasetLinter({ format: 'dpo-prompt' });
      linter.setText(doc([row('a'), { prompt: 'p', chosen: 'c', rejected: 'r' }]));
      const f = one(linter.findings(), 'format-mismatch');
      assert.equal(f.line, 0);
      assert.equal(linter.format().forced, true);
      linter.setFormat(undefined);
      assert.equal(linter.format().forced, false);
    });
  });

  describe('caps and big inputs', () => {
    it('keeps 20 findings per row and says how many more there are', () => {
      const messages = [];
      for (let i = 0; i < 50; i++) messages.push({ role: `r${i}`, content: 'x' });
      messages.push(assistant('a'));
      const { findings } = lint([{ messages }]);
      assert.equal(byRule(findings, 'unknown-role').length, 20);
      const more = one(findings, 'too-many-findings');
      assert.match(more.message, /^30 more findings on this row/);
    });

    it('lists at most maxFindings per file, then one summary finding', () => {
      const rows = [];
      for (let i = 0; i < 500; i++) rows.push('{"a":');
      const { findings, summary } = lintText(doc(rows), { maxFindings: 100 });
      assert.equal(findings.length, 101);
      const last = findings[100]!;
      assert.equal(last.rule, 'too-many-findings');
      assert.equal(last.line, 100);
      assert.match(last.message, /^400 more findings from line 101/);
      assert.equal(summary.counts.error, 500);
    });

    it('lints a 5 MB row in bounded time', () => {
      const big = JSON.stringify(chat(user('Summarise.'), assistant('word '.repeat(1_000_000) + '</think>')));
      const t0 = performance.now();
      const { findings, summary } = lintText(big, { contextLength: 32_768 });
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
      assert.equal(one(findings, 'leftover-empty-answer').range.start.character, big.indexOf('</think>'));
      assert.equal(one(findings, 'over-context').severity, 'warning');
      assert.ok(summary.lengths!.max > 1_000_000);
    });

    it('a 5 MB row with 300,000 stray tags stays linear', () => {
      const big = JSON.stringify(chat(user('q'), assistant('a</think>b '.repeat(300_000), { reasoning_content: 'r' })));
      const t0 = performance.now();
      const { findings } = lintText(big);
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
      assert.equal(byRule(findings, 'stray-think-close').length, 20);
      assert.match(one(findings, 'too-many-findings').message, /^299,980 more findings|^299980 more findings/);
    });

    it('a 5 MB line of broken JSON is one finding at the end', () => {
      const big = '{"messages":[{"role":"user","content":"' + 'x'.repeat(5_000_000);
      const f = one(lintText(big).findings, 'json-syntax');
      assert.equal(f.range.start.character, big.length);
      assert.match(f.message, /never closed/);
    });
  });

  describe('invalid UTF-8', () => {
    it('flags the replacement characters a decoder leaves, at the exact UTF-16 position', () => {
      const good = Buffer.from(JSON.stringify(chat(user('héllo 😀 wörld'), assistant('ok'))), 'utf8');
      // Corrupt the byte that starts "wörld"'s ö (0xC3 0xB6 → 0xC3 0x28 is invalid).
      const at = good.indexOf(Buffer.from('ö'));
      const bad = Buffer.from(good);
      bad[at + 1] = 0x28;
      const text = new TextDecoder('utf-8').decode(bad);
      const { findings, lines } = lint([text]);
      const f = one(findings, 'invalid-utf8');
      assert.equal(f.range.start.character, text.indexOf('\uFFFD'));
      assert.equal(covered(lines, f), '\uFFFD');
      assert.match(f.message, /not valid UTF-8/);
    });

    it('still flags them when the row is not valid JSON', () => {
      const { findings } = lint(['{"a": "\uFFFD']);
      assert.equal(byRule(findings, 'invalid-utf8').length, 1);
      assert.equal(byRule(findings, 'json-syntax').length, 1);
    });
  });

  describe('lengths and context', () => {
    const rows = [row('a', 'short', 'short'), row('b', 'x'.repeat(4000), 'y'.repeat(4000)), row('c', 'medium '.repeat(50), 'ok')];

    it('estimates lengths when no measure is given, and says so', () => {
      const { findings, summary } = lintText(doc(rows), { contextLength: 1000 });
      const f = one(findings, 'over-context');
      assert.equal(f.line, 1);
      assert.match(f.message, /about 2,0\d\d tokens \(estimated/);
      assert.equal(summary.lengths!.source, 'estimate');
      assert.equal(summary.overContext, 1);
      assert.deepEqual(summary.overContextLines, [1]);
    });

    it('measures lazily with an injected measure, in ranges, and re-measures edited rows only', () => {
      const calls: number[] = [];
      const measure: MeasureFn = (r) => {
        calls.push(r.line);
        assert.equal(r.shape, 'sft-messages');
        assert.equal(r.conversations.length, 1);
        return r.conversations[0]!.messages.reduce((n, m) => n + m.content.length, 0);
      };
      const linter = new DatasetLinter({ measure, contextLength: 5000, measureLabel: 'the test measure' });
      linter.setText(doc(rows));
      assert.deepEqual(calls, []);
      assert.equal(linter.summary().pendingMeasure, 3);
      assert.equal(byRule(linter.findings(), 'over-context').length, 0, 'no finding before measuring');
      assert.equal(linter.measureRange(0, 2), 2);
      assert.deepEqual(calls, [0, 1]);
      const f = one(linter.findings(), 'over-context');
      assert.match(f.message, /8,000 tokens with the test measure/);
      assert.equal(linter.measureRange(), 1);
      assert.equal(linter.measureRange(), 0);
      const s = linter.summary();
      assert.equal(s.lengths!.source, 'tokenizer');
      assert.deepEqual([s.lengths!.min, s.lengths!.max, s.lengths!.count], [10, 8000, 3]);
      linter.replaceLines(0, 1, [JSON.stringify(row('a', 'longer question', 'x'))]);
      assert.equal(linter.pendingMeasure(), 1);
      linter.measureRange();
      assert.deepEqual(calls, [0, 1, 2, 0]);
    });

    it('measureAll works in slices and yields between them', async () => {
      let yields = 0;
      const measure: MeasureFn = () => {
        const until = performance.now() + 2;
        while (performance.now() < until) {
          /* a slow tokenizer */
        }
        return 7;
      };
      const linter = new DatasetLinter({ measure });
      linter.setText(doc(Array.from({ length: 30 }, (_, i) => row(`r${i}`))));
      const n = await linter.measureAll({
        budgetMs: 5,
        yieldFn: async () => {
          yields++;
        },
      });
      assert.equal(n, 30);
      assert.ok(yields >= 5, `${yields} yields`);
      assert.equal(linter.summary().lengths!.median, 7);
    });

    it('a measure that cannot tell counts as measured, without a length', () => {
      const linter = new DatasetLinter({ measure: () => undefined, contextLength: 1 });
      linter.setText(doc(rows));
      linter.measureRange();
      const s = linter.summary();
      assert.equal(s.pendingMeasure, 0);
      assert.equal(s.lengths, undefined);
      assert.equal(byRule(linter.findings(), 'over-context').length, 0);
    });

    it('summary text: status line and hover', () => {
      const { summary } = lintText(doc([...rows, '{"x":']), { contextLength: 1000 });
      const { status, hover } = summaryLines(summary);
      assert.equal(status, '4 rows · sft-messages · 1 error, 1 warning · 1 over context');
      assert.ok(hover.includes('4 rows (1 not valid) on 4 lines'), hover.join('\n'));
      assert.ok(
        hover.some((l) => /^Tokens per row \(estimated.*median ~\d+/.test(l)),
        hover.join('\n'),
      );
      assert.ok(
        hover.some((l) => /^1 row over the 1,000-token context \(line 2\)/.test(l)),
        hover.join('\n'),
      );
    });
  });

  it('rowInfo and rowRange tell the editor about one line', () => {
    const linter = new DatasetLinter();
    linter.setText(doc([row('a'), '', '  {"prompt": "p", "completion": "c"}  ']));
    assert.deepEqual(linter.rowInfo(0), { shape: 'sft-messages', id: 'a', tokens: linter.rowInfo(0)!.tokens, estimated: true });
    assert.equal(linter.rowInfo(1), undefined);
    assert.deepEqual(linter.rowRange(2), { start: { line: 2, character: 2 }, end: { line: 2, character: 36 } });
    // One row each way: the first row's format wins the tie.
    const findings: Finding[] = linter.findings();
    assert.deepEqual(
      findings.map((f) => [f.rule, f.line]),
      [['format-mismatch', 2]],
    );
  });
});
