/**
 * Reads one Python literal as `repr()` prints it (dicts, lists, tuples, str with either quote and
 * escapes, numbers, None/True/False), or JSON, from a position in a text. Error bodies reach the
 * terminal as `Error code: 422 - {'detail': [{'loc': ['body', 'x'], ...}]}`: this turns that back
 * into data. Anything else (a set, a call, text cut short) gives undefined; nesting is capped.
 */

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

const MAX_DEPTH = 32;

export function parsePyLiteral(text: string, start = 0): { value: PyValue; end: number } | undefined {
  const p = new Reader(text, start);
  try {
    const value = p.value(0);
    return { value, end: p.pos };
  } catch {
    return undefined;
  }
}

class Fail extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  r: '\r',
  t: '\t',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '/': '/',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '0': '\0',
};

class Reader {
  constructor(
    private readonly s: string,
    public pos: number,
  ) {}

  private ws(): void {
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.pos++;
    }
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) throw new Fail();
    this.ws();
    const c = this.s[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '[') return this.list(depth, ']');
    if (c === '(') return this.list(depth, ')');
    if (c === "'" || c === '"') return this.str();
    if (c === 'b' || c === 'r' || c === 'u' || c === 'B' || c === 'R' || c === 'U') {
      const q = this.s[this.pos + 1];
      if (q === "'" || q === '"') {
        this.pos++;
        return this.str(c === 'r' || c === 'R');
      }
    }
    const word = /^(?:None|null|True|true|False|false)(?![\w])/.exec(this.s.slice(this.pos, this.pos + 6));
    if (word) {
      this.pos += word[0].length;
      return word[0] === 'None' || word[0] === 'null' ? null : word[0] === 'True' || word[0] === 'true';
    }
    const num = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(this.s.slice(this.pos, this.pos + 64));
    if (num) {
      this.pos += num[0].length;
      return Number(num[0]);
    }
    throw new Fail();
  }

  private dict(depth: number): { [key: string]: PyValue } {
    this.pos++;
    const out: { [key: string]: PyValue } = {};
    this.ws();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const key = this.value(depth + 1);
      this.ws();
      if (this.s[this.pos] !== ':') throw new Fail();
      this.pos++;
      const k = typeof key === 'string' ? key : JSON.stringify(key);
      // Own data property even for "__proto__".
      Object.defineProperty(out, k, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.pos++];
      if (c === '}') return out;
      if (c !== ',') throw new Fail();
      this.ws();
      if (this.s[this.pos] === '}') {
        this.pos++;
        return out;
      }
    }
  }

  private list(depth: number, close: string): PyValue[] {
    this.pos++;
    const out: PyValue[] = [];
    this.ws();
    if (this.s[this.pos] === close) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value(depth + 1));
      this.ws();
      const c = this.s[this.pos++];
      if (c === close) return out;
      if (c !== ',') throw new Fail();
      this.ws();
      if (this.s[this.pos] === close) {
        this.pos++;
        return out;
      }
    }
  }

  private str(raw = false): string {
    const q = this.s[this.pos++]!;
    let out = '';
    let from = this.pos;
    for (;;) {
      if (this.pos >= this.s.length) throw new Fail();
      const c = this.s[this.pos]!;
      if (c === q) {
        out += this.s.slice(from, this.pos);
        this.pos++;
        return out;
      }
      if (c === '\n') throw new Fail();
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      out += this.s.slice(from, this.pos);
      const e = this.s[this.pos + 1];
      if (e === undefined) throw new Fail();
      if (raw) {
        out += c + e;
        this.pos += 2;
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(this.pos + 2, this.pos + 2 + n);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) throw new Fail();
        const cp = parseInt(hex, 16);
        out += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
        this.pos += 2 + n;
      } else {
        out += SIMPLE_ESCAPES[e] ?? c + e;
        this.pos += 2;
      }
      from = this.pos;
    }
  }
}
