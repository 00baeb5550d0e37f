/**
 * Incremental reading of an append-only JSONL file (metrics.jsonl, checkpoints.jsonl, rollouts…)
 * while a training run writes it.
 *
 * Each read() reads only the bytes appended since the previous call: the file is opened, its
 * new bytes read from the remembered offset, and closed again (no descriptor is held, so a run
 * that deletes or replaces the file is seen, and Windows can still delete it). Lines are split
 * on the newline byte, which never occurs inside a UTF-8 sequence, and each complete line is
 * decoded on its own, so a multi-byte character or an invalid byte split across two reads
 * decodes exactly once (invalid bytes become U+FFFD). A last line without its newline is kept
 * until the newline arrives, except that a pending line that already parses as a JSON object or
 * array is returned at once (such a line cannot be a prefix of a longer valid line), so a
 * finished file whose last line lacks a newline still shows every row.
 *
 * The file being truncated (a fresh run with the same log path), replaced (a new inode), deleted
 * or rewritten in place (the bytes just before the offset changed) restarts the read from byte 0
 * and says so with `reset: true`; the caller drops what it built from the old content.
 *
 * Python's json.dumps writes NaN, Infinity and -Infinity as bare words, which JSON.parse refuses;
 * they are read as the strings "NaN", "Infinity" and "-Infinity" so a diverged loss is a row
 * rather than a parse error. Malformed lines are reported with their 1-based line number and
 * skipped. A line longer than `maxLineBytes` (default 8 MiB) is not held in memory: its first
 * characters are reported as bad and the rest is skipped up to the next newline.
 */
import { promises as fs } from 'node:fs';

export interface BadLine {
  /** 1-based line number in the file (since the last reset). */
  line: number;
  /** The line's text, cut to its first 300 characters. */
  text: string;
  error: string;
}

export interface TailRead {
  rows: unknown[];
  /** The 1-based line number of each row in `rows`. */
  lines: number[];
  bad: BadLine[];
  /** The file was truncated, replaced, rewritten or deleted since the last read: rows restart at line 1. */
  reset: boolean;
  /** The file does not exist (yet, or any more). */
  missing: boolean;
  /** maxBytesPerRead stopped this read with bytes left: call read() again. */
  more: boolean;
}

export interface JsonlTailOptions {
  /** A line longer than this many bytes is reported bad and skipped. Default 8 MiB. */
  maxLineBytes?: number;
  /** Bytes read per read() system call. Default 1 MiB. */
  chunkBytes?: number;
  /** Stop a read() after about this many bytes (`more` says there is more), so a huge file can be taken in slices. Default: no limit. */
  maxBytesPerRead?: number;
}

const BAD_TEXT_CHARS = 300;
const CHECK_BYTES = 64;

export class JsonlTail {
  private readonly maxLineBytes: number;
  private readonly chunkBytes: number;
  private readonly maxBytesPerRead: number;
  /** Bytes of the file consumed so far (complete lines plus the pending partial line). */
  private offset = 0;
  private lineNo = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Inside an over-long line: drop bytes up to the next newline. */
  private skipping = false;
  /** The pending line was already returned as a row (it parsed before its newline arrived). */
  private pendingEmitted = 0;
  /** The last bytes before `offset`, to notice the file rewritten in place. */
  private check: Buffer = Buffer.alloc(0);
  private ino: number | undefined;
  private existed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    opts: JsonlTailOptions = {},
  ) {
    this.maxLineBytes = Math.max(16, opts.maxLineBytes ?? 8 * 1024 * 1024);
    this.chunkBytes = Math.max(64, opts.chunkBytes ?? 1024 * 1024);
    this.maxBytesPerRead = Math.max(1, opts.maxBytesPerRead ?? Infinity);
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.offset;
  }

  /** Complete lines seen so far (since the last reset). */
  get lineCount(): number {
    return this.lineNo;
  }

  /** Reads what was appended since the last call. Calls are serialised; each sees the previous one's state. */
  read(): Promise<TailRead> {
    const next = this.queue.then(() => this.readNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private restart(): void {
    this.offset = 0;
    this.lineNo = 0;
    this.pending = [];
    this.pendingBytes = 0;
    this.skipping = false;
    this.pendingEmitted = 0;
    this.check = Buffer.alloc(0);
    this.ino = undefined;
  }

  private async readNow(): Promise<TailRead> {
    const out: TailRead = { rows: [], lines: [], bad: [], reset: false, missing: false, more: false };
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      out.missing = true;
      if (this.existed) {
        out.reset = true;
        this.existed = false;
      }
      this.restart();
      return out;
    }
    try {
      const st = await fh.stat();
      if (this.existed && this.offset > 0) {
        let changed = (st.ino !== 0 && this.ino !== undefined && st.ino !== this.ino) || st.size < this.offset;
        if (!changed && this.check.length > 0) {
          const probe = Buffer.alloc(this.check.length);
          const { bytesRead } = await fh.read(probe, 0, probe.length, this.offset - this.check.length);
          changed = bytesRead !== probe.length || !probe.equals(this.check);
        }
        if (changed) {
          this.restart();
          out.reset = true;
        }
      }
      this.existed = true;
      this.ino = st.ino;
      // Sized to what is new, so polling a file that grows by one row does not allocate a megabyte.
      const buf = Buffer.allocUnsafe(Math.min(this.chunkBytes, Math.max(4096, st.size - this.offset + 4096)));
      let taken = 0;
      for (;;) {
        if (taken >= this.maxBytesPerRead) {
          out.more = this.offset < (await fh.stat()).size;
          break;
        }
        const want = Math.min(buf.length, this.maxBytesPerRead - taken);
        const { bytesRead } = await fh.read(buf, 0, want, this.offset);
        if (bytesRead <= 0) break;
        const chunk = buf.subarray(0, bytesRead);
        this.offset += bytesRead;
        taken += bytesRead;
        this.remember(chunk);
        this.consume(chunk, out);
        if (bytesRead < want) break;
      }
      this.emitCompletePending(out);
    } finally {
      await fh.close();
    }
    return out;
  }

  private remember(chunk: Buffer): void {
    if (chunk.length >= CHECK_BYTES) this.check = Buffer.from(chunk.subarray(chunk.length - CHECK_BYTES));
    else this.check = Buffer.concat([this.check, chunk]).subarray(-CHECK_BYTES);
  }

  private consume(chunk: Buffer, out: TailRead): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl < 0) {
        this.hold(chunk.subarray(start), out);
        return;
      }
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.skipping) {
        this.skipping = false;
        this.lineNo++;
        continue;
      }
      if (this.pendingBytes + piece.length > this.maxLineBytes) {
        this.tooLong(piece, out);
        this.skipping = false;
        this.lineNo++;
        continue;
      }
      let line: Buffer = piece;
      if (this.pendingBytes > 0) {
        this.pending.push(piece);
        line = Buffer.concat(this.pending, this.pendingBytes + piece.length);
      }
      const emitted = this.pendingEmitted;
      this.pending = [];
      this.pendingBytes = 0;
      this.pendingEmitted = 0;
      this.lineNo++;
      if (emitted > 0 && isBlank(line, emitted)) continue; // returned before its newline came
      this.handle(line, out);
    }
  }

  private hold(part: Buffer, out: TailRead): void {
    if (this.skipping) return;
    if (this.pendingBytes + part.length > this.maxLineBytes) {
      this.tooLong(part, out);
      return;
    }
    // Copy: the chunk buffer is reused by the next read.
    this.pending.push(Buffer.from(part));
    this.pendingBytes += part.length;
  }

  private tooLong(part: Buffer, out: TailRead): void {
    const head = this.pending.length > 0 ? this.pending[0]! : part;
    out.bad.push({
      line: this.lineNo + 1,
      text: decodeHead(head),
      error: `Line longer than ${formatBytes(this.maxLineBytes)}: skipped.`,
    });
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingEmitted = 0;
    this.skipping = true;
  }

  /** A pending line that already parses is a whole row: return it now, and skip it when its newline arrives. */
  private emitCompletePending(out: TailRead): void {
    if (this.pendingBytes === 0 || this.pendingEmitted > 0 || this.skipping) return;
    const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [buf];
    const text = cleanLine(buf.toString('utf8'), this.lineNo === 0);
    const last = lastNonSpace(text);
    if (last !== '}' && last !== ']') return;
    const parsed = parseJsonLine(text);
    if (!parsed.ok) return;
    out.rows.push(parsed.value);
    out.lines.push(this.lineNo + 1);
    this.pendingEmitted = this.pendingBytes;
  }

  private handle(line: Buffer, out: TailRead): void {
    const text = cleanLine(line.toString('utf8'), this.lineNo === 1);
    if (text.trim() === '') return;
    const parsed = parseJsonLine(text);
    if (parsed.ok) {
      out.rows.push(parsed.value);
      out.lines.push(this.lineNo);
    } else out.bad.push({ line: this.lineNo, text: cut(text), error: parsed.error });
  }
}

function cleanLine(text: string, first: boolean): string {
  if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
  return text;
}

function isBlank(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

function lastNonSpace(text: string): string {
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c !== ' ' && c !== '\t' && c !== '\r') return c;
  }
  return '';
}

function cut(text: string): string {
  return text.length > BAD_TEXT_CHARS ? `${text.slice(0, BAD_TEXT_CHARS)}…` : text;
}

function decodeHead(buf: Buffer): string {
  return cut(buf.subarray(0, BAD_TEXT_CHARS * 4).toString('utf8'));
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

export type JsonLineParse = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * JSON.parse for one line, accepting what Python's json.dumps writes for non-finite floats:
 * bare NaN, Infinity and -Infinity outside strings become the strings "NaN", "Infinity", "-Infinity".
 */
export function parseJsonLine(text: string): JsonLineParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    if (text.includes('NaN') || text.includes('Infinity')) {
      const fixed = quoteNonFinite(text);
      if (fixed !== text) {
        try {
          return { ok: true, value: JSON.parse(fixed) };
        } catch {}
      }
    }
    return { ok: false, error };
  }
}

function quoteNonFinite(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    let word: string | undefined;
    if (c === 78 && text.startsWith('NaN', i)) word = 'NaN';
    else if (c === 73 && text.startsWith('Infinity', i)) word = 'Infinity';
    else if (c === 45 && text.startsWith('-Infinity', i)) word = '-Infinity';
    if (word === undefined) continue;
    const end = i + word.length;
    if (end < text.length && /[\w$]/.test(text[end]!)) continue; // part of a longer word
    out += `${text.slice(from, i)}"${word}"`;
    i += word.length - 1;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
