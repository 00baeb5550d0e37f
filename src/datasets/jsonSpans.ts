/**
 * A strict JSON scanner for one JSONL line that keeps where every key and value sits. The linter
 * parses rows with the native JSON.parse (fast) and calls this only for the rows that need it:
 *  - a row JSON.parse refused: to point at the offending character (Node 20's messages carry a
 *    position for some errors only) and say what is wrong in plain words, with a fix when the
 *    repair is mechanical (trailing comma, Python literal, raw control character, bad escape);
 *  - a row with findings: to turn a JSON path into the range of that value.
 * It accepts exactly what JSON.parse accepts, is iterative (no recursion limit on deep nesting) and
 * linear in the length of the line.
 */

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'literal';

export interface JsonNode {
  kind: JsonKind;
  /** Offset of the first character of the value in the scanned text. */
  start: number;
  /** Offset just past its last character. */
  end: number;
  members?: JsonMember[];
  items?: JsonNode[];
}

export interface JsonMember {
  /** The decoded key. */
  key: string;
  keyStart: number;
  keyEnd: number;
  value: JsonNode;
}

export interface JsonEdit {
  start: number;
  end: number;
  newText: string;
}

export interface JsonSyntaxError {
  /** Offset of the offending character (the text's length when the line ends too early). */
  offset: number;
  /** How many characters the error covers (0 at the end of the line). */
  length: number;
  message: string;
  fix?: { title: string; edits: JsonEdit[] };
}

export type ScanResult = { root: JsonNode; error?: undefined } | { root?: undefined; error: JsonSyntaxError };

export type PathSegment = string | number;

const enum C {
  Tab = 9,
  LF = 10,
  CR = 13,
  Space = 32,
  Quote = 34,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Zero = 48,
  Nine = 57,
  Colon = 58,
  Backslash = 92,
  OpenBracket = 91,
  CloseBracket = 93,
  OpenBrace = 123,
  CloseBrace = 125,
  SingleQuote = 39,
}

function isWs(c: number): boolean {
  return c === C.Space || c === C.Tab || c === C.LF || c === C.CR;
}

function isDigit(c: number): boolean {
  return c >= C.Zero && c <= C.Nine;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** How a character is named in a message: printable ones quoted, the rest by code point. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp === 0xfeff) return `${hex} (a byte order mark)`;
  if (cp === 0xfffd) return `${hex} (a replacement character: bytes that were not valid UTF-8)`;
  if (cp === 0xa0) return `${hex} (a no-break space)`;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp === 0x2028 || cp === 0x2029) return hex;
  return `"${ch}"`;
}

const CONTROL_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

function escapeFor(c: number): string {
  return CONTROL_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
}

interface Frame {
  node: JsonNode;
  /** Object frames: the member whose value is being read. */
  pendingKey?: { key: string; keyStart: number; keyEnd: number };
}

class Scanner {
  pos: number;
  constructor(
    readonly text: string,
    from: number,
    readonly to: number,
  ) {
    this.pos = from;
  }

  skipWs(): void {
    const t = this.text;
    while (this.pos < this.to && isWs(t.charCodeAt(this.pos))) this.pos++;
  }

  fail(offset: number, length: number, message: string, fix?: JsonSyntaxError['fix']): never {
    throw new ScanError({ offset, length, message, ...(fix ? { fix } : {}) });
  }

  endOfLine(what: string): never {
    this.fail(
      this.to,
      0,
      `The line ends before ${what}. Each JSONL row must be one complete JSON value on a single line; JSON spread over several lines (pretty-printed) is not JSONL.`,
    );
  }

  /** Reads a string starting at the opening quote; returns the offset past the closing quote. */
  scanString(): number {
    const t = this.text;
    const open = this.pos;
    let i = open + 1;
    for (;;) {
      if (i >= this.to) {
        this.fail(
          this.to,
          0,
          `The string that starts at column ${open + 1} is never closed: add the closing " (a " inside a string must be written \\").`,
        );
      }
      const c = t.charCodeAt(i);
      if (c === C.Quote) return i + 1;
      if (c === C.Backslash) {
        const e = i + 1 < this.to ? t.charCodeAt(i + 1) : -1;
        if (e === 117 /* u */) {
          let n = 0;
          while (n < 4 && i + 2 + n < this.to && isHex(t.charCodeAt(i + 2 + n))) n++;
          if (n < 4) {
            if (i + 2 + n >= this.to) this.endOfLine('the \\u escape has its four hex digits');
            this.fail(
              i + 2 + n,
              1,
              `"${t.slice(i, i + 2 + n)}" is not a complete \\u escape: it needs four hex digits (\\u00e9). For a literal backslash write \\\\.`,
              { title: 'Escape the backslash', edits: [{ start: i, end: i + 1, newText: '\\\\' }] },
            );
          }
          i += 6;
          continue;
        }
        if (e === C.Quote || e === C.Backslash || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
          i += 2;
          continue;
        }
        if (e === -1) this.endOfLine('the escape after this backslash');
        this.fail(
          i + 1,
          1,
          `"\\${t[i + 1]}" is not a JSON escape (JSON has \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX). For a literal backslash write \\\\.`,
          { title: 'Escape the backslash', edits: [{ start: i, end: i + 1, newText: '\\\\' }] },
        );
      }
      if (c < 0x20) {
        const esc = escapeFor(c);
        this.fail(i, 1, `A raw control character (${describeChar(t[i]!)}) inside a string: JSON needs it escaped, as ${esc}.`, {
          title: `Replace it with ${esc}`,
          edits: [{ start: i, end: i + 1, newText: esc }],
        });
      }
      i++;
    }
  }

  scanNumber(): number {
    const t = this.text;
    let i = this.pos;
    if (t.charCodeAt(i) === C.Minus) {
      i++;
      if (i >= this.to) this.endOfLine('the number after "-"');
      if (!isDigit(t.charCodeAt(i))) {
        const rest = t.slice(i, i + 8);
        if (rest.startsWith('Infinity')) this.fail(this.pos, 9, 'JSON has no -Infinity: write null, a string, or a large finite number.');
        this.fail(i, 1, `A digit must follow "-", not ${describeChar(t[i]!)}.`);
      }
    }
    if (t.charCodeAt(i) === C.Zero) i++;
    else while (i < this.to && isDigit(t.charCodeAt(i))) i++;
    if (i < this.to && t.charCodeAt(i) === C.Dot) {
      i++;
      if (i >= this.to) this.endOfLine('the digits after the decimal point');
      if (!isDigit(t.charCodeAt(i)))
        this.fail(i, 1, `A digit must follow the decimal point, not ${describeChar(t[i]!)} (write 1.0, not 1.).`);
      while (i < this.to && isDigit(t.charCodeAt(i))) i++;
    }
    if (i < this.to && (t.charCodeAt(i) | 0x20) === 101 /* e */) {
      i++;
      if (i < this.to && (t.charCodeAt(i) === C.Plus || t.charCodeAt(i) === C.Minus)) i++;
      if (i >= this.to) this.endOfLine('the exponent of the number');
      if (!isDigit(t.charCodeAt(i))) this.fail(i, 1, `The exponent needs digits, not ${describeChar(t[i]!)} (write 1e5).`);
      while (i < this.to && isDigit(t.charCodeAt(i))) i++;
    }
    return i;
  }

  /** The value starting at pos is not a value: say what it looks like. */
  badValue(context: string): never {
    const t = this.text;
    const i = this.pos;
    if (i >= this.to) this.endOfLine(context);
    const c = t.charCodeAt(i);
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(t.slice(i, Math.min(this.to, i + 32)))?.[0];
    if (word) {
      const python: Record<string, string> = { True: 'true', False: 'false', None: 'null' };
      const rep = python[word];
      if (rep) {
        this.fail(i, word.length, `${word} is Python; JSON writes it ${rep}.`, {
          title: `Replace ${word} with ${rep}`,
          edits: [{ start: i, end: i + word.length, newText: rep }],
        });
      }
      if (word === 'NaN' || word === 'Infinity' || word === 'undefined') {
        this.fail(i, word.length, `JSON has no ${word}: write null (or the value as a string).`, {
          title: `Replace ${word} with null`,
          edits: [{ start: i, end: i + word.length, newText: 'null' }],
        });
      }
      for (const lit of ['true', 'false', 'null']) {
        if (lit.startsWith(word) || word.startsWith(lit)) {
          let k = 0;
          while (k < lit.length && t[i + k] === lit[k]) k++;
          if (k === lit.length) break; // the literal is whole; what follows is the problem
          if (i + k >= this.to) this.endOfLine(`"${lit}" is complete`);
          this.fail(i + k, 1, `Expected "${lit}" here (JSON literals are true, false and null, in lower case).`);
        }
      }
      this.fail(i, word.length, `"${word}" is not a JSON value: text values need double quotes ("${word}").`);
    }
    if (c === C.SingleQuote) this.fail(i, 1, 'JSON strings use double quotes ("text"), not single quotes (\'text\').');
    if (c === C.Dot || c === C.Plus)
      this.fail(i, 1, `A JSON number cannot start with ${describeChar(t[i]!)} (write 0.5, not .5, and 5, not +5).`);
    this.fail(i, 1, `Expected ${context}, found ${describeChar(String.fromCodePoint(t.codePointAt(i)!))}.`);
  }

  scanLiteral(): number {
    const t = this.text;
    const i = this.pos;
    for (const lit of ['true', 'false', 'null']) {
      if (t.startsWith(lit, i)) return i + lit.length;
    }
    this.badValue('a value');
  }

  run(): JsonNode {
    const t = this.text;
    const stack: Frame[] = [];
    let root: JsonNode | undefined;
    this.skipWs();
    if (this.pos >= this.to) this.fail(this.to, 0, 'The line holds no JSON value.');
    for (;;) {
      // A value starts at this.pos.
      const c = t.charCodeAt(this.pos);
      let done: JsonNode | undefined;
      if (c === C.OpenBrace || c === C.OpenBracket) {
        const node: JsonNode =
          c === C.OpenBrace
            ? { kind: 'object', start: this.pos, end: -1, members: [] }
            : { kind: 'array', start: this.pos, end: -1, items: [] };
        stack.push({ node });
        this.pos++;
        this.skipWs();
        const close = c === C.OpenBrace ? C.CloseBrace : C.CloseBracket;
        if (this.pos < this.to && t.charCodeAt(this.pos) === close) {
          node.end = ++this.pos;
          stack.pop();
          done = node;
        } else if (c === C.OpenBrace) {
          this.readKey(stack[stack.length - 1]!, false);
          continue;
        } else {
          if (this.pos >= this.to) this.endOfLine('the array is closed with ]');
          continue;
        }
      } else if (c === C.Quote) {
        const start = this.pos;
        this.pos = this.scanString();
        done = { kind: 'string', start, end: this.pos };
      } else if (c === C.Minus || isDigit(c)) {
        const start = this.pos;
        this.pos = this.scanNumber();
        done = { kind: 'number', start, end: this.pos };
      } else {
        const start = this.pos;
        if (c === 116 || c === 102 || c === 110) {
          this.pos = this.scanLiteral();
          done = { kind: 'literal', start, end: this.pos };
        } else {
          this.badValue(stack.length ? 'a value' : 'a JSON object ({...}) at the start of the row');
        }
      }
      // A value is complete: attach it and read what follows, closing containers as they end.
      for (;;) {
        const parent = stack[stack.length - 1];
        if (!parent) {
          root = done;
          this.skipWs();
          if (this.pos < this.to) {
            const extra = t.charCodeAt(this.pos);
            this.fail(
              this.pos,
              1,
              extra === C.OpenBrace || extra === C.OpenBracket
                ? 'A second JSON value starts on the same line: each row must be on its own line.'
                : `Unexpected ${describeChar(String.fromCodePoint(t.codePointAt(this.pos)!))} after the end of the row's JSON value.`,
            );
          }
          return root!;
        }
        const p = parent.node;
        if (p.kind === 'object') {
          p.members!.push({ ...parent.pendingKey!, value: done! });
          parent.pendingKey = undefined;
        } else {
          p.items!.push(done!);
        }
        this.skipWs();
        const close = p.kind === 'object' ? C.CloseBrace : C.CloseBracket;
        if (this.pos >= this.to) this.endOfLine(p.kind === 'object' ? 'the object is closed with }' : 'the array is closed with ]');
        const n = t.charCodeAt(this.pos);
        if (n === C.Comma) {
          const comma = this.pos;
          this.pos++;
          this.skipWs();
          if (this.pos < this.to && (t.charCodeAt(this.pos) === C.CloseBrace || t.charCodeAt(this.pos) === C.CloseBracket)) {
            this.fail(
              this.pos,
              1,
              `A trailing comma before ${t[this.pos]}: JSON allows no comma after the last ${p.kind === 'object' ? 'member' : 'element'}.`,
              {
                title: 'Remove the trailing comma',
                edits: [{ start: comma, end: comma + 1, newText: '' }],
              },
            );
          }
          if (p.kind === 'object') {
            this.readKey(parent, true);
          } else if (this.pos >= this.to) {
            this.endOfLine('the array is closed with ]');
          }
          break; // read the next value
        }
        if (n === close) {
          p.end = ++this.pos;
          stack.pop();
          done = p;
          continue;
        }
        const what =
          p.kind === 'object'
            ? `"," or "}" after the value of "${p.members![p.members!.length - 1]!.key}"`
            : '"," or "]" after an array element';
        const missingComma = n === C.Quote || n === C.OpenBrace || n === C.OpenBracket || isDigit(n);
        this.fail(
          this.pos,
          1,
          `Expected ${what}, found ${describeChar(String.fromCodePoint(t.codePointAt(this.pos)!))}${missingComma ? ': a comma is missing' : ''}.`,
        );
      }
    }
  }

  /** At a member name (after "{" or ","): reads `"key" :` and leaves pos at the value. */
  readKey(frame: Frame, afterComma: boolean): void {
    const t = this.text;
    if (this.pos >= this.to) this.endOfLine('the object is closed with }');
    const c = t.charCodeAt(this.pos);
    if (c !== C.Quote) {
      const word = /^[A-Za-z_$][\w$]*/.exec(t.slice(this.pos, Math.min(this.to, this.pos + 64)))?.[0];
      if (word) {
        this.fail(this.pos, word.length, `Property names need double quotes: write "${word}".`, {
          title: `Quote "${word}"`,
          edits: [{ start: this.pos, end: this.pos + word.length, newText: `"${word}"` }],
        });
      }
      if (c === C.SingleQuote) this.fail(this.pos, 1, 'Property names use double quotes ("name"), not single quotes.');
      this.fail(
        this.pos,
        1,
        `Expected a property name in double quotes${afterComma ? ' after ","' : ''}, found ${describeChar(String.fromCodePoint(t.codePointAt(this.pos)!))}.`,
      );
    }
    const keyStart = this.pos;
    const keyEnd = this.scanString();
    const raw = t.slice(keyStart + 1, keyEnd - 1);
    const key = raw.includes('\\') ? (JSON.parse(t.slice(keyStart, keyEnd)) as string) : raw;
    this.pos = keyEnd;
    this.skipWs();
    if (this.pos >= this.to) this.endOfLine(`the value of "${key}"`);
    if (t.charCodeAt(this.pos) !== C.Colon) {
      this.fail(
        this.pos,
        1,
        `Expected ":" after the property name "${key}", found ${describeChar(String.fromCodePoint(t.codePointAt(this.pos)!))}.`,
      );
    }
    this.pos++;
    this.skipWs();
    if (this.pos >= this.to) this.endOfLine(`the value of "${key}"`);
    frame.pendingKey = { key, keyStart, keyEnd };
  }
}

class ScanError extends Error {
  constructor(readonly detail: JsonSyntaxError) {
    super(detail.message);
  }
}

/** Scans text[from, to) as one JSON value. Either the tree of spans, or the first syntax error. */
export function scanJson(text: string, from = 0, to = text.length): ScanResult {
  try {
    return { root: new Scanner(text, from, to).run() };
  } catch (e) {
    if (e instanceof ScanError) return { error: e.detail };
    throw e;
  }
}

/** The node at a path (object keys, array indexes); with duplicate keys the last wins, as in JSON.parse. */
export function nodeAt(root: JsonNode, path: readonly PathSegment[]): { node: JsonNode; member?: JsonMember } | undefined {
  let node = root;
  let member: JsonMember | undefined;
  for (const seg of path) {
    if (typeof seg === 'number') {
      const item = node.kind === 'array' ? node.items![seg] : undefined;
      if (!item) return undefined;
      node = item;
      member = undefined;
    } else {
      if (node.kind !== 'object') return undefined;
      const ms = node.members!;
      let hit: JsonMember | undefined;
      for (let i = ms.length - 1; i >= 0; i--) {
        if (ms[i]!.key === seg) {
          hit = ms[i];
          break;
        }
      }
      if (!hit) return undefined;
      node = hit.value;
      member = hit;
    }
  }
  return member ? { node, member } : { node };
}

/**
 * Offset in the raw text of a position inside a decoded string value: `index` counts UTF-16 units
 * of the decoded string (as JS's indexOf would), the answer counts characters of the JSON source.
 * `index` equal to the decoded length gives the offset of the closing quote.
 */
export function rawOffsetInString(text: string, node: JsonNode, index: number): number {
  let i = node.start + 1;
  let units = 0;
  const end = node.end - 1;
  while (i < end && units < index) {
    if (text.charCodeAt(i) === C.Backslash) i += text.charCodeAt(i + 1) === 117 ? 6 : 2;
    else i++;
    units++;
  }
  return i;
}

/** `messages[2].content[0].text`; keys that are not identifiers are written `["a key"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
