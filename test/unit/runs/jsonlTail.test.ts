// JsonlTail on real files in a temp dir: only appended bytes are read, a half-written line waits
// for its newline, multi-byte and invalid UTF-8 split across reads decode once, CRLF/BOM, Python's
// NaN, malformed and over-long lines, and truncation / replacement / rewrite / deletion resets.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonlTail, parseJsonLine } from '../../../src/runs/jsonlTail';

describe('runs: JsonlTail', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mint-tail-'));
    file = join(dir, 'metrics.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads whole lines, then only what was appended since', async () => {
    writeFileSync(file, '{"step": 0, "loss": 2.5}\n{"step": 1, "loss": 2.1}\n');
    const t = new JsonlTail(file);
    const a = await t.read();
    assert.deepEqual(a.rows, [
      { step: 0, loss: 2.5 },
      { step: 1, loss: 2.1 },
    ]);
    assert.deepEqual(a.lines, [1, 2]);
    assert.equal(a.reset, false);
    assert.equal(a.missing, false);
    assert.equal(t.position, 50);
    const b = await t.read();
    assert.deepEqual(b.rows, []);
    appendFileSync(file, '{"step": 2, "loss": 1.9}\n');
    const c = await t.read();
    assert.deepEqual(c.rows, [{ step: 2, loss: 1.9 }]);
    assert.deepEqual(c.lines, [3]);
    assert.equal(t.lineCount, 3);
  });

  it('keeps half a line until its newline arrives', async () => {
    writeFileSync(file, '{"step": 0}\n{"step": 1, "lo');
    const t = new JsonlTail(file);
    const a = await t.read();
    assert.deepEqual(a.rows, [{ step: 0 }]);
    assert.deepEqual(a.bad, []);
    appendFileSync(file, 'ss": 0.5');
    const b = await t.read();
    assert.deepEqual(b.rows, []);
    assert.deepEqual(b.bad, []);
    appendFileSync(file, '}\n{"step": 2}\n');
    const c = await t.read();
    assert.deepEqual(c.rows, [{ step: 1, loss: 0.5 }, { step: 2 }]);
    assert.deepEqual(c.lines, [2, 3]);
  });

  it('returns a last line without a newline once it parses, and not again when the newline comes', async () => {
    writeFileSync(file, '{"step": 0}\n{"step": 1}');
    const t = new JsonlTail(file);
    const a = await t.read();
    assert.deepEqual(a.rows, [{ step: 0 }, { step: 1 }]);
    assert.deepEqual(a.lines, [1, 2]);
    appendFileSync(file, '\r\n{"step": 2}\n');
    const b = await t.read();
    assert.deepEqual(b.rows, [{ step: 2 }]);
    assert.deepEqual(b.lines, [3]);
  });

  it('decodes a multi-byte character split across two reads and across chunk boundaries exactly once', async () => {
    const line = Buffer.from('{"text": "数据训练 ok ✓ 😀"}\n', 'utf8');
    const cut = line.indexOf(Buffer.from('据')) + 1; // inside the 3-byte character
    writeFileSync(file, line.subarray(0, cut));
    const t = new JsonlTail(file, { chunkBytes: 64 });
    assert.deepEqual((await t.read()).rows, []);
    appendFileSync(file, line.subarray(cut));
    assert.deepEqual((await t.read()).rows, [{ text: '数据训练 ok ✓ 😀' }]);

    // Many rows read through 64-byte chunks: every boundary lands somewhere inside a row.
    const rows = Array.from({ length: 50 }, (_, i) => ({ i, s: '梯度😀'.repeat(i % 7) }));
    const f2 = join(dir, 'many.jsonl');
    writeFileSync(f2, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const r = await new JsonlTail(f2, { chunkBytes: 64 }).read();
    assert.deepEqual(r.rows, rows);
    assert.deepEqual(r.bad, []);
  });

  it('decodes invalid UTF-8 as U+FFFD without breaking the row', async () => {
    writeFileSync(file, Buffer.concat([Buffer.from('{"s": "a'), Buffer.from([0xff, 0xc3]), Buffer.from('b"}\n')]));
    const r = await new JsonlTail(file).read();
    assert.deepEqual(r.rows, [{ s: 'a\ufffd\ufffdb' }]);
  });

  it('takes CRLF line ends, a BOM and blank lines', async () => {
    writeFileSync(file, '\ufeff{"a": 1}\r\n\r\n   \n{"a": 2}\r\n');
    const r = await new JsonlTail(file).read();
    assert.deepEqual(r.rows, [{ a: 1 }, { a: 2 }]);
    assert.deepEqual(r.lines, [1, 4]);
    assert.deepEqual(r.bad, []);
  });

  it('reports malformed lines with their line numbers and keeps going', async () => {
    writeFileSync(file, '{"step": 0}\n{"step": 1,}\nnot json\n{"step": 3}\n');
    const r = await new JsonlTail(file).read();
    assert.deepEqual(r.rows, [{ step: 0 }, { step: 3 }]);
    assert.deepEqual(
      r.bad.map((b) => [b.line, b.text]),
      [
        [2, '{"step": 1,}'],
        [3, 'not json'],
      ],
    );
    for (const b of r.bad) assert.match(b.error, /JSON|Unexpected|Expected/);
  });

  it("reads Python's bare NaN and Infinity as strings instead of failing the row", async () => {
    writeFileSync(file, '{"step": 4, "loss": NaN, "grad": Infinity, "m": -Infinity, "note": "NaN and Infinity stay"}\n');
    const r = await new JsonlTail(file).read();
    assert.deepEqual(r.rows, [{ step: 4, loss: 'NaN', grad: 'Infinity', m: '-Infinity', note: 'NaN and Infinity stay' }]);
    assert.equal(parseJsonLine('{"a": NaNx}').ok, false);
  });

  it('restarts from the top when the file is truncated (a fresh run on the same log path)', async () => {
    writeFileSync(file, '{"step": 0}\n{"step": 1}\n{"step": 2}\n');
    const t = new JsonlTail(file);
    assert.equal((await t.read()).rows.length, 3);
    truncateSync(file, 0);
    appendFileSync(file, '{"step": 0, "run": 2}\n');
    const r = await t.read();
    assert.equal(r.reset, true);
    assert.deepEqual(r.rows, [{ step: 0, run: 2 }]);
    assert.deepEqual(r.lines, [1]);
    assert.equal((await t.read()).reset, false);
  });

  it('restarts when the file is replaced by a rename, even by a longer one', async () => {
    writeFileSync(file, '{"step": 0}\n');
    const t = new JsonlTail(file);
    await t.read();
    const tmp = join(dir, 'new.jsonl');
    writeFileSync(tmp, '{"step": 10}\n{"step": 11}\n{"step": 12}\n');
    renameSync(tmp, file);
    const r = await t.read();
    assert.equal(r.reset, true);
    assert.deepEqual(r.rows, [{ step: 10 }, { step: 11 }, { step: 12 }]);
  });

  it('restarts when the file is rewritten in place between two reads and has grown past the old end', async () => {
    writeFileSync(file, '{"step": 0, "v": "aaaa"}\n');
    const t = new JsonlTail(file);
    await t.read();
    writeFileSync(file, '{"step": 0, "v": "bbbb"}\n{"step": 1, "v": "bbbb"}\n'); // same inode, truncated and rewritten
    const r = await t.read();
    assert.equal(r.reset, true);
    assert.deepEqual(
      r.rows.map((x: any) => x.v),
      ['bbbb', 'bbbb'],
    );
  });

  it('says when the file is missing, and resets when it comes back', async () => {
    const t = new JsonlTail(file);
    const a = await t.read();
    assert.equal(a.missing, true);
    assert.equal(a.reset, false);
    writeFileSync(file, '{"step": 0}\n');
    const b = await t.read();
    assert.deepEqual(b.rows, [{ step: 0 }]);
    assert.equal(b.reset, false);
    rmSync(file);
    const c = await t.read();
    assert.equal(c.missing, true);
    assert.equal(c.reset, true);
    writeFileSync(file, '{"step": 5}\n');
    assert.deepEqual((await t.read()).rows, [{ step: 5 }]);
  });

  it('drops an over-long line as it streams in, reports it once, and resumes at the next newline', async () => {
    const t = new JsonlTail(file, { maxLineBytes: 1024 });
    writeFileSync(file, '{"step": 0}\n{"blob": "' + 'x'.repeat(600));
    assert.deepEqual((await t.read()).rows, [{ step: 0 }]);
    appendFileSync(file, 'x'.repeat(600));
    const b = await t.read();
    assert.equal(b.bad.length, 1);
    assert.equal(b.bad[0]!.line, 2);
    assert.match(b.bad[0]!.error, /longer than 1 KiB/);
    assert.ok(b.bad[0]!.text.startsWith('{"blob": "xxx'));
    assert.ok(b.bad[0]!.text.length <= 301);
    appendFileSync(file, 'x'.repeat(5000));
    assert.deepEqual(await t.read(), { rows: [], lines: [], bad: [], reset: false, missing: false, more: false });
    assert.equal((t as any).pendingBytes, 0, 'nothing of the long line is held');
    appendFileSync(file, '"}\n{"step": 2}\n');
    const d = await t.read();
    assert.deepEqual(d.rows, [{ step: 2 }]);
    assert.deepEqual(d.lines, [3]);
    assert.deepEqual(d.bad, []);
  });

  it('does not hold a 20 MB line without a newline past the default 8 MiB cap', async () => {
    const t = new JsonlTail(file);
    writeFileSync(file, '{"step": 0}\n');
    await t.read();
    const block = 'y'.repeat(4 * 1024 * 1024);
    let bad = 0;
    for (let i = 0; i < 5; i++) {
      appendFileSync(file, block);
      const r = await t.read();
      bad += r.bad.length;
      assert.ok((t as any).pendingBytes <= 8 * 1024 * 1024);
    }
    assert.equal(bad, 1);
    appendFileSync(file, '\n{"step": 1}\n');
    const r = await t.read();
    assert.deepEqual(r.rows, [{ step: 1 }]);
    assert.deepEqual(r.lines, [3]);
  });

  it('takes a large file in slices when asked, without losing or repeating a row', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => ({ step: i, loss: 1 / (i + 1) }));
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const t = new JsonlTail(file, { maxBytesPerRead: 4096, chunkBytes: 1000 });
    const got: unknown[] = [];
    let calls = 0;
    for (;;) {
      const r = await t.read();
      calls++;
      got.push(...r.rows);
      if (!r.more) break;
    }
    assert.deepEqual(got, rows);
    assert.ok(calls > 5, `${calls} calls`);
  });

  it('serialises overlapping read() calls: every row once', async () => {
    writeFileSync(file, Array.from({ length: 100 }, (_, i) => JSON.stringify({ step: i })).join('\n') + '\n');
    const t = new JsonlTail(file, { chunkBytes: 128 });
    const [a, b] = await Promise.all([t.read(), t.read()]);
    assert.equal(a.rows.length + b.rows.length, 100);
    assert.deepEqual(
      [...a.rows, ...b.rows].map((r: any) => r.step),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it('sees every row exactly once, in order, while a writer appends in random pieces', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => ({ step: i, loss: 1 / (i + 1), text: 'é数'.repeat(i % 5) }));
    const bytes = Buffer.from(rows.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');
    writeFileSync(file, '');
    const t = new JsonlTail(file, { chunkBytes: 256 });
    const got: unknown[] = [];
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 1;
    let at = 0;
    while (at < bytes.length) {
      const n = 1 + Math.floor(rand() * 300);
      appendFileSync(file, bytes.subarray(at, at + n));
      at += n;
      if (rand() < 0.6) {
        const r = await t.read();
        assert.deepEqual(r.bad, []);
        assert.equal(r.reset, false);
        got.push(...r.rows);
      }
    }
    got.push(...(await t.read()).rows);
    assert.deepEqual(got, rows);
  });
});
