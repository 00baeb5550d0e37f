/**
 * Terminal output to clean lines, streaming and bounded. One output line per `\n` of the input, so
 * a line's index does not depend on how the stream was cut into chunks:
 * - CRLF ends a line like LF; within a line, a bare `\r` (progress bars) keeps only the text after
 *   the last one, as the terminal shows it;
 * - ANSI CSI sequences (colours), OSC sequences (shell integration `ESC ] 633 ; … BEL`, ended by
 *   BEL or `ESC \`), other escapes and C0 control characters are removed;
 * - a line longer than `maxLen` keeps its head and its last TAIL characters, joined by `…`, so an id
 *   printed at the end of a huge line survives; memory per pending line stays O(maxLen).
 * A line that held a shell-integration prompt or command marker (OSC 633/133 A-D) is flagged as a
 * `boundary`: the command before it is over (and `onBoundary` hears of it as soon as it arrives).
 */

export type LineSink = (text: string, index: number, boundary: boolean, partial: boolean) => void;

/** Characters kept from the end of an overlong line. */
const TAIL = 1024;
const CR = 13;

// Escape sequences and control characters (tab, LF and CR excepted: LF and CR are handled before).
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~]?)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]/g;
// eslint-disable-next-line no-control-regex
const HAS_CONTROL_RE = /[\x00-\x08\x0b-\x1f\x7f]/;
// eslint-disable-next-line no-control-regex
const BOUNDARY_RE = /\x1b\](?:633|133);[ABCD]/;

export class LineSplitter {
  private pending = '';
  /** The head and tail of a pending line that outgrew maxLen (pending is then unused). */
  private head: string | undefined;
  private tail = '';
  /** `\r`s at the end of what was appended so far: CRLF split across chunks, or a progress redraw to come. */
  private pendingCR = false;
  private index = 0;

  /**
   * `onBoundary` is called as soon as a shell-integration marker arrives, even before its line ends:
   * the prompt after a failed command has no newline until the user types one.
   */
  constructor(
    private readonly maxLen: number,
    private readonly sink: LineSink,
    private readonly onBoundary?: () => void,
  ) {}

  /** Feeds one chunk; every line it completes goes to the sink, in order. */
  push(chunk: string): void {
    const hasCR = chunk.indexOf('\r') >= 0;
    const hasControl = HAS_CONTROL_RE.test(chunk);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) {
        if (start < chunk.length) this.append(chunk.slice(start));
        return;
      }
      let raw: string;
      let cr = hasCR;
      let ctl = hasControl;
      if (this.pending.length === 0 && this.head === undefined && !this.pendingCR) {
        raw = chunk.slice(start, nl);
      } else {
        this.append(chunk.slice(start, nl));
        raw = this.take();
        cr = true;
        ctl = true;
      }
      start = nl + 1;
      this.emit(raw, cr, ctl, false);
    }
  }

  /** Flushes the last line if it had no newline; the next push starts again at line 0. */
  end(): void {
    if (this.pending.length > 0 || this.head !== undefined) this.emit(this.take(), true, true, true);
    this.pendingCR = false;
    this.index = 0;
  }

  private append(seg: string): void {
    if (this.onBoundary && (seg.indexOf('\x1b') >= 0 || this.pending.indexOf('\x1b', this.pending.length - 12) >= 0)) {
      if (BOUNDARY_RE.test(this.pending.slice(-12) + seg)) this.onBoundary();
    }
    let end = seg.length;
    while (end > 0 && seg.charCodeAt(end - 1) === CR) end--;
    if (end === 0) {
      if (seg.length > 0) this.pendingCR = true;
      return;
    }
    let body = end === seg.length ? seg : seg.slice(0, end);
    const r = body.lastIndexOf('\r');
    if (this.pendingCR || r >= 0) {
      // The terminal redraws the line from its start: what came before is gone.
      this.pending = '';
      this.head = undefined;
      this.tail = '';
      if (r >= 0) body = body.slice(r + 1);
    }
    this.pendingCR = end < seg.length;
    if (this.head !== undefined) {
      this.tail = body.length >= TAIL ? body.slice(body.length - TAIL) : (this.tail + body).slice(-TAIL);
      return;
    }
    if (this.pending.length + body.length <= this.maxLen) {
      this.pending += body;
      return;
    }
    const all = this.pending + body;
    this.head = all.slice(0, Math.max(0, this.maxLen - TAIL));
    this.tail = all.slice(all.length - TAIL);
    this.pending = '';
  }

  private take(): string {
    const out = this.head !== undefined ? `${this.head}…${this.tail}` : this.pending;
    this.pending = '';
    this.head = undefined;
    this.tail = '';
    this.pendingCR = false;
    return out;
  }

  private emit(raw: string, hasCR: boolean, hasControl: boolean, partial: boolean): void {
    let line = raw;
    let boundary = false;
    if (hasControl && line.indexOf('\x1b]') >= 0) boundary = BOUNDARY_RE.test(line);
    if (hasCR) {
      let end = line.length;
      while (end > 0 && line.charCodeAt(end - 1) === CR) end--;
      const r = line.lastIndexOf('\r', end - 1);
      if (r >= 0 || end < line.length) line = line.slice(r + 1, end);
    }
    if (line.length > this.maxLen + TAIL) line = `${line.slice(0, Math.max(0, this.maxLen - TAIL))}…${line.slice(line.length - TAIL)}`;
    if (hasControl && HAS_CONTROL_RE.test(line)) line = line.replace(CONTROL_RE, '');
    if (line.length > this.maxLen + 1) line = `${line.slice(0, Math.max(0, this.maxLen - TAIL))}…${line.slice(line.length - TAIL)}`;
    this.sink(line, this.index, boundary, partial);
    if (!partial) this.index++;
  }
}
