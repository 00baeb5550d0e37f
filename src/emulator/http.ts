import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';

/**
 * Handlers return a Reply instead of writing to the socket, so the fault layer can rewrite,
 * delay or cut any answer after the handler has decided it.
 */
export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON value to serialise, or a raw string when `raw` is set. */
  body?: unknown;
  raw?: string;
  /** Binary body (downloads); its Content-Type comes from `headers`. */
  bytes?: Buffer;
}

/** Thrown by handlers; the server turns it into a FastAPI-style error reply. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body === 'object' && body && 'detail' in body ? String((body as { detail: unknown }).detail) : `HTTP ${status}`);
  }
}

export function detail(status: number, message: string, headers?: Record<string, string>): HttpError {
  return new HttpError(status, { detail: message }, headers);
}

export function json(body: unknown, status = 200, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

/** One item of FastAPI's 422 list, as pydantic v2 writes it. */
export interface PydanticItem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

type Issue = z.core.$ZodIssue;

/** The value at `path` inside `root`, and whether the last key is present in its parent. */
function lookup(root: unknown, path: PropertyKey[]): { parent: unknown; value: unknown; present: boolean } {
  let parent: unknown = undefined;
  let value: unknown = root;
  let present = true;
  for (const key of path) {
    parent = value;
    if (parent !== null && typeof parent === 'object' && Object.prototype.hasOwnProperty.call(parent, key)) {
      value = (parent as Record<PropertyKey, unknown>)[key];
    } else {
      value = undefined;
      present = false;
    }
  }
  return { parent, value, present };
}

const quoteList = (values: readonly unknown[]): string => {
  const q = values.map((v) => (typeof v === 'string' ? `'${v}'` : String(v)));
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q.at(-1)}`;
};

/**
 * Maps one zod issue to pydantic's type name, message and ctx, so a client keyed on `type`
 * (missing, int_parsing, extra_forbidden...) reads the emulator's 422 as it reads MinT's.
 */
function toPydantic(issue: Issue, root: unknown, where: 'body' | 'query', prefix: PropertyKey[] = []): PydanticItem[] {
  const path = [...prefix, ...issue.path];
  const loc = [where, ...path.map((p) => (typeof p === 'symbol' ? String(p) : p))] as (string | number)[];
  const at = lookup(root, path);
  const item = (type: string, msg: string, input: unknown = at.value, ctx?: Record<string, unknown>): PydanticItem =>
    ctx ? { type, loc, msg, input, ctx } : { type, loc, msg, input };
  // A required field that is absent: pydantic reports the object that lacks it as the input.
  if (path.length === 0 && at.value === undefined) return [item('missing', 'Field required', null)];
  if (!at.present && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union')) {
    return [item('missing', 'Field required', at.parent ?? {})];
  }
  const v = at.value;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = String(issue.expected);
      if (expected === 'int' || expected === 'number') {
        if (typeof v === 'number' && !Number.isInteger(v))
          return [item('int_from_float', 'Input should be a valid integer, got a number with a fractional part')];
        if (typeof v === 'string') return [item('int_parsing', 'Input should be a valid integer, unable to parse string as an integer')];
        return [
          item(
            expected === 'int' ? 'int_type' : 'float_type',
            expected === 'int' ? 'Input should be a valid integer' : 'Input should be a valid number',
          ),
        ];
      }
      if (expected === 'string') return [item('string_type', 'Input should be a valid string')];
      if (expected === 'boolean') return [item(typeof v === 'string' ? 'bool_parsing' : 'bool_type', 'Input should be a valid boolean')];
      if (expected === 'array') return [item('list_type', 'Input should be a valid list')];
      if (expected === 'object' || expected === 'record') return [item('dict_type', 'Input should be a valid dictionary')];
      return [item(`${expected}_type`, `Input should be a valid ${expected}`)];
    }
    case 'too_small':
      return [boundItem(issue.code, Number(issue.minimum), issue.origin, issue.inclusive, v, item)];
    case 'too_big':
      return [boundItem(issue.code, Number(issue.maximum), issue.origin, issue.inclusive, v, item)];
    case 'invalid_value': {
      const expected = quoteList(issue.values);
      return [item('literal_error', `Input should be ${expected}`, v, { expected })];
    }
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({
        type: 'extra_forbidden',
        loc: [...loc, k],
        msg: 'Extra inputs are not permitted',
        input: (v as Record<string, unknown>)?.[k],
      }));
    case 'invalid_union': {
      // pydantic names each union member; the first member's complaint is the useful one.
      const first = issue.errors[0];
      if (first && first.length > 0) return first.flatMap((sub) => toPydantic(sub, root, where, path));
      return [item('union_error', 'Input does not match any allowed type')];
    }
    case 'custom':
      return [item('value_error', `Value error, ${issue.message}`, v, { error: {} })];
    default:
      return [item('value_error', `Value error, ${issue.message}`, v, { error: {} })];
  }
}

/** FastAPI's 422 shape, item for item, so clients written against MinT parse ours unchanged. */
export function validationError(error: z.ZodError, root: unknown, where: 'body' | 'query' = 'body'): HttpError {
  return new HttpError(422, { detail: error.issues.flatMap((issue) => toPydantic(issue, root, where)) });
}

/** FastAPI's reply to a body that is not JSON at all. */
export function jsonDecodeError(err: Error): HttpError {
  return new HttpError(422, {
    detail: [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: err.message } }],
  });
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' = 'body'): z.infer<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error, value, where);
  return r.data;
}

export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(detail(413, `Request body larger than ${MAX_BODY_BYTES} bytes; send smaller batches.`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Text bodies stay strings: node:http then sends headers and body in one write() instead of a
 * writev() of two buffers, which was the largest single cost per request under load.
 */
export function serialise(reply: Reply): { payload: string | Buffer; length: number; contentType: string } {
  if (reply.bytes !== undefined) return { payload: reply.bytes, length: reply.bytes.length, contentType: 'application/octet-stream' };
  const text = reply.raw !== undefined ? reply.raw : reply.body === undefined ? '' : JSON.stringify(reply.body);
  return {
    payload: text,
    length: Buffer.byteLength(text, 'utf8'),
    contentType: reply.raw !== undefined ? 'text/plain; charset=utf-8' : 'application/json',
  };
}

/** Pydantic's words for a length or size bound, on either side: `too_small` is the `min` side. */
const BOUND = {
  too_small: {
    list: 'too_short',
    string: 'string_too_short',
    words: 'at least',
    key: 'min_length',
    incl: ['greater_than_equal', 'greater than or equal to', 'ge'],
    excl: ['greater_than', 'greater than', 'gt'],
  },
  too_big: {
    list: 'too_long',
    string: 'string_too_long',
    words: 'at most',
    key: 'max_length',
    incl: ['less_than_equal', 'less than or equal to', 'le'],
    excl: ['less_than', 'less than', 'lt'],
  },
} as const;

function boundItem(
  side: keyof typeof BOUND,
  bound: number,
  origin: unknown,
  inclusive: boolean | undefined,
  v: unknown,
  item: (type: string, msg: string, input?: unknown, ctx?: Record<string, unknown>) => PydanticItem,
): PydanticItem {
  const b = BOUND[side];
  const plural = (unit: string) => `${bound} ${unit}${bound === 1 ? '' : 's'}`;
  if (origin === 'array' || origin === 'set') {
    const n = Array.isArray(v) ? v.length : 0;
    return item(b.list, `List should have ${b.words} ${plural('item')} after validation, not ${n}`, v, {
      field_type: 'List',
      [b.key]: bound,
      actual_length: n,
    });
  }
  if (origin === 'string') return item(b.string, `String should have ${b.words} ${plural('character')}`, v, { [b.key]: bound });
  const [type, words, ctxKey] = inclusive ? b.incl : b.excl;
  return item(type, `Input should be ${words} ${bound}`, v, { [ctxKey]: bound });
}
