/**
 * MinT findings in a Python process's terminal output: the pure core behind the terminal link
 * provider and the run diagnostics (no `vscode` here, see eslint.config.mjs).
 *
 * API
 * - `new TracebackScanner(opts?)`: streaming. `push(chunk)` returns the findings that chunk
 *   completed; `end()` flushes at the end of the stream and resets the scanner (line numbers start
 *   at 0 again, so one scanner can serve consecutive runs). Output in any chunking gives the same
 *   findings. `opts.onPaused` receives the SDK's queue-state lines (a separate finding kind).
 * - `scanTracebacks(text)`: the same over a whole text.
 * - A `TracebackFinding` is one printed exception chain or group that holds at least one MinT
 *   exception: `exceptions` lists every MinT exception of it in printed order (cause first; a
 *   group's own exception before its sub-exceptions), whatever the outermost exception is (a
 *   `RuntimeError: training failed` raised from a RequestFailedError still gives the
 *   RequestFailedError, with its own frames). `endLine` is the 0-based output line of the last
 *   exception line printed in that chain/group.
 * - A `MintException` is MinT's when its class is one of the SDK's (`tinker.X`, `tinker._exceptions.X`,
 *   `mint.X`, `mint.tinker.X`, any `tinker.<module>.X`; unknown `*Error`/`*Exception` names under
 *   those roots count too), one of the cookbook's (`tinker_cookbook[.exceptions].X`, `mint_cookbook.X`),
 *   or any other class (ValueError, TimeoutError, RuntimeError, Exception, ...) whose message carries
 *   the SDK's own markers (`self.request_id=`, "Error retrieving result", "Failed to sample after
 *   exhausting retries", "Promise expired/broken for request", "waiting for result of"): family
 *   'builtin'. Bare names (`RateLimitError: ...`, a class of `__main__`) are not MinT's.
 *   `frames` are outermost first; a group's sub-exception gets the group's frames, then its own.
 * - `userFrame(frames, isUser)`: the deepest frame that `isUser` accepts and that is not a library
 *   path; `isLibraryPath(file)`: site-packages, dist-packages, the standard library (`lib/pythonX.Y`,
 *   Windows `\Lib\`), virtualenv/conda/pyenv installs, `<frozen ...>`, `<string>`, `<stdin>`.
 * - `findLinks(line)`: linkable spans of one terminal line (ids, checkpoint paths, class names).
 *
 * Formats: standard tracebacks (3.11+ caret lines, "[Previous line repeated N more times]",
 * SyntaxError's extra lines), chains ("During handling of ..." / "The above exception was the
 * direct cause ..."), ExceptionGroups at any nesting (`  | ` margins, `+-+---- 1 ----` separators,
 * "and N more exceptions"), asyncio's "Task exception was never retrieved", messages over several
 * lines and 3.11 notes, exceptions without a traceback inside chains and groups. Terminal noise is
 * handled by terminalLines.ts; a "Traceback (most recent call last):" glued after a progress bar
 * still starts a traceback.
 *
 * Choices
 * - A traceback cut off before its exception line gives nothing; in a chain cut off that way, the
 *   exceptions printed in full before the cut are still reported.
 * - The last line of a stream without a newline is used only if its class name is complete: followed
 *   by ':', or a known MinT name in full (so `tinker.RateLimitErr` at the end gives nothing).
 * - Where an exception's message ends. Output after a traceback is ambiguous: notes and messages
 *   with newlines look like whatever the script prints next (asyncio and logging print tracebacks
 *   and carry on). Inside an ExceptionGroup's margins every line up to the next separator is the
 *   message. Outside, the SDK's own f-strings ("Request failed: <server text> for
 *   self.request_id='…' and expected type …", "Error retrieving result: …") run on until their
 *   `self.request_id=` tail (at most 500 lines), whatever the server text holds (blank lines, a
 *   "Traceback" of the server's own); a message whose first line is already a whole SDK message
 *   (`Error code: N[ - <repr>]`, "Connection error.", ...) and any non-MinT exception end at their
 *   line, so notes after them are not kept (and a non-MinT cause printed over several lines, such as
 *   pydantic's ValidationError, splits its chain: the MinT exceptions after it come as a finding of
 *   their own, still complete); other MinT messages (cookbook, unknown shapes) run on
 *   until a blank line, the next traceback, a chain message, a shell prompt, a log record, a
 *   progress bar, a shell-integration marker or 64 lines. A finding is returned once the line
 *   after its last exception arrives (or at end()).
 * - Bounds: lines are cut at `maxLineLength` (16 KiB; head and last 1 KiB kept), messages at
 *   `maxMessageLength` (4 KiB; ids are read before the cut, from up to 16 KiB), frames per traceback
 *   at the first 50 and the last 200 (`framesOmitted` counts the rest). Time is linear in the input.
 */
import { LineSplitter } from './terminalLines';
import {
  analyseMessage,
  classify,
  isCompleteSdkMessage,
  isKnownQualifiedName,
  parsePausedLine,
  type Family,
  type PausedFinding,
} from './mintText';

export {
  COOKBOOK_CLASSES,
  SDK_CLASSES,
  findLinks,
  parsePausedLine,
  type Family,
  type LineLink,
  type LineLinkKind,
  type PausedFinding,
} from './mintText';

export interface PyFrame {
  file: string;
  line: number;
  func: string;
}

export interface MintException {
  /** As printed, e.g. 'tinker.RequestFailedError'. */
  qualifiedName: string;
  /** 'RequestFailedError'. */
  className: string;
  family: Family;
  /** The message (continuation lines and notes included), ANSI-free, capped. */
  message: string;
  /** The best id for support: the request id, else the Log ID, else the trace id. */
  requestId?: string;
  logId?: string;
  traceId?: string;
  /** From "Error code: N" (or the SDK's "status_code=N" / "status N"). */
  status?: number;
  /** The server's own words: the body's 'detail' (422: "loc: msg; ..."), 'error' or 'message', or RequestFailedError's server text. */
  detail?: string;
  /** The first checkpoint path (tinker:// or mint://) or ckpt_ id in the message. */
  checkpoint?: string;
  /** Outermost first. */
  frames: PyFrame[];
  /** Frames left out between the first 50 and the last 200 of a long traceback. */
  framesOmitted?: number;
  /** 0-based output line of the exception line. */
  line: number;
}

export interface TracebackFinding {
  /** The MinT exceptions of one printed chain/group, cause first (never empty). */
  exceptions: MintException[];
  /** 0-based index of the output line (after normalisation) that held the final exception line. */
  endLine: number;
}

export interface TracebackScannerOptions {
  /** Longer lines keep their head and last 1 KiB. Default 16 KiB. */
  maxLineLength?: number;
  /** Default 4 KiB. */
  maxMessageLength?: number;
  /** Frames kept from the start and the end of one traceback. Defaults 50 and 200. */
  maxHeadFrames?: number;
  maxTailFrames?: number;
  /** Receives the SDK's queue-state warnings ("Training for X is paused. Reason: ..."). */
  onPaused?: (finding: PausedFinding) => void;
}

/** Streaming scanner; see the top of this file. */
export class TracebackScanner {
  private readonly splitter: LineSplitter;
  private readonly parser: Parser;
  private out: TracebackFinding[] = [];

  constructor(opts: TracebackScannerOptions = {}) {
    this.parser = new Parser(
      {
        maxMessage: opts.maxMessageLength ?? 4096,
        headFrames: opts.maxHeadFrames ?? 50,
        tailFrames: opts.maxTailFrames ?? 200,
        onPaused: opts.onPaused,
      },
      (f) => this.out.push(f),
    );
    this.splitter = new LineSplitter(
      Math.max(2048, opts.maxLineLength ?? 16384),
      (text, index, boundary, partial) => this.parser.line(text, index, boundary, partial),
      () => this.parser.endPrint(),
    );
  }

  /** Feeds a chunk as it arrives; returns the findings it completed. */
  push(chunk: string): TracebackFinding[] {
    this.splitter.push(chunk);
    return this.take();
  }

  /** Ends the stream: returns what the last lines completed, and resets the scanner. */
  end(): TracebackFinding[] {
    this.splitter.end();
    this.parser.endPrint();
    return this.take();
  }

  private take(): TracebackFinding[] {
    if (this.out.length === 0) return [];
    const out = this.out;
    this.out = [];
    return out;
  }
}

export function scanTracebacks(text: string, opts?: TracebackScannerOptions): TracebackFinding[] {
  const s = new TracebackScanner(opts);
  return [...s.push(text), ...s.end()];
}

/** The user's own deepest frame: the last frame whose file `isUser` accepts and that is not a library path. */
export function userFrame(frames: readonly PyFrame[], isUser: (file: string) => boolean): PyFrame | undefined {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i]!;
    if (!isLibraryPath(f.file) && isUser(f.file)) return f;
  }
  return undefined;
}

const PSEUDO_LIBRARY_RE = /^<(?:frozen[ >]|string>|stdin>)/;
const LIBRARY_RE = new RegExp(
  [
    '/(?:site|dist)-packages/',
    '/lib(?:64)?/python\\d+(?:\\.\\d+)?t?/',
    '/lib-python/',
    '(?:^|/)(?:\\.?venv|\\.?env|virtualenv|\\.virtualenvs/[^/]+)/(?:lib|lib64|Lib)/',
    '/(?:ana|mini|micro)(?:conda|forge|mamba)\\d*/(?:lib|Lib|pkgs|envs)/',
    '/conda/envs/',
    '/\\.pyenv/versions/',
    '/Python\\.framework/',
    'importlib/_bootstrap',
  ].join('|'),
);
const WINDOWS_LIB_RE = /(?:^[A-Za-z]:)?\/(?:[^/]+\/)*Lib\//;

/** True for files of Python itself or of installed packages (see the top of this file). */
export function isLibraryPath(file: string): boolean {
  if (file.startsWith('<')) return PSEUDO_LIBRARY_RE.test(file);
  const windows = file.includes('\\') || /^[A-Za-z]:/.test(file);
  const p = windows ? file.replace(/\\/g, '/') : file;
  return LIBRARY_RE.test(p) || (windows && WINDOWS_LIB_RE.test(p));
}

// ---------------------------------------------------------------------------------------------
// The parser: a stack of prints (one per ExceptionGroup nesting level), each a small state machine.

const TB_HEADER = 'Traceback (most recent call last):';
const GROUP_HEADER = 'Exception Group Traceback (most recent call last):';
const TOP_GROUP_HEADER = `  + ${GROUP_HEADER}`;
const CHAIN_CONTEXT = 'During handling of the above exception, another exception occurred:';
const CHAIN_CAUSE = 'The above exception was the direct cause of the following exception:';
const FRAME_RE = /^ {2}File "(.*)", line (\d+)(?:, in (.*))?$/;
const EXC_LINE_RE = /^([A-Za-z_][\w.]*)(?:(:) ?([\s\S]*))?$/;
/** Raw text kept per exception for reading ids (the message itself is cut shorter). */
const RAW_CAP = 16384;
const MAX_CONTINUATION_LINES = 64;
/**
 * The SDK's f-strings that end `for self.request_id='…' and expected type …`: until that tail is
 * read, every line belongs to the message, even blank ones or a "Traceback" header (a server
 * error text is often a traceback of its own).
 */
const SDK_TAIL_MESSAGE_RE = /^(?:Request failed|Error retrieving result|Proto deserialization failed): /;
const MAX_AWAITED_LINES = 500;

/** Lines that cannot continue an exception message at the top level: prompts, log records, progress bars, asyncio/thread banners. */
const TERMINATOR_RE = new RegExp(
  [
    '^\\S*@\\S+[: ].*[$#%] ?$', // user@host:~/proj$
    '^\\(\\S+\\) .*[$#%>] ?$', // (venv) ... $
    '^PS [A-Za-z]:\\\\.*> ?$', // PowerShell
    '^[A-Za-z]:\\\\[^>]*> ?$', // cmd
    '^[➜❯λ] ',
    '^>>> ',
    '^\\[?\\d{4}-\\d\\d-\\d\\d[ T]\\d\\d:\\d\\d', // 2024-05-01 12:00:00,123 ...
    '^\\[?\\d\\d:\\d\\d:\\d\\d[\\],. ]',
    '^\\[?(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\\b[\\]:| ]',
    '^[IWEF]\\d{4} \\d\\d:\\d\\d', // glog
    '\\d+%\\|', // tqdm
    '\\d+(?:\\.\\d+)?(?:it/s|s/it)\\]',
    '^Task exception was never retrieved',
    '^future: <Task',
    '^Exception in thread ',
    '^Exception ignored in',
    '^Error in atexit',
    '^wandb: ',
    ' is paused[. ]',
  ].join('|'),
);

type Phase =
  | 'idle' // top print, outside any traceback
  | 'start' // sub-exception of a group, nothing read yet
  | 'frames'
  | 'message'
  | 'afterBlank' // a blank line after an exception: a chain message may follow
  | 'chain' // after a chain message: the next traceback follows
  | 'gframes' // frames of an ExceptionGroup
  | 'gmessage' // the group's exception line
  | 'group' // the group's sub-exceptions are being printed
  | 'dead'; // a malformed sub-exception: ignored until its group moves on

interface PendingException {
  name: string;
  text: string;
  lines: number;
  /** The message is an SDK f-string whose `self.request_id=` tail has not been read yet. */
  awaitingTail: boolean;
  /** Outside a group: lines after the exception line may continue its message (a MinT exception whose first line is not a whole SDK message). */
  mayContinue: boolean;
  line: number;
  frames: PyFrame[];
  omitted: number;
  partial: boolean;
}

class Frames {
  private readonly head: PyFrame[] = [];
  private readonly tail: PyFrame[] = [];
  private pos = 0;
  omitted = 0;

  constructor(
    private readonly maxHead: number,
    private readonly maxTail: number,
  ) {}

  add(f: PyFrame): void {
    if (this.head.length < this.maxHead) this.head.push(f);
    else if (this.tail.length < this.maxTail) this.tail.push(f);
    else if (this.maxTail === 0) this.omitted++;
    else {
      this.tail[this.pos] = f;
      this.pos = (this.pos + 1) % this.maxTail;
      this.omitted++;
    }
  }

  list(): PyFrame[] {
    if (this.pos === 0) return this.head.concat(this.tail);
    return this.head.concat(this.tail.slice(this.pos), this.tail.slice(0, this.pos));
  }
}

interface PrintState {
  /** Content depth of its plain tracebacks and chain messages (0 for the top print). */
  depth: number;
  /** Content depth of its own group header, frames and exception line (the top print's is 1). */
  groupDepth: number;
  top: boolean;
  /** Frames of the enclosing groups. */
  prefix: PyFrame[];
  phase: Phase;
  frames: Frames;
  /** The current group's frames, given to its sub-exceptions. */
  groupFrames: PyFrame[];
  pending: PendingException | undefined;
}

interface ParserSettings {
  maxMessage: number;
  headFrames: number;
  tailFrames: number;
  onPaused: ((finding: PausedFinding) => void) | undefined;
}

type MarginLine =
  { kind: 'content'; depth: number; text: string } | { kind: 'sep'; depth: number; truncated: boolean } | { kind: 'close'; depth: number };

const SEP_RE = /^\+-{3,} (\d+|\.\.\.) -{3,}$/;
const CLOSE_RE = /^\+-{8,}$/;

/**
 * A line of an ExceptionGroup: `<2d spaces>| text` is content at depth d; `+-+---- 1 ----` and
 * `  +---- 2 ----` separate the sub-exceptions of the group whose content is at depth d (they go
 * to depth d+1); `+--------` closes a level.
 */
function decodeMargin(s: string): MarginLine | undefined {
  let n = 0;
  while (s.charCodeAt(n) === 32) n++;
  if (n < 2 || n % 2 !== 0) return undefined;
  const c = s.charCodeAt(n);
  if (c === 124 /* | */) {
    if (n + 1 === s.length) return { kind: 'content', depth: n / 2, text: '' };
    if (s.charCodeAt(n + 1) === 32) return { kind: 'content', depth: n / 2, text: s.slice(n + 2) };
    return undefined;
  }
  if (c !== 43 /* + */) return undefined;
  const rest = s.slice(n);
  if (rest.startsWith('+-+')) {
    const m = SEP_RE.exec(rest.slice(2));
    return m ? { kind: 'sep', depth: n / 2, truncated: m[1] === '...' } : undefined;
  }
  const m = SEP_RE.exec(rest);
  if (m) return n >= 4 ? { kind: 'sep', depth: n / 2 - 1, truncated: m[1] === '...' } : undefined;
  if (CLOSE_RE.test(rest)) return { kind: 'close', depth: n / 2 };
  if (rest.charCodeAt(1) === 32) return { kind: 'content', depth: n / 2, text: rest.slice(2) };
  return undefined;
}

function isTracebackHeader(text: string, loose: boolean): boolean {
  if (text === TB_HEADER) return true;
  // A header glued after a progress bar that had no newline; not a group's "| Traceback".
  return loose && text.length > TB_HEADER.length && text.endsWith(TB_HEADER) && !text.endsWith(`| ${TB_HEADER}`);
}

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE_RE, '\uFFFD');
}

class Parser {
  private readonly stack: PrintState[];
  private found: MintException[] = [];
  private lastExceptionLine = -1;

  constructor(
    private readonly settings: ParserSettings,
    private readonly emit: (f: TracebackFinding) => void,
  ) {
    this.stack = [this.newState(0, [], 'idle')];
  }

  private newState(depth: number, prefix: PyFrame[], phase: Phase): PrintState {
    return {
      depth,
      groupDepth: depth === 0 ? 1 : depth,
      top: depth === 0,
      prefix,
      phase,
      frames: new Frames(this.settings.headFrames, this.settings.tailFrames),
      groupFrames: [],
      pending: undefined,
    };
  }

  private get topState(): PrintState {
    return this.stack[0]!;
  }

  line(text: string, index: number, boundary: boolean, partial: boolean): void {
    if (boundary) this.endPrint();
    if (text.indexOf(' is paused') >= 0 && this.settings.onPaused) {
      const p = parsePausedLine(text, index);
      if (p)
        this.settings.onPaused({ ...p, operation: wellFormed(p.operation), subject: wellFormed(p.subject), reason: wellFormed(p.reason) });
    }
    const top = this.topState;
    if (top.phase === 'idle') {
      // The hot path: most output is not a traceback.
      const last = text.charCodeAt(text.length - 1);
      if (last !== 58 /* : */) return;
    }
    if (this.stack.length > 1 || top.phase === 'gframes' || top.phase === 'gmessage' || top.phase === 'group') {
      this.groupLine(text, index, partial);
    } else {
      this.plainLine(text, index, partial);
    }
  }

  /** A line outside any ExceptionGroup margin, for the top print. */
  private plainLine(text: string, index: number, partial: boolean): void {
    const top = this.topState;
    if (text === TOP_GROUP_HEADER) {
      if (top.phase !== 'chain') this.endPrint();
      top.frames = new Frames(this.settings.headFrames, this.settings.tailFrames);
      top.phase = 'gframes';
      return;
    }
    if (top.phase === 'idle') {
      if (isTracebackHeader(text, true)) top.phase = 'frames';
      return;
    }
    this.feed(top, text, index, partial, true);
  }

  private groupLine(text: string, index: number, partial: boolean): void {
    const d = decodeMargin(text);
    if (!d) {
      // Back to the top print's own level: every group is over.
      this.popAbove(0);
      const top = this.topState;
      if (top.phase === 'gframes' || top.phase === 'gmessage' || top.phase === 'group') {
        this.finalize(top);
        top.phase = 'afterBlank';
      }
      this.plainLine(text, index, partial);
      return;
    }
    if (d.kind === 'sep' || d.kind === 'close') {
      const owner = d.kind === 'sep' ? d.depth : d.depth - 1;
      const i = this.findGroupOwner(owner);
      if (i < 0) return;
      this.popAbove(i);
      const s = this.stack[i]!;
      if (d.kind === 'close') {
        s.phase = 'afterBlank';
        return;
      }
      if (s.phase !== 'group') {
        // The group's exception line is over (a group that was never raised has no header: its frames are the section's).
        if (s.phase === 'message' || s.phase === 'afterBlank') s.groupFrames = s.pending ? s.pending.frames.slice(s.prefix.length) : [];
        this.finalize(s);
        s.phase = 'group';
      }
      this.stack.push(this.newState(owner + 1, s.prefix.concat(s.groupFrames), d.truncated ? 'dead' : 'start'));
      return;
    }
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const s = this.stack[i]!;
      if (s.depth === d.depth || (s.top && d.depth === 1)) {
        this.popAbove(i);
        if (s.top && d.depth === 1 && s.phase !== 'gframes' && s.phase !== 'gmessage') return;
        this.feed(s, d.text, index, partial, false);
        return;
      }
      if (s.depth < d.depth) return;
    }
  }

  /** The stack index of the print whose group content sits at `depth`, or -1. */
  private findGroupOwner(depth: number): number {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const s = this.stack[i]!;
      if (s.groupDepth === depth) {
        const ok =
          s.phase === 'gframes' ||
          s.phase === 'gmessage' ||
          s.phase === 'group' ||
          (!s.top && (s.phase === 'message' || s.phase === 'afterBlank'));
        return ok ? i : -1;
      }
      if (s.groupDepth < depth) return -1;
    }
    return -1;
  }

  private popAbove(i: number): void {
    while (this.stack.length > i + 1) this.finalize(this.stack.pop()!);
  }

  /** One content line for print `s`. `loose`: the top print outside a group, where any output may follow a traceback. */
  private feed(s: PrintState, t: string, index: number, partial: boolean, loose: boolean): void {
    switch (s.phase) {
      case 'idle':
      case 'dead':
        return;
      case 'start':
        if (t === TB_HEADER) s.phase = 'frames';
        else if (t === GROUP_HEADER) s.phase = 'gframes';
        else if (!this.exceptionLine(s, t, index, partial, false)) s.phase = 'dead';
        return;
      case 'frames':
      case 'gframes': {
        if (t.startsWith('  File "')) {
          const m = FRAME_RE.exec(t);
          if (m) s.frames.add({ file: wellFormed(m[1]!), line: Number(m[2]), func: wellFormed(m[3] ?? '') });
          return;
        }
        if (t.charCodeAt(0) === 32) return; // source line, carets, "[Previous line repeated ...]"
        if (isTracebackHeader(t, loose)) {
          // A new traceback without an exception line before it: the last one was cut off.
          if (loose) {
            this.endPrint();
            this.plainLine(t, index, partial);
          } else s.frames = new Frames(this.settings.headFrames, this.settings.tailFrames);
          return;
        }
        if (t !== '' && this.exceptionLine(s, t, index, partial, s.phase === 'gframes')) return;
        this.abandon(s);
        return;
      }
      case 'message':
      case 'gmessage': {
        const p = s.pending;
        if (p?.awaitingTail) {
          if (p.lines < MAX_AWAITED_LINES) {
            const tail = t.includes('self.request_id=');
            if (p.text.length < RAW_CAP || tail) p.text += `\n${t}`;
            p.lines++;
            p.partial ||= partial;
            if (tail) {
              // The f-string's tail ends the message.
              p.awaitingTail = false;
              p.mayContinue = false;
            }
            return;
          }
          p.awaitingTail = false;
        }
        if (t === '' && s.phase === 'message') {
          this.finalize(s);
          s.phase = 'afterBlank';
          return;
        }
        if (t === CHAIN_CONTEXT || t === CHAIN_CAUSE) {
          this.finalize(s);
          s.phase = 'chain';
          return;
        }
        if (loose && (!p?.mayContinue || isTracebackHeader(t, true) || TERMINATOR_RE.test(t) || p.lines >= MAX_CONTINUATION_LINES)) {
          this.endPrint();
          this.plainLine(t, index, partial);
          return;
        }
        if (p) {
          if (p.text.length < RAW_CAP) p.text += `\n${t}`;
          p.lines++;
          p.partial ||= partial;
        }
        return;
      }
      case 'afterBlank':
      case 'group':
        if (t === '') return;
        if (t === CHAIN_CONTEXT || t === CHAIN_CAUSE) s.phase = 'chain';
        else this.abandon(s, t, index, partial, loose);
        return;
      case 'chain':
        if (t === '') return;
        s.frames = new Frames(this.settings.headFrames, this.settings.tailFrames);
        if (t === TB_HEADER || (loose && isTracebackHeader(t, true))) s.phase = 'frames';
        else if (t === GROUP_HEADER && !s.top) s.phase = 'gframes';
        else if (!this.exceptionLine(s, t, index, partial, false)) this.abandon(s, t, index, partial, loose);
        return;
    }
  }

  /** The print cannot go on: the top print ends (and the line is read afresh); a sub-exception is ignored from here. */
  private abandon(s: PrintState, t?: string, index = 0, partial = false, loose = false): void {
    if (s.top) {
      this.endPrint();
      if (t !== undefined && loose) this.plainLine(t, index, partial);
    } else {
      this.finalize(s);
      s.phase = 'dead';
    }
  }

  private exceptionLine(s: PrintState, t: string, index: number, partial: boolean, group: boolean): boolean {
    const m = EXC_LINE_RE.exec(t);
    if (!m) return false;
    const name = m[1]!;
    // A line cut at the end of the stream: only a name that is certainly complete.
    if (partial && m[2] === undefined && !isKnownQualifiedName(name)) return false;
    const own = s.frames.list();
    if (group) s.groupFrames = own;
    const text = (m[3] ?? '').slice(0, RAW_CAP);
    s.pending = {
      name,
      text,
      lines: 0,
      awaitingTail: SDK_TAIL_MESSAGE_RE.test(text) && !text.includes('self.request_id='),
      mayContinue: !isCompleteSdkMessage(text) && classify(name, text, false) !== undefined,
      line: index,
      frames: s.prefix.length ? s.prefix.concat(own) : own,
      omitted: s.frames.omitted,
      partial,
    };
    s.phase = group ? 'gmessage' : 'message';
    this.lastExceptionLine = index;
    return true;
  }

  private finalize(s: PrintState): void {
    const p = s.pending;
    if (!p) return;
    s.pending = undefined;
    const kind = classify(p.name, p.text, p.partial && p.lines === 0 && p.text === '');
    if (!kind) return;
    const facts = analyseMessage(p.text);
    const max = this.settings.maxMessage;
    const message = wellFormed(p.text.length > max ? `${p.text.slice(0, max)}…` : p.text).trim();
    const ex: MintException = {
      qualifiedName: p.name,
      className: kind.className,
      family: kind.family,
      message,
      frames: p.frames,
      line: p.line,
    };
    if (facts.requestId !== undefined) ex.requestId = wellFormed(facts.requestId);
    if (facts.logId !== undefined) ex.logId = wellFormed(facts.logId);
    if (facts.traceId !== undefined) ex.traceId = wellFormed(facts.traceId);
    if (facts.status !== undefined) ex.status = facts.status;
    if (facts.detail !== undefined) ex.detail = wellFormed(facts.detail);
    if (facts.checkpoint !== undefined) ex.checkpoint = wellFormed(facts.checkpoint);
    if (p.omitted > 0) ex.framesOmitted = p.omitted;
    this.found.push(ex);
  }

  /** Ends the top print: finishes what is complete, returns a finding if it held MinT exceptions. */
  endPrint(): void {
    this.popAbove(0);
    const top = this.topState;
    this.finalize(top);
    if (top.phase !== 'idle') {
      top.phase = 'idle';
      top.frames = new Frames(this.settings.headFrames, this.settings.tailFrames);
      top.groupFrames = [];
    }
    if (this.found.length > 0) {
      this.emit({ exceptions: this.found, endLine: this.lastExceptionLine });
      this.found = [];
    }
  }
}
